// PLAIN exactly as gogoc sends it (with and without the stray NUL), and ANONYMOUS.
#include <catch2/catch.hpp>

#include "test_support.h"
#include "tsp/sasl/mechanism.h"

namespace dstm::tsp::sasl {
namespace {

using testing::bytes;
using testing::is_done;
using testing::is_failure;
using testing::is_success;

// alice has a SCRAM verifier (and an HA1); dave only an HA1 for realm "dstm".
MemoryCredentialStore make_store() {
  testing::FixedNonceSource salts({"0123456789abcdef0123456789abcdef", "unused"});
  MemoryCredentialStore store;
  store.add(make_user_record("alice", "secret", "dstm", 4096, salts));
  store.add(make_user_record("dave", "hunter2", "dstm", 0, salts));
  return store;
}

ServerStep plain_once(const CredentialStore& store, std::string_view message) {
  OpenSslNonceSource nonces;
  auto server = make_server_mechanism(Mechanism::kPlain, ServerOptions{}, store, nonces);
  return server->step(message);
}

TEST_CASE("PLAIN accepts both forms gogoc puts on the wire", "[sasl]") {
  const MemoryCredentialStore store = make_store();
  for (const std::string& message : {bytes("\0\0alice\0secret"), bytes("\0alice\0secret")}) {
    const ServerStep step = plain_once(store, message);
    CHECK(is_success(step));
    CHECK(step.identity == "alice");
    CHECK(step.message.empty());
  }
}

TEST_CASE("PLAIN accepts an authzid equal to the user and trailing empty fields", "[sasl]") {
  const MemoryCredentialStore store = make_store();
  CHECK(is_success(plain_once(store, bytes("alice\0alice\0secret"))));
  CHECK(is_success(plain_once(store, bytes("\0alice\0secret\0"))));
  CHECK(is_success(plain_once(store, bytes("\0\0alice\0secret\0"))));
}

TEST_CASE("PLAIN refuses wrong passwords, other identities and extra fields", "[sasl]") {
  const MemoryCredentialStore store = make_store();
  const std::string bad[] = {
      bytes("\0alice\0wrong"),          // wrong password
      bytes("\0\0alice\0wrong"),        // same, gogoc's stray NUL form
      bytes("bob\0alice\0secret"),      // acting for someone else
      bytes("\0alice\0secret\0extra"),  // a non-empty extra field
      bytes("\0\0\0alice\0secret"),     // more than one stray NUL
      bytes("\0mallory\0secret"),       // unknown user
      bytes("\0alice\0"),               // empty password
      bytes("\0\0secret"),              // empty user
      "alice",                          // no NUL at all
      bytes("\0alice"),                 // two fields
      "",
      std::string(5000, 'a'),                      // oversized
      bytes("\0alice\0") + std::string(256, 'x'),  // password over 255 bytes
      bytes("\0") + std::string(256, 'a') + bytes("\0secret"),
  };
  for (const std::string& message : bad) {
    INFO(hex_encode(message.substr(0, 40)));
    const ServerStep step = plain_once(store, message);
    CHECK(is_failure(step));
    CHECK_FALSE(step.reason.empty());
    CHECK(step.identity.empty());
  }
}

TEST_CASE("PLAIN falls back to the DIGEST-MD5 HA1 when there is no SCRAM verifier", "[sasl]") {
  const MemoryCredentialStore store = make_store();
  CHECK(is_success(plain_once(store, bytes("\0dave\0hunter2"))));
  CHECK(is_failure(plain_once(store, bytes("\0dave\0hunter3"))));
}

TEST_CASE("PLAIN server is single use", "[sasl]") {
  const MemoryCredentialStore store = make_store();
  OpenSslNonceSource nonces;
  auto server = make_server_mechanism(Mechanism::kPlain, ServerOptions{}, store, nonces);
  CHECK(is_success(server->step(bytes("\0alice\0secret"))));
  CHECK(is_failure(server->step(bytes("\0alice\0secret"))));
}

TEST_CASE("PLAIN client sends gogoc's message and expects no server data", "[sasl]") {
  OpenSslNonceSource nonces;
  auto client = make_client_mechanism(Mechanism::kPlain, {"alice", "secret"}, "", nonces);
  CHECK(client->initial_response() == bytes("\0alice\0secret"));
  CHECK(is_done(client->step("")));
  CHECK(is_failure(client->step("")));
  auto other = make_client_mechanism(Mechanism::kPlain, {"alice", "secret"}, "", nonces);
  CHECK(is_failure(other->step("unexpected")));
}

TEST_CASE("PLAIN client against the server", "[sasl]") {
  const MemoryCredentialStore store = make_store();
  OpenSslNonceSource nonces;
  auto good = make_client_mechanism(Mechanism::kPlain, {"alice", "secret"}, "", nonces);
  CHECK(is_success(plain_once(store, *good->initial_response())));
  auto bad = make_client_mechanism(Mechanism::kPlain, {"alice", "Secret"}, "", nonces);
  CHECK(is_failure(plain_once(store, *bad->initial_response())));
}

TEST_CASE("ANONYMOUS succeeds at once as \"anonymous\", once", "[sasl]") {
  MemoryCredentialStore store;
  OpenSslNonceSource nonces;
  auto server = make_server_mechanism(Mechanism::kAnonymous, ServerOptions{}, store, nonces);
  const ServerStep step = server->step("");
  CHECK(is_success(step));
  CHECK(step.identity == "anonymous");
  CHECK(step.message.empty());
  CHECK(is_failure(server->step("")));

  auto big = make_server_mechanism(Mechanism::kAnonymous, ServerOptions{}, store, nonces);
  CHECK(is_failure(big->step(std::string(5000, 't'))));

  auto client = make_client_mechanism(Mechanism::kAnonymous, {}, "", nonces);
  CHECK_FALSE(client->initial_response());
  CHECK(is_done(client->step("")));
  CHECK(is_failure(client->step("")));
}

}  // namespace
}  // namespace dstm::tsp::sasl
