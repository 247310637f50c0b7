// SCRAM-SHA-256: RFC 7677 §3's published exchange through both our client and our server, then
// each side against the other and every way a message can be wrong.
#include "tsp/sasl/scram_sha256.h"

#include <catch2/catch.hpp>

#include "test_support.h"
#include "tsp/sasl/mechanism.h"

namespace dstm::tsp::sasl {
namespace {

using testing::is_continue;
using testing::is_done;
using testing::is_failure;
using testing::is_send;
using testing::is_success;

// RFC 7677 §3 (user "user", password "pencil").
constexpr std::string_view kClientNonce = "rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view kServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
constexpr std::string_view kClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view kServerFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr std::string_view kClientFinal =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr std::string_view kServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

MemoryCredentialStore rfc_store() {
  const auto salt = base64_decode("W22ZaJ0SNY7soEsUEjb6gQ==");
  REQUIRE(salt);
  auto verifier = make_scram_verifier("pencil", *salt, 4096);
  REQUIRE(verifier);
  MemoryCredentialStore store;
  store.add(UserRecord{"user", *verifier, {}, std::nullopt});
  return store;
}

TEST_CASE("SCRAM client replays RFC 7677 §3 byte for byte", "[sasl]") {
  testing::FixedNonceSource nonces({std::string(kClientNonce)});
  auto client = make_client_mechanism(Mechanism::kScramSha256, {"user", "pencil"}, "", nonces);
  CHECK(client->initial_response() == kClientFirst);
  const ClientStep final_message = client->step(kServerFirst);
  REQUIRE(is_send(final_message));
  CHECK(final_message.message == kClientFinal);
  CHECK(is_done(client->step(kServerFinal)));
  CHECK(is_failure(client->step(kServerFinal)));
}

TEST_CASE("SCRAM server replays RFC 7677 §3 byte for byte", "[sasl]") {
  const MemoryCredentialStore store = rfc_store();
  testing::FixedNonceSource nonces({std::string(kServerNonce)});
  auto server = make_server_mechanism(Mechanism::kScramSha256, ServerOptions{}, store, nonces);
  const ServerStep first = server->step(kClientFirst);
  REQUIRE(is_continue(first));
  CHECK(first.message == kServerFirst);
  const ServerStep final_step = server->step(kClientFinal);
  REQUIRE(is_success(final_step));
  CHECK(final_step.message == kServerFinal);
  CHECK(final_step.identity == "user");
  CHECK(is_failure(server->step(kClientFinal)));  // single use
}

// Runs a whole exchange between our client and server; returns the server's last step.
ServerStep run_exchange(const CredentialStore& store, const ClientCredentials& creds,
                        ClientStep* client_last = nullptr) {
  OpenSslNonceSource nonces;
  auto server = make_server_mechanism(Mechanism::kScramSha256, ServerOptions{}, store, nonces);
  auto client = make_client_mechanism(Mechanism::kScramSha256, creds, "", nonces);
  const ServerStep first = server->step(*client->initial_response());
  if (!is_continue(first)) return first;
  const ClientStep final_message = client->step(first.message);
  REQUIRE(is_send(final_message));
  const ServerStep last = server->step(final_message.message);
  if (client_last) *client_last = client->step(last.message);
  return last;
}

TEST_CASE("SCRAM client and server agree; a wrong password gets e=invalid-proof", "[sasl]") {
  const MemoryCredentialStore store = rfc_store();
  ClientStep client_last{};
  const ServerStep ok = run_exchange(store, {"user", "pencil"}, &client_last);
  CHECK(is_success(ok));
  CHECK(is_done(client_last));
  const ServerStep bad = run_exchange(store, {"user", "pen"}, &client_last);
  CHECK(is_failure(bad));
  CHECK(bad.message == "e=invalid-proof");
  CHECK(is_failure(client_last));
}

TEST_CASE("SCRAM unknown users look like real ones and fail only at the proof", "[sasl]") {
  const MemoryCredentialStore store = rfc_store();
  ServerOptions options;
  options.unknown_user_secret = "test secret";
  auto server_first_for = [&](std::string_view client_first) {
    OpenSslNonceSource nonces;
    auto server = make_server_mechanism(Mechanism::kScramSha256, options, store, nonces);
    const ServerStep step = server->step(client_first);
    REQUIRE(is_continue(step));
    return step.message.substr(step.message.find(",s="));  // ",s=<salt>,i=<count>"
  };
  const std::string ghost = server_first_for("n,,n=ghost,r=abc");
  CHECK(ghost == server_first_for("n,,n=ghost,r=xyz"));  // stable, like a stored salt
  CHECK(ghost != server_first_for("n,,n=phantom,r=abc"));
  CHECK(ghost.size() == server_first_for("n,,n=user,r=abc").size());  // same shape as real
  const ServerStep last = run_exchange(store, {"ghost", "pencil"});
  CHECK(is_failure(last));
  CHECK(last.message == "e=invalid-proof");  // same error as a wrong password
}

TEST_CASE("SCRAM user names with ',' and '=' are escaped and restored", "[sasl]") {
  CHECK(scram_escape_name("a,b=c") == "a=2Cb=3Dc");
  CHECK(scram_unescape_name("a=2Cb=3Dc") == "a,b=c");
  CHECK_FALSE(scram_unescape_name("a=2c"));
  CHECK_FALSE(scram_unescape_name("a="));
  CHECK_FALSE(scram_unescape_name("a=41"));
  CHECK_FALSE(scram_unescape_name(""));
  testing::FixedNonceSource salts({"0123456789abcdef0123456789abcdef"});
  MemoryCredentialStore store;
  store.add(make_user_record("a,b=c", "pw", "", 4096, salts));
  const ServerStep last = run_exchange(store, {"a,b=c", "pw"});
  CHECK(is_success(last));
  CHECK(last.identity == "a,b=c");
}

// A server that has answered the RFC client-first.
struct FirstDoneServer {
  explicit FirstDoneServer(const CredentialStore& store, std::string_view client_first)
      : server(make_server_mechanism(Mechanism::kScramSha256, ServerOptions{}, store, nonces)) {
    REQUIRE(is_continue(server->step(client_first)));
  }
  testing::FixedNonceSource nonces{{std::string(kServerNonce)}};
  std::unique_ptr<ServerMechanism> server;
};

TEST_CASE("SCRAM server gs2 header rules", "[sasl]") {
  const MemoryCredentialStore store = rfc_store();
  OpenSslNonceSource nonces;
  auto first = [&](std::string_view message) {
    auto server = make_server_mechanism(Mechanism::kScramSha256, ServerOptions{}, store, nonces);
    return server->step(message);
  };
  CHECK(is_continue(first("y,,n=user,r=abc")));
  CHECK(is_continue(first("n,a=user,n=user,r=abc")));
  CHECK(is_continue(first("n,,n=user,r=abc,x=extension")));
  for (const char* bad : {"p=tls-unique,,n=user,r=abc", "n,a=other,n=user,r=abc",
                          "n,a=,n=user,r=abc", "x,,n=user,r=abc", "n,,m=ext,n=user,r=abc",
                          "n,,n=us=er,r=abc", "n,,n=,r=abc", "n,,r=abc,n=user", "n,,n=user",
                          "n,,n=user,r=", "n,,n=user,r=a\x01", "n,,", "n,", "", "\xff\xfe"}) {
    INFO(bad);
    CHECK(is_failure(first(bad)));
  }
  CHECK(is_failure(first("n,,n=user,r=" + std::string(5000, 'r'))));
}

TEST_CASE("SCRAM server refuses every broken client-final", "[sasl]") {
  const MemoryCredentialStore store = rfc_store();
  const std::string good(kClientFinal);
  const std::string nonce = "r=" + std::string(kClientNonce) + std::string(kServerNonce);
  std::string flipped = good;
  flipped[flipped.size() - 3] = flipped[flipped.size() - 3] == 'A' ? 'B' : 'A';
  const std::pair<const char*, std::string> bad[] = {
      {"tampered proof", flipped},
      {"proof of the wrong length", "c=biws," + nonce + ",p=dHzbZapWIk4jUhN+"},
      {"proof not base64", "c=biws," + nonce + ",p=!!!!"},
      {"no proof", "c=biws," + nonce},
      {"c= for another gs2 header", "c=eSws," + nonce + ",p=" + good.substr(good.find("p=") + 2)},
      {"c= not base64", "c=b?ws," + nonce + ",p=" + good.substr(good.find("p=") + 2)},
      {"nonce changed", "c=biws,r=rOprNGfwEbeRWgbNEkqOx,p=" + good.substr(good.find("p=") + 2)},
      {"nonce missing", "c=biws,p=" + good.substr(good.find("p=") + 2)},
      {"truncated", good.substr(0, 30)},
      {"garbage", "\x01\x02,p=\xff"},
      {"empty", ""},
      {"oversized", good + std::string(5000, 'x')},
  };
  for (const auto& [what, message] : bad) {
    INFO(what);
    FirstDoneServer s(store, kClientFirst);
    const ServerStep step = s.server->step(message);
    CHECK(is_failure(step));
    CHECK_FALSE(step.reason.empty());
    CHECK(is_failure(s.server->step(kClientFinal)));  // spent, even for the right proof
  }
}

// A client-final with a *valid* proof for whatever `without_proof` says, as a client that knows
// the password would make it; shows the server checks c= and r= themselves, not only the proof.
std::string final_with_valid_proof(const std::string& without_proof) {
  const auto salt = base64_decode("W22ZaJ0SNY7soEsUEjb6gQ==");
  const auto keys = scram_derive_keys("pencil", *salt, 4096);
  REQUIRE(keys);
  const std::string auth_message =
      std::string(kClientFirst.substr(3)) + "," + std::string(kServerFirst) + "," + without_proof;
  return without_proof +
         ",p=" + base64_encode(as_view(scram_client_proof(keys->client_key, auth_message)));
}

TEST_CASE("SCRAM server checks c= and r= even when the proof is valid for them", "[sasl]") {
  const MemoryCredentialStore store = rfc_store();
  const std::string nonce = "r=" + std::string(kClientNonce) + std::string(kServerNonce);
  {
    FirstDoneServer s(store, kClientFirst);  // control: the forging helper itself is right
    CHECK(is_success(s.server->step(final_with_valid_proof("c=biws," + nonce))));
  }
  {
    FirstDoneServer s(store, kClientFirst);
    CHECK(is_failure(s.server->step(final_with_valid_proof("c=eSws," + nonce))));
  }
  {
    FirstDoneServer s(store, kClientFirst);
    CHECK(is_failure(s.server->step(final_with_valid_proof("c=biws," + nonce + "x"))));
  }
}

TEST_CASE("SCRAM replayed client-final fails against a new server nonce", "[sasl]") {
  const MemoryCredentialStore store = rfc_store();
  testing::FixedNonceSource nonces({"anotherServerNonce"});
  auto server = make_server_mechanism(Mechanism::kScramSha256, ServerOptions{}, store, nonces);
  REQUIRE(is_continue(server->step(kClientFirst)));
  CHECK(is_failure(server->step(kClientFinal)));
}

// A client that has sent the RFC client-first.
std::unique_ptr<ClientMechanism> rfc_client(const char* password = "pencil") {
  auto nonces = std::make_shared<testing::FixedNonceSource>(
      std::vector<std::string>{std::string(kClientNonce)});
  // The client keeps a reference to its nonce source; keep it alive with the client.
  struct Holder final : ClientMechanism {
    std::shared_ptr<NonceSource> source;
    std::unique_ptr<ClientMechanism> inner;
    Mechanism mechanism() const override { return inner->mechanism(); }
    std::optional<std::string> initial_response() override { return inner->initial_response(); }
    ClientStep step(std::string_view m) override { return inner->step(m); }
  };
  auto holder = std::make_unique<Holder>();
  holder->source = nonces;
  holder->inner = make_client_mechanism(Mechanism::kScramSha256, {"user", password}, "", *nonces);
  REQUIRE(holder->initial_response() == kClientFirst);
  return holder;
}

TEST_CASE("SCRAM client refuses a forged server signature or an error", "[sasl]") {
  std::string forged(kServerFinal);
  forged[5] = forged[5] == 'A' ? 'B' : 'A';
  for (const std::string& reply : {forged, std::string("e=invalid-proof"), std::string("v="),
                                   std::string("v=!!!!"), std::string("x=1"), std::string()}) {
    INFO(reply);
    auto client = rfc_client();
    REQUIRE(is_send(client->step(kServerFirst)));
    CHECK(is_failure(client->step(reply)));
  }
}

TEST_CASE("SCRAM client refuses unusable server-first messages", "[sasl]") {
  const std::string salt = ",s=W22ZaJ0SNY7soEsUEjb6gQ==";
  const std::string nonce = "r=" + std::string(kClientNonce) + std::string(kServerNonce);
  const std::pair<const char*, std::string> bad[] = {
      {"nonce not extending ours", "r=someoneElse" + salt + ",i=4096"},
      {"nonce equal to ours", "r=" + std::string(kClientNonce) + salt + ",i=4096"},
      {"too few iterations", nonce + salt + ",i=1000"},
      {"too many iterations", nonce + salt + ",i=4294967295"},
      {"iterations not a number", nonce + salt + ",i=4k"},
      {"iterations missing", nonce + salt},
      {"salt not base64", nonce + ",s=W22Z aJ0S,i=4096"},
      {"empty salt", nonce + ",s=,i=4096"},
      {"mandatory extension", "m=x," + nonce + salt + ",i=4096"},
      {"order", salt.substr(1) + "," + nonce + ",i=4096"},
      {"garbage", std::string("\xff\x00\x01", 3)},
      {"oversized", nonce + salt + ",i=4096," + std::string(5000, 'x')},
  };
  for (const auto& [what, message] : bad) {
    INFO(what);
    auto client = rfc_client();
    CHECK(is_failure(client->step(message)));
  }
}

TEST_CASE("SCRAM client without a usable nonce fails instead of sending", "[sasl]") {
  testing::FixedNonceSource nonces({});
  auto client = make_client_mechanism(Mechanism::kScramSha256, {"user", "pencil"}, "", nonces);
  REQUIRE(client->initial_response());
  CHECK(is_failure(client->step(kServerFirst)));
}

}  // namespace
}  // namespace dstm::tsp::sasl
