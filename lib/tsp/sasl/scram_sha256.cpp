// SCRAM-SHA-256 server and client (RFC 5802 §5, §7 with RFC 7677's hash), no channel binding:
//   C: n,,n=<saslname>,r=<c-nonce>
//   S: r=<c-nonce><s-nonce>,s=<base64 salt>,i=<iterations>
//   C: c=biws,r=<c-nonce><s-nonce>,p=<base64 ClientProof>
//   S: v=<base64 ServerSignature>          (or e=<error> on failure)
// Every message is base64 on the TSP wire; the session does that.
#include "tsp/sasl/scram_sha256.h"

#include "util/strings.h"

#include <charconv>
#include <vector>

#include "tsp/sasl/mechanism_factories.h"

namespace dstm::tsp::sasl::detail {
namespace {

constexpr std::size_t kNonceBytes = 18;  // 36 hex characters from the default source
// RFC 5802 §7 server-error-value. Unknown users get the same error as wrong passwords, so the
// error does not tell a prober which names exist.
constexpr std::string_view kInvalidProof = "e=invalid-proof";

// The value of attribute `a` ("r=..." for 'r'), if `part` is that attribute.
std::optional<std::string_view> attribute(std::string_view part, char a) {
  if (part.size() < 2 || part[0] != a || part[1] != '=') return std::nullopt;
  return part.substr(2);
}

// RFC 5802 §7 printable: %x21-2B / %x2D-7E (no comma), at least one character.
bool is_scram_nonce(std::string_view nonce) {
  if (nonce.empty()) return false;
  for (char c : nonce) {
    if (c < 0x21 || c > 0x7e || c == ',') return false;
  }
  return true;
}

// The parts of a client-first-message the server keeps.
struct ClientFirst {
  std::string gs2_header;  // "n,," / "y,," / "n,a=...," exactly as sent (c= must repeat it)
  std::string bare;        // client-first-message-bare, part of AuthMessage
  std::string username;
  std::string nonce;
};

// RFC 5802 §7: gs2-header = gs2-cbind-flag "," [authzid] ","; client-first-message-bare =
// [reserved-mext ","] username "," nonce ["," extensions].
std::optional<ClientFirst> parse_client_first(std::string_view message, std::string& why) {
  auto fail = [&why](const char* reason) {
    why = std::string("SCRAM: ") + reason;
    return std::nullopt;
  };
  if (message.substr(0, 2) == "p=") return fail("channel binding requested but not offered");
  if (message.substr(0, 2) != "n," && message.substr(0, 2) != "y,") {
    return fail("bad gs2 header");
  }
  const std::size_t header_end = message.find(',', 2);
  if (header_end == std::string_view::npos) return fail("bad gs2 header");
  const std::string_view authzid_part = message.substr(2, header_end - 2);
  ClientFirst first;
  first.gs2_header = std::string(message.substr(0, header_end + 1));
  first.bare = std::string(message.substr(header_end + 1));
  const auto parts = dstm::split(first.bare, ',');
  if (attribute(parts[0], 'm')) return fail("unsupported mandatory extension");
  const auto name = attribute(parts[0], 'n');
  const auto nonce = parts.size() > 1 ? attribute(parts[1], 'r') : std::nullopt;
  if (!name || !nonce) return fail("client-first lacks n= or r=");
  const auto user = scram_unescape_name(*name);
  if (!user) return fail("bad saslname");
  if (!is_scram_nonce(*nonce)) return fail("bad client nonce");
  if (!authzid_part.empty()) {
    const auto authzid = attribute(authzid_part, 'a');
    const auto az = authzid ? scram_unescape_name(*authzid) : std::nullopt;
    // We cannot act for another identity: the authzid must be the user's own name.
    if (!az || *az != *user) return fail("authorization identity differs from the user name");
  }
  first.username = *user;
  first.nonce = std::string(*nonce);
  return first;
}

class ScramServer final : public ServerMechanism {
 public:
  ScramServer(const ServerOptions& options, const CredentialStore& store, NonceSource& nonces)
      : options_(options), store_(store), nonces_(nonces) {}

  Mechanism mechanism() const override { return Mechanism::kScramSha256; }

  ServerStep step(std::string_view client_message) override {
    const State state = state_;
    state_ = State::kFinished;  // every path below but server-first ends the exchange
    if (state != State::kFinished && client_message.size() > kMaxSaslMessageBytes) {
      return server_failure("SCRAM: message too long");
    }
    switch (state) {
      case State::kStart:
        return server_first(client_message);
      case State::kFirstSent:
        return server_final(client_message);
      case State::kFinished:
        break;
    }
    return server_failure("SCRAM: exchange already finished");
  }

 private:
  enum class State { kStart, kFirstSent, kFinished };

  ServerStep server_first(std::string_view message) {
    std::string why;
    auto first = parse_client_first(message, why);
    if (!first) return server_failure(std::move(why));
    const std::string server_nonce = nonces_.nonce(kNonceBytes);
    if (!is_usable_nonce(server_nonce)) return server_failure("SCRAM: no usable nonce");
    choose_verifier(first->username);
    client_first_ = std::move(*first);
    nonce_ = client_first_.nonce + server_nonce;
    server_first_ = "r=" + nonce_ + ",s=" + base64_encode(verifier_.salt) +
                    ",i=" + std::to_string(verifier_.iterations);
    state_ = State::kFirstSent;
    return server_continue(server_first_);
  }

  // Unknown users (and users without a SCRAM verifier) get a stable fake salt and iteration
  // count and go through the whole exchange, failing only at the proof.
  void choose_verifier(const std::string& username) {
    const auto record = store_.find(username);
    known_ = record && record->scram;
    verifier_ = known_ ? *record->scram
                       : unknown_user_verifier(username, unknown_user_secret(options_),
                                               options_.unknown_user_iterations);
  }

  // RFC 5802 §7: client-final-message = channel-binding "," nonce ["," extensions] "," proof.
  ServerStep server_final(std::string_view message) {
    const std::size_t proof_at = message.rfind(",p=");
    if (proof_at == std::string_view::npos) return server_failure("SCRAM: no proof");
    const std::string_view without_proof = message.substr(0, proof_at);
    const auto proof = base64_decode(message.substr(proof_at + 3));
    const auto parts = dstm::split(without_proof, ',');
    const auto binding = attribute(parts[0], 'c');
    const auto nonce = parts.size() > 1 ? attribute(parts[1], 'r') : std::nullopt;
    if (!proof || !binding || !nonce) return server_failure("SCRAM: malformed client-final");
    // §5.1: without channel binding c= is base64 of the gs2 header the client sent ("biws").
    const auto cbind_input = base64_decode(*binding);
    if (!cbind_input || *cbind_input != client_first_.gs2_header) {
      return server_failure("SCRAM: channel binding data does not match the gs2 header");
    }
    if (*nonce != nonce_) return server_failure("SCRAM: nonce is not ours (replay?)");
    // §3: AuthMessage = client-first-message-bare "," server-first-message ","
    //     client-final-message-without-proof
    const std::string auth_message =
        client_first_.bare + "," + server_first_ + "," + std::string(without_proof);
    const bool match = scram_proof_matches(verifier_.stored_key, auth_message, *proof);
    const std::string& user = client_first_.username;
    if (!known_) {
      return server_failure("SCRAM: unknown user '" + user + "'", std::string(kInvalidProof));
    }
    if (!match) {
      return server_failure("SCRAM: wrong password for '" + user + "'", std::string(kInvalidProof));
    }
    const Sha256Digest signature = scram_server_signature(verifier_.server_key, auth_message);
    return server_success("v=" + base64_encode(as_view(signature)), user);
  }

  ServerOptions options_;
  const CredentialStore& store_;
  NonceSource& nonces_;
  State state_ = State::kStart;
  ClientFirst client_first_;
  ScramVerifier verifier_;
  bool known_ = false;
  std::string nonce_;
  std::string server_first_;
};

// The parts of a server-first-message the client uses.
struct ServerFirst {
  std::string_view nonce;
  std::string salt;
  std::uint32_t iterations = 0;
};

// RFC 5802 §7: server-first-message = [reserved-mext ","] nonce "," salt "," iteration-count
// ["," extensions].
std::optional<ServerFirst> parse_server_first(std::string_view message,
                                              std::string_view client_nonce, std::string& why) {
  auto fail = [&why](const char* reason) {
    why = std::string("SCRAM: ") + reason;
    return std::nullopt;
  };
  const auto parts = dstm::split(message, ',');
  if (attribute(parts[0], 'm')) return fail("unsupported mandatory extension");
  if (parts.size() < 3) return fail("malformed server-first");
  const auto nonce = attribute(parts[0], 'r');
  const auto salt_b64 = attribute(parts[1], 's');
  const auto count = attribute(parts[2], 'i');
  if (!nonce || !salt_b64 || !count) return fail("malformed server-first");
  // §5.1: the server's nonce must start with ours and add its own part.
  if (!is_scram_nonce(*nonce) || nonce->size() <= client_nonce.size() ||
      nonce->substr(0, client_nonce.size()) != client_nonce) {
    return fail("server nonce does not extend the client nonce");
  }
  auto salt = base64_decode(*salt_b64);
  if (!salt || salt->empty()) return fail("bad salt");
  std::uint32_t iterations = 0;
  const auto [end, ec] = std::from_chars(count->data(), count->data() + count->size(), iterations);
  if (ec != std::errc() || end != count->data() + count->size()) return fail("bad i=");
  // RFC 7677 §4 floor; the ceiling keeps a hostile server from making us spin.
  if (iterations < kMinScramIterations || iterations > kMaxScramIterations) {
    return fail("iteration count out of range");
  }
  return ServerFirst{*nonce, std::move(*salt), iterations};
}

class ScramClient final : public ClientMechanism {
 public:
  ScramClient(ClientCredentials credentials, NonceSource& nonces)
      : credentials_(std::move(credentials)), nonces_(nonces) {}

  Mechanism mechanism() const override { return Mechanism::kScramSha256; }

  std::optional<std::string> initial_response() override {
    if (client_first_bare_.empty()) {
      client_nonce_ = nonces_.nonce(kNonceBytes);
      client_first_bare_ = "n=" + scram_escape_name(credentials_.username) + ",r=" + client_nonce_;
    }
    return "n,," + client_first_bare_;
  }

  ClientStep step(std::string_view server_message) override {
    const State state = state_;
    state_ = State::kFinished;
    if (state != State::kFinished && server_message.size() > kMaxSaslMessageBytes) {
      return client_failure("SCRAM: server message too long");
    }
    switch (state) {
      case State::kStart:
        return client_final(server_message);
      case State::kFinalSent:
        return check_server_final(server_message);
      case State::kFinished:
        break;
    }
    return client_failure("SCRAM: exchange already finished");
  }

 private:
  enum class State { kStart, kFinalSent, kFinished };

  ClientStep client_final(std::string_view message) {
    if (client_first_bare_.empty()) return client_failure("SCRAM: initial_response() not sent");
    if (!is_usable_nonce(client_nonce_)) return client_failure("SCRAM: no usable client nonce");
    std::string why;
    const auto first = parse_server_first(message, client_nonce_, why);
    if (!first) return client_failure(std::move(why));
    const auto keys = scram_derive_keys(credentials_.password, first->salt, first->iterations);
    if (!keys) return client_failure("SCRAM: " + keys.error());
    // "biws" is base64("n,,"), the gs2 header we sent (§5.1, no channel binding).
    const std::string without_proof = "c=biws,r=" + std::string(first->nonce);
    const std::string auth_message =
        client_first_bare_ + "," + std::string(message) + "," + without_proof;
    const Sha256Digest proof = scram_client_proof(keys->client_key, auth_message);
    expected_signature_ = as_string(scram_server_signature(keys->server_key, auth_message));
    state_ = State::kFinalSent;
    return client_send(without_proof + ",p=" + base64_encode(as_view(proof)));
  }

  // §7: server-final-message = (server-error / verifier) ["," extensions].
  ClientStep check_server_final(std::string_view message) const {
    const std::string_view first = dstm::split(message, ',')[0];
    if (const auto error = attribute(first, 'e')) {
      return client_failure("SCRAM: server error: " + std::string(*error));
    }
    const auto verifier = attribute(first, 'v');
    const auto signature = verifier ? base64_decode(*verifier) : std::nullopt;
    if (!signature) return client_failure("SCRAM: malformed server-final");
    if (!constant_time_equal(*signature, expected_signature_)) {
      return client_failure("SCRAM: server signature is wrong (server not authentic)");
    }
    return client_done();
  }

  ClientCredentials credentials_;
  NonceSource& nonces_;
  State state_ = State::kStart;
  std::string client_nonce_;
  std::string client_first_bare_;
  std::string expected_signature_;
};

}  // namespace

std::unique_ptr<ServerMechanism> make_scram_sha256_server(const ServerOptions& options,
                                                          const CredentialStore& store,
                                                          NonceSource& nonces) {
  return std::make_unique<ScramServer>(options, store, nonces);
}

std::unique_ptr<ClientMechanism> make_scram_sha256_client(const ClientCredentials& credentials,
                                                          NonceSource& nonces) {
  return std::make_unique<ScramClient>(credentials, nonces);
}

}  // namespace dstm::tsp::sasl::detail
