// PLAIN (RFC 4616) as gogoc sends it: not base64, the line "%c%s%c%s\r\n" with '\0', userid,
// '\0', passwd (tsp_auth.c AuthPLAIN). The session strips the CRLF. On TCP the NUL that gogoc
// sends after "AUTHENTICATE PLAIN\r\n" (it sends sizeof the string) lands at the start of this
// line, so "\0\0alice\0secret" must be read like "\0alice\0secret" (tsp-digest.md §2.3, §8.4).
#include <vector>

#include "tsp/sasl/mechanism_factories.h"

namespace dstm::tsp::sasl::detail {
namespace {

// RFC 4616 §2: authzid, authcid and passwd are each at most 255 octets.
constexpr std::size_t kMaxPlainField = 255;

struct PlainMessage {
  std::string_view authzid;
  std::string_view authcid;
  std::string_view passwd;
};

std::vector<std::string_view> split_nul(std::string_view message) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  for (std::size_t pos; (pos = message.find('\0', start)) != std::string_view::npos;
       start = pos + 1) {
    fields.push_back(message.substr(start, pos - start));
  }
  fields.push_back(message.substr(start));
  return fields;
}

// RFC 4616 §2: message = [authzid] NUL authcid NUL passwd. Tolerated on top: gogoc's stray
// leading NUL (one extra empty field in front) and empty fields after the password. Any other
// extra field is an error.
std::optional<PlainMessage> parse_plain(std::string_view message, std::string& why) {
  std::vector<std::string_view> fields = split_nul(message);
  while (fields.size() > 3 && fields.back().empty()) fields.pop_back();
  if (fields.size() == 4 && fields.front().empty()) fields.erase(fields.begin());
  if (fields.size() != 3) {
    why = fields.size() < 3 ? "PLAIN: fewer than three fields" : "PLAIN: extra fields";
    return std::nullopt;
  }
  const PlainMessage m{fields[0], fields[1], fields[2]};
  if (m.authcid.empty() || m.passwd.empty()) {
    why = "PLAIN: empty user name or password";
    return std::nullopt;
  }
  if (m.authzid.size() > kMaxPlainField || m.authcid.size() > kMaxPlainField ||
      m.passwd.size() > kMaxPlainField) {
    why = "PLAIN: field longer than 255 bytes";
    return std::nullopt;
  }
  // We cannot act for another identity: the authzid must be empty or the user's own name.
  if (!m.authzid.empty() && m.authzid != m.authcid) {
    why = "PLAIN: authorization identity differs from the user name";
    return std::nullopt;
  }
  return m;
}

class PlainServer final : public ServerMechanism {
 public:
  PlainServer(const ServerOptions& options, const CredentialStore& store)
      : options_(options), store_(store) {}

  Mechanism mechanism() const override { return Mechanism::kPlain; }

  ServerStep step(std::string_view client_message) override {
    if (finished_) return server_failure("PLAIN: exchange already finished");
    finished_ = true;
    if (client_message.size() > kMaxSaslMessageBytes) {
      return server_failure("PLAIN: message too long");
    }
    std::string why;
    const auto m = parse_plain(client_message, why);
    if (!m) return server_failure(std::move(why));
    return verify(*m);
  }

 private:
  // An unknown user costs the same PBKDF2 as a real one, so timing does not tell them apart.
  ServerStep verify(const PlainMessage& m) const {
    const std::string user(m.authcid);
    if (auto record = store_.find(user)) {
      if (verify_password(*record, m.passwd)) return server_success({}, user);
      return server_failure("PLAIN: wrong password for '" + user + "'");
    }
    UserRecord decoy{user,
                     unknown_user_verifier(user, unknown_user_secret(options_),
                                           options_.unknown_user_iterations),
                     {},
                     std::nullopt};
    (void)verify_password(decoy, m.passwd);
    return server_failure("PLAIN: unknown user '" + user + "'");
  }

  ServerOptions options_;
  const CredentialStore& store_;
  bool finished_ = false;
};

class PlainClient final : public ClientMechanism {
 public:
  explicit PlainClient(ClientCredentials credentials) : credentials_(std::move(credentials)) {}

  Mechanism mechanism() const override { return Mechanism::kPlain; }

  // gogoc's form: empty authzid, then authcid and passwd, NUL-separated.
  std::optional<std::string> initial_response() override {
    std::string message;
    message.push_back('\0');
    message += credentials_.username;
    message.push_back('\0');
    message += credentials_.password;
    return message;
  }

  // The server sends no SASL data for PLAIN, only its status line.
  ClientStep step(std::string_view server_message) override {
    if (finished_) return client_failure("PLAIN: exchange already finished");
    finished_ = true;
    if (!server_message.empty()) return client_failure("PLAIN: unexpected server data");
    return client_done();
  }

 private:
  ClientCredentials credentials_;
  bool finished_ = false;
};

}  // namespace

std::unique_ptr<ServerMechanism> make_plain_server(const ServerOptions& options,
                                                   const CredentialStore& store) {
  return std::make_unique<PlainServer>(options, store);
}

std::unique_ptr<ClientMechanism> make_plain_client(const ClientCredentials& credentials) {
  return std::make_unique<PlainClient>(credentials);
}

}  // namespace dstm::tsp::sasl::detail
