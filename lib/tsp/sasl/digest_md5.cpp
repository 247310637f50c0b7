// DIGEST-MD5 server and client as TSP speaks it (tsp-digest.md §2.3):
//   S: realm="dstm",nonce="<hex>",qop=auth,algorithm=md5-sess,charset=utf8
//   C: charset=utf8,username="alice",realm="dstm",nonce="<hex>",nc=00000001,cnonce="<n>",
//      digest-uri="tsp/<server>",response=<32 hex>,qop=auth
//   S: rspauth=<32 hex>        then, as a separate write by the session, "200 Success"
// Each authentication is a single request (nc=00000001); RFC 2831 §2.2 subsequent
// authentication is not used by TSP and not offered.
#include "tsp/sasl/digest_md5.h"

#include <cctype>

#include "tsp/sasl/mechanism_factories.h"

namespace dstm::tsp::sasl::detail {
namespace {

constexpr std::string_view kServicePrefix = "tsp/";
constexpr std::string_view kOnlyNonceCount = "00000001";
constexpr std::size_t kNonceBytes = 16;  // 32 hex characters from the default source

// The value of `name`, if it occurs exactly once; `duplicate` is set when it occurs more often.
std::optional<std::string_view> find_once(const DigestDirectives& d, std::string_view name,
                                          bool& duplicate) {
  std::optional<std::string_view> found;
  for (const auto& [key, value] : d) {
    if (key != name) continue;
    if (found) duplicate = true;
    found = value;
  }
  return found;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// RFC 2831 §2.1.1: qop-options is a comma-separated list ("auth,auth-int"), maybe spaced.
bool offers_auth(std::string_view options) {
  std::size_t start = 0;
  while (start <= options.size()) {
    std::size_t end = options.find(',', start);
    if (end == std::string_view::npos) end = options.size();
    std::string_view option = options.substr(start, end - start);
    while (!option.empty() && (option.front() == ' ' || option.front() == '\t')) {
      option.remove_prefix(1);
    }
    while (!option.empty() && (option.back() == ' ' || option.back() == '\t')) {
      option.remove_suffix(1);
    }
    if (lower(option) == "auth") return true;
    start = end + 1;
  }
  return false;
}

bool is_hex32(std::string_view s) {
  return s.size() == 32 && hex_decode(s).has_value();
}

// The fields of a client response the server needs, checked for presence and form.
struct DigestResponse {
  std::string_view username, realm, nonce, cnonce, nc, qop, digest_uri, response, authzid;
  bool has_realm = false;
};

std::optional<DigestResponse> read_response(const DigestDirectives& d, std::string& why) {
  auto fail = [&why](const char* reason) {
    why = reason;
    return std::nullopt;
  };
  bool duplicate = false;
  DigestResponse r;
  const auto username = find_once(d, "username", duplicate);
  const auto realm = find_once(d, "realm", duplicate);
  const auto nonce = find_once(d, "nonce", duplicate);
  const auto cnonce = find_once(d, "cnonce", duplicate);
  const auto nc = find_once(d, "nc", duplicate);
  const auto qop = find_once(d, "qop", duplicate);
  const auto uri = find_once(d, "digest-uri", duplicate);
  const auto response = find_once(d, "response", duplicate);
  const auto authzid = find_once(d, "authzid", duplicate);
  // RFC 2831 §2.1.2: each of these directives MUST appear at most once.
  if (duplicate) return fail("DIGEST-MD5: repeated directive");
  if (!username || username->empty() || !nonce || !cnonce || cnonce->empty() || !nc || !uri ||
      !response) {
    return fail("DIGEST-MD5: response lacks a required directive");
  }
  r.username = *username;
  r.has_realm = realm.has_value();
  r.realm = realm.value_or("");
  r.nonce = *nonce;
  r.cnonce = *cnonce;
  r.nc = *nc;
  r.qop = qop.value_or("auth");  // §2.1.2: absent qop means "auth"
  r.digest_uri = *uri;
  r.response = *response;
  r.authzid = authzid.value_or("");
  return r;
}

// The rules of the TSP profile, before any hashing.
std::optional<std::string> profile_violation(const DigestResponse& r, std::string_view realm,
                                             std::string_view nonce) {
  if (!constant_time_equal(r.nonce, nonce)) return "DIGEST-MD5: nonce is not ours (replay?)";
  if (r.nc != kOnlyNonceCount) return "DIGEST-MD5: nc is not 00000001";
  if (r.qop != "auth") return "DIGEST-MD5: qop other than auth";
  if (r.has_realm ? r.realm != realm : !realm.empty()) return "DIGEST-MD5: wrong realm";
  if (r.digest_uri.substr(0, kServicePrefix.size()) != kServicePrefix) {
    return "DIGEST-MD5: digest-uri is not tsp/...";
  }
  if (!is_hex32(r.response)) return "DIGEST-MD5: response is not 32 hex digits";
  if (!r.authzid.empty() && r.authzid != r.username) {
    return "DIGEST-MD5: authorization identity differs from the user name";
  }
  return std::nullopt;
}

class DigestMd5Server final : public ServerMechanism {
 public:
  DigestMd5Server(const ServerOptions& options, const CredentialStore& store, NonceSource& nonces)
      : realm_(options.realm), store_(store), nonces_(nonces) {}

  Mechanism mechanism() const override { return Mechanism::kDigestMd5; }

  ServerStep step(std::string_view client_message) override {
    const State state = state_;
    state_ = State::kFinished;  // every path below but the challenge ends the exchange
    switch (state) {
      case State::kStart:
        return challenge(client_message);
      case State::kChallengeSent:
        return verify(client_message);
      case State::kFinished:
        break;
    }
    return server_failure("DIGEST-MD5: exchange already finished");
  }

 private:
  enum class State { kStart, kChallengeSent, kFinished };

  ServerStep challenge(std::string_view client_message) {
    // TSP clients send nothing before the challenge (RFC 2831 §2.2's initial response is for
    // subsequent authentication, which we do not offer).
    if (!client_message.empty()) return server_failure("DIGEST-MD5: unexpected initial data");
    nonce_ = nonces_.nonce(kNonceBytes);
    if (!is_usable_nonce(nonce_)) return server_failure("DIGEST-MD5: no usable nonce");
    state_ = State::kChallengeSent;
    return server_continue(digest_md5_challenge(realm_, nonce_));
  }

  ServerStep verify(std::string_view client_message) {
    if (client_message.size() > kMaxSaslMessageBytes) {
      return server_failure("DIGEST-MD5: response too long");
    }
    const auto directives = parse_digest_directives(client_message);
    if (!directives) return server_failure("DIGEST-MD5: malformed response");
    std::string why;
    const auto r = read_response(*directives, why);
    if (!r) return server_failure(std::move(why));
    if (auto violation = profile_violation(*r, realm_, nonce_)) {
      return server_failure(std::move(*violation));
    }
    return check_user(*r);
  }

  // RFC 2831 §2.1.2.1 response check; the digest-uri is the client's own (gogoc sends
  // tsp/<its server= string>, tsp-ruby tsp/hexos), never one we recompute.
  ServerStep check_user(const DigestResponse& r) const {
    const std::string user(r.username);
    const auto record = store_.find(user);
    const bool usable = record && record->digest_ha1 && record->digest_realm == realm_;
    DigestMd5Params p;
    p.ha1 = usable ? *record->digest_ha1 : Md5Digest{};  // unknown: same work, certain failure
    p.nonce = nonce_;
    p.cnonce = r.cnonce;
    p.nc = r.nc;
    p.qop = r.qop;
    p.digest_uri = r.digest_uri;
    p.authzid = r.authzid;
    const bool match = constant_time_equal(digest_md5_response(p), lower(r.response));
    if (!usable) return server_failure("DIGEST-MD5: no HA1 for '" + user + "' in this realm");
    if (!match) return server_failure("DIGEST-MD5: wrong password for '" + user + "'");
    return server_success("rspauth=" + digest_md5_rspauth(p), user);
  }

  std::string realm_;
  const CredentialStore& store_;
  NonceSource& nonces_;
  std::string nonce_;
  State state_ = State::kStart;
};

// The challenge fields the client uses.
struct DigestChallenge {
  std::string realm, nonce, charset;
  bool has_realm = false, has_charset = false;
};

std::optional<DigestChallenge> read_challenge(std::string_view text, std::string& why) {
  auto fail = [&why](const char* reason) {
    why = reason;
    return std::nullopt;
  };
  if (text.size() > kMaxSaslMessageBytes) return fail("challenge too long");
  const auto d = parse_digest_directives(text);
  if (!d) return fail("malformed challenge");
  bool duplicate = false;
  const auto nonce = find_once(*d, "nonce", duplicate);
  const auto qop = find_once(*d, "qop", duplicate);
  const auto algorithm = find_once(*d, "algorithm", duplicate);
  const auto charset = find_once(*d, "charset", duplicate);
  if (duplicate) return fail("repeated directive in challenge");
  if (!nonce || !is_usable_nonce(*nonce)) return fail("challenge without a usable nonce");
  // §2.1.1: qop-options is a quoted list; we need "auth" in it (absent means "auth").
  if (qop && !offers_auth(*qop)) {
    return fail("server does not offer qop=auth");
  }
  if (algorithm && lower(*algorithm) != "md5-sess") return fail("algorithm is not md5-sess");
  DigestChallenge c;
  c.nonce = *nonce;
  c.has_charset = charset.has_value();
  c.charset = charset.value_or("");
  for (const auto& [key, value] : *d) {  // §2.1.1: realm may repeat; we take the first
    if (key == "realm" && !c.has_realm) {
      c.realm = value;
      c.has_realm = true;
    }
  }
  return c;
}

class DigestMd5Client final : public ClientMechanism {
 public:
  DigestMd5Client(ClientCredentials credentials, std::string_view digest_host, NonceSource& nonces)
      : credentials_(std::move(credentials)),
        digest_uri_(std::string(kServicePrefix) + std::string(digest_host)),
        nonces_(nonces) {}

  Mechanism mechanism() const override { return Mechanism::kDigestMd5; }
  std::optional<std::string> initial_response() override { return std::nullopt; }

  ClientStep step(std::string_view server_message) override {
    const State state = state_;
    state_ = State::kFinished;
    switch (state) {
      case State::kStart:
        return respond(server_message);
      case State::kResponseSent:
        return check_rspauth(server_message);
      case State::kFinished:
        break;
    }
    return client_failure("DIGEST-MD5: exchange already finished");
  }

 private:
  enum class State { kStart, kResponseSent, kFinished };

  ClientStep respond(std::string_view challenge_text) {
    std::string why;
    const auto c = read_challenge(challenge_text, why);
    if (!c) return client_failure("DIGEST-MD5: " + why);
    cnonce_ = nonces_.nonce(kNonceBytes);
    if (!is_usable_nonce(cnonce_)) return client_failure("DIGEST-MD5: no usable cnonce");
    DigestMd5Params p;
    p.ha1 = digest_md5_ha1(credentials_.username, c->realm, credentials_.password);
    p.nonce = c->nonce;
    p.cnonce = cnonce_;
    p.digest_uri = digest_uri_;
    expected_rspauth_ = digest_md5_rspauth(p);
    state_ = State::kResponseSent;
    return client_send(format_response(*c, digest_md5_response(p)));
  }

  // gogoc's ResponseFmt (tsp_auth.c), field for field: it echoes the challenge's charset and
  // quotes username (escaping '"' and '\'), realm, nonce, cnonce and digest-uri.
  std::string format_response(const DigestChallenge& c, const std::string& response) const {
    std::string out;
    if (c.has_charset) out.append("charset=").append(c.charset).append(",");
    out.append("username=").append(digest_quote(credentials_.username));
    if (c.has_realm) out.append(",realm=").append(digest_quote(c.realm));
    out.append(",nonce=").append(digest_quote(c.nonce));
    out.append(",nc=").append(kOnlyNonceCount);
    out.append(",cnonce=").append(digest_quote(cnonce_));
    out.append(",digest-uri=").append(digest_quote(digest_uri_));
    out.append(",response=").append(response).append(",qop=auth");
    return out;
  }

  // RFC 2831 §2.1.3: the server proves it knows the password too.
  ClientStep check_rspauth(std::string_view text) const {
    if (text.size() > kMaxSaslMessageBytes) return client_failure("DIGEST-MD5: reply too long");
    const auto d = parse_digest_directives(text);
    bool duplicate = false;
    const auto rspauth = d ? find_once(*d, "rspauth", duplicate) : std::nullopt;
    if (!rspauth || duplicate) return client_failure("DIGEST-MD5: no rspauth from the server");
    if (!constant_time_equal(lower(*rspauth), expected_rspauth_)) {
      return client_failure("DIGEST-MD5: server's rspauth is wrong (server not authentic)");
    }
    return client_done();
  }

  ClientCredentials credentials_;
  std::string digest_uri_;
  NonceSource& nonces_;
  std::string cnonce_;
  std::string expected_rspauth_;
  State state_ = State::kStart;
};

}  // namespace

std::unique_ptr<ServerMechanism> make_digest_md5_server(const ServerOptions& options,
                                                        const CredentialStore& store,
                                                        NonceSource& nonces) {
  return std::make_unique<DigestMd5Server>(options, store, nonces);
}

std::unique_ptr<ClientMechanism> make_digest_md5_client(const ClientCredentials& credentials,
                                                        std::string_view digest_host,
                                                        NonceSource& nonces) {
  return std::make_unique<DigestMd5Client>(credentials, digest_host, nonces);
}

}  // namespace dstm::tsp::sasl::detail
