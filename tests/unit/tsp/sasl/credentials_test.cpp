// The credentials store: the file format, its error messages, and the round trip
// make_user_record -> format_record_line -> load -> authenticate with every mechanism.
#include "tsp/sasl/credentials.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "test_support.h"
#include "tsp/sasl/digest_md5.h"
#include "tsp/sasl/mechanism.h"

namespace dstm::tsp::sasl {
namespace {

using testing::bytes;
using testing::is_continue;
using testing::is_done;
using testing::is_send;
using testing::is_success;

constexpr const char* kKey32 = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";  // 32 zero bytes
const std::string kScram = std::string("scram-sha-256:4096:c2FsdA==:") + kKey32 + ":" + kKey32;
const std::string kDigest = "digest-md5:dstm:0123456789abcdef0123456789abcdef";

// A file in the temp directory, removed when the test ends.
struct TempFile {
  explicit TempFile(const std::string& text)
      : path("/tmp/dstm_sasl_users_" + std::to_string(::getpid()) + "_" +
             std::to_string(next_id()) + ".conf") {
    std::ofstream(path, std::ios::binary) << text;
  }
  ~TempFile() { std::remove(path.c_str()); }
  static int next_id() {
    static int id = 0;
    return ++id;
  }
  std::string path;
};

TEST_CASE("credentials file: comments, blanks, CRLF, tabs and either field", "[sasl]") {
  const std::string text =
      "# TSP users\n\n   # indented comment\n"
      "alice " +
      kScram + " " + kDigest +
      "\r\n"
      "bob\t" +
      kDigest +
      "\n"
      "carol  " +
      kScram +
      "\t\n"
      "dave " +
      kDigest.substr(0, 11) + "realm:with:colons:" + std::string(32, 'A') +
      "\n"
      "erin digest-md5::" +
      std::string(32, 'b');  // no final newline
  const auto store = FileCredentialStore::parse(text, "users.conf");
  REQUIRE(store);
  CHECK(store->size() == 5);
  const auto alice = store->find("alice");
  REQUIRE(alice);
  REQUIRE(alice->scram);
  CHECK(alice->scram->iterations == 4096);
  CHECK(alice->scram->salt == "salt");
  CHECK(alice->digest_realm == "dstm");
  REQUIRE(alice->digest_ha1);
  CHECK(hex_encode(as_view(*alice->digest_ha1)) == "0123456789abcdef0123456789abcdef");
  CHECK_FALSE(store->find("bob")->scram);
  CHECK_FALSE(store->find("carol")->digest_ha1);
  CHECK(store->find("dave")->digest_realm == "realm:with:colons");
  CHECK(store->find("erin")->digest_realm.empty());
  CHECK_FALSE(store->find("mallory"));
  CHECK_FALSE(store->find("Alice"));
}

TEST_CASE("credentials file: each bad line is named by path, line and field", "[sasl]") {
  const std::pair<std::string, std::string> cases[] = {
      {"alice", "username: no scram-sha-256: or digest-md5: field"},
      {"alice password", "unknown field 'password' (expected scram-sha-256: or digest-md5:)"},
      {"alice sha1:abc", "unknown field 'sha1' (expected scram-sha-256: or digest-md5:)"},
      {"al\x01ice " + kDigest, "username: contains a control character"},
      {"alice scram-sha-256:4096:c2FsdA==:" + std::string(kKey32),
       "scram-sha-256: expected <iterations>:<salt>:<StoredKey>:<ServerKey>"},
      {"alice scram-sha-256:lots:c2FsdA==:" + std::string(kKey32) + ":" + kKey32,
       "scram-sha-256: iterations is not a decimal number"},
      {"alice scram-sha-256::c2FsdA==:" + std::string(kKey32) + ":" + kKey32,
       "scram-sha-256: iterations is not a decimal number"},
      {"alice scram-sha-256:1000:c2FsdA==:" + std::string(kKey32) + ":" + kKey32,
       "scram-sha-256: iterations must be 4096 to 10000000"},
      {"alice scram-sha-256:99999999999:c2FsdA==:" + std::string(kKey32) + ":" + kKey32,
       "scram-sha-256: iterations must be 4096 to 10000000"},
      {"alice scram-sha-256:4096:c2FsdA=:" + std::string(kKey32) + ":" + kKey32,
       "scram-sha-256: salt is not base64"},
      {"alice scram-sha-256:4096::" + std::string(kKey32) + ":" + kKey32,
       "scram-sha-256: salt is not base64"},
      {"alice scram-sha-256:4096:c2FsdA==:c2FsdA==:" + std::string(kKey32),
       "scram-sha-256: StoredKey is not 32 bytes of base64"},
      {"alice scram-sha-256:4096:c2FsdA==:" + std::string(kKey32) + ":" + "AAAA!AAA",
       "scram-sha-256: ServerKey is not 32 bytes of base64"},
      {"alice digest-md5:0123456789abcdef0123456789abcdef", "digest-md5: expected <realm>:<HA1>"},
      {"alice digest-md5:dstm:0123", "digest-md5: HA1 is not 32 hex digits"},
      {"alice digest-md5:dstm:" + std::string(32, 'x'), "digest-md5: HA1 is not 32 hex digits"},
      {"alice " + kDigest + " " + kDigest, "digest-md5: given twice"},
      {"alice " + kScram + " " + kScram, "scram-sha-256: given twice"},
  };
  for (const auto& [line, message] : cases) {
    INFO(line);
    const auto store =
        FileCredentialStore::parse("# header\n\nok " + kDigest + "\n" + line + "\n", "users.conf");
    REQUIRE_FALSE(store);
    CHECK(store.error() == "users.conf:4: " + message);
  }
}

TEST_CASE("credentials file: a user listed twice", "[sasl]") {
  const auto store =
      FileCredentialStore::parse("alice " + kDigest + "\n#\nalice " + kScram, "u.conf");
  REQUIRE_FALSE(store);
  CHECK(store.error() == "u.conf:3: username: 'alice' appears twice");
}

TEST_CASE("credentials file: load from disk, and a missing file", "[sasl]") {
  const TempFile file("alice " + kDigest + "\n");
  const auto store = FileCredentialStore::load(file.path);
  REQUIRE(store);
  CHECK(store->find("alice"));
  const auto missing = FileCredentialStore::load("/nonexistent/dstm/users.conf");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().rfind("/nonexistent/dstm/users.conf: cannot open: ", 0) == 0);
  const auto directory = FileCredentialStore::load("/tmp");
  REQUIRE_FALSE(directory);
  CHECK(directory.error().rfind("/tmp: cannot read: ", 0) == 0);
  const TempFile bad("alice\n");
  const auto broken = FileCredentialStore::load(bad.path);
  REQUIRE_FALSE(broken);
  CHECK(broken.error() == bad.path + ":1: username: no scram-sha-256: or digest-md5: field");
}

TEST_CASE("make_user_record: which fields, iteration floor, no plaintext", "[sasl]") {
  OpenSslNonceSource salts;
  const UserRecord both = make_user_record("alice", "s3cr3t-pw", "dstm", 4096, salts);
  REQUIRE(both.scram);
  CHECK(both.scram->salt.size() == 16);  // the default source's hex decoded to raw bytes
  CHECK(both.digest_ha1 == digest_md5_ha1("alice", "dstm", "s3cr3t-pw"));
  const std::string line = format_record_line(both);
  CHECK(line.find("s3cr3t-pw") == std::string::npos);
  CHECK(line.rfind("alice scram-sha-256:4096:", 0) == 0);
  CHECK(line.find(" digest-md5:dstm:") != std::string::npos);

  CHECK_FALSE(make_user_record("a", "p", "", 4096, salts).digest_ha1);
  CHECK_FALSE(make_user_record("a", "p", "dstm", 0, salts).scram);
  CHECK(make_user_record("a", "p", "", 10, salts).scram->iterations == kMinScramIterations);
  testing::FixedNonceSource empty({});
  CHECK_FALSE(make_user_record("a", "p", "", 4096, empty).scram);  // no randomness, no verifier
  CHECK(make_user_record("a", "p", "", 4096, salts).scram->salt !=
        make_user_record("a", "p", "", 4096, salts).scram->salt);
}

TEST_CASE("verify_password uses the SCRAM verifier, else the HA1", "[sasl]") {
  OpenSslNonceSource salts;
  const UserRecord both = make_user_record("alice", "pw", "dstm", 4096, salts);
  CHECK(verify_password(both, "pw"));
  CHECK_FALSE(verify_password(both, "pW"));
  const UserRecord digest_only = make_user_record("bob", "pw", "dstm", 0, salts);
  CHECK(verify_password(digest_only, "pw"));
  CHECK_FALSE(verify_password(digest_only, "p"));
  CHECK_FALSE(verify_password(UserRecord{"nobody", std::nullopt, {}, std::nullopt}, "pw"));
}

TEST_CASE("unknown_user_verifier is stable per user and secret", "[sasl]") {
  const ScramVerifier a = unknown_user_verifier("ghost", "k1", 4096);
  CHECK(a.salt == unknown_user_verifier("ghost", "k1", 4096).salt);
  CHECK(a.salt.size() == 16);
  CHECK(a.salt != unknown_user_verifier("ghost", "k2", 4096).salt);
  CHECK(a.salt != unknown_user_verifier("ghosT", "k1", 4096).salt);
  CHECK(a.stored_key != a.server_key);
  CHECK(unknown_user_verifier("ghost", "k1", 1).iterations == kMinScramIterations);
  CHECK(process_secret().size() == 32);
  CHECK(&process_secret() == &process_secret());
}

// Full exchanges of one mechanism between our client and server.
bool authenticates(Mechanism m, const CredentialStore& store, const ClientCredentials& creds) {
  OpenSslNonceSource nonces;
  auto server = make_server_mechanism(m, ServerOptions{}, store, nonces);
  auto client = make_client_mechanism(m, creds, "broker.example", nonces);
  std::string to_server = client->initial_response().value_or("");
  for (int round = 0; round < 3; ++round) {
    const ServerStep s = server->step(to_server);
    if (is_success(s)) return is_done(client->step(s.message));
    if (!is_continue(s)) return false;
    const ClientStep c = client->step(s.message);
    if (!is_send(c)) return false;
    to_server = c.message;
  }
  return false;
}

TEST_CASE("round trip: make_user_record -> line -> load -> every mechanism", "[sasl]") {
  OpenSslNonceSource salts;
  const std::string text =
      "# made by the user tool\n" +
      format_record_line(make_user_record("alice", "secret", "dstm", 4096, salts)) + "\n" +
      format_record_line(make_user_record("bob", "b0b", "dstm", 5000, salts)) + "\n";
  const TempFile file(text);
  const auto store = FileCredentialStore::load(file.path);
  REQUIRE(store);
  CHECK(store->find("bob")->scram->iterations == 5000);
  for (Mechanism m : {Mechanism::kPlain, Mechanism::kDigestMd5, Mechanism::kScramSha256}) {
    INFO(wire_name(m));
    CHECK(authenticates(m, *store, {"alice", "secret"}));
    CHECK(authenticates(m, *store, {"bob", "b0b"}));
    CHECK_FALSE(authenticates(m, *store, {"alice", "b0b"}));
    CHECK_FALSE(authenticates(m, *store, {"carol", "secret"}));
  }
  // The same line parses back to the same line.
  const std::string line = format_record_line(*store->find("alice"));
  const auto again = FileCredentialStore::parse(line, "x");
  REQUIRE(again);
  CHECK(format_record_line(*again->find("alice")) == line);
}

TEST_CASE("is_storable_username", "[sasl]") {
  CHECK(is_storable_username("alice"));
  CHECK(is_storable_username("al\"ice@example.org"));
  CHECK(is_storable_username("\xc3\xa9lise"));
  CHECK_FALSE(is_storable_username(""));
  CHECK_FALSE(is_storable_username("#alice"));
  CHECK_FALSE(is_storable_username("al ice"));
  CHECK_FALSE(is_storable_username(bytes("al\0ice")));
  CHECK_FALSE(is_storable_username("al\x7f"));
}

}  // namespace
}  // namespace dstm::tsp::sasl
