// DIGEST-MD5: RFC 2831 §4's published exchange, the exact TSP texts (tsps' challenge, gogoc's
// ResponseFmt), and every way a response can be wrong.
#include "tsp/sasl/digest_md5.h"

#include <catch2/catch.hpp>
#include <cctype>
#include <optional>

#include "test_support.h"
#include "tsp/sasl/mechanism.h"

namespace dstm::tsp::sasl {
namespace {

using testing::is_continue;
using testing::is_done;
using testing::is_failure;
using testing::is_send;
using testing::is_success;

constexpr std::string_view kNonce = "0123456789abcdef0123456789abcdef";

TEST_CASE("DIGEST-MD5 computation reproduces RFC 2831 §4", "[sasl]") {
  DigestMd5Params p;
  p.ha1 = digest_md5_ha1("chris", "elwood.innosoft.com", "secret");
  p.nonce = "OA6MG9tEQGm2hh";
  p.cnonce = "OA6MHXh6VqTrRk";
  p.digest_uri = "imap/elwood.innosoft.com";
  CHECK(digest_md5_response(p) == "d388dad90d4bbd760a152321f2143af7");
  CHECK(digest_md5_rspauth(p) == "ea40f60335c427b5527b84dbabcdfffd");
  p.cnonce = "OA6MHXh6VqTrRl";  // any change must change the result
  CHECK(digest_md5_response(p) != "d388dad90d4bbd760a152321f2143af7");
}

TEST_CASE("directive parser reads RFC 2831 §4's folded response", "[sasl]") {
  const auto d = parse_digest_directives(
      "charset=utf-8,username=\"chris\",realm=\"elwood.innosoft.com\",\r\n"
      "   nonce=\"OA6MG9tEQGm2hh\",nc=00000001,cnonce=\"OA6MHXh6VqTrRk\",\r\n"
      "   digest-uri=\"imap/elwood.innosoft.com\",\r\n"
      "   response=d388dad90d4bbd760a152321f2143af7,qop=auth");
  REQUIRE(d);
  REQUIRE(d->size() == 9);
  CHECK((*d)[0] == std::pair<std::string, std::string>{"charset", "utf-8"});
  CHECK((*d)[3] == std::pair<std::string, std::string>{"nonce", "OA6MG9tEQGm2hh"});
  CHECK((*d)[8] == std::pair<std::string, std::string>{"qop", "auth"});
}

TEST_CASE("directive parser: spaces, empty elements, escapes, case, errors", "[sasl]") {
  const auto d = parse_digest_directives(
      " ,Realm = \"a\\\"b\\\\c\" ,, qop=\"auth,auth-int\",digest-uri=tsp/hexos ,");
  REQUIRE(d);
  REQUIRE(d->size() == 3);
  CHECK((*d)[0] == std::pair<std::string, std::string>{"realm", "a\"b\\c"});
  CHECK((*d)[1] == std::pair<std::string, std::string>{"qop", "auth,auth-int"});
  CHECK((*d)[2] == std::pair<std::string, std::string>{"digest-uri", "tsp/hexos"});
  CHECK(parse_digest_directives("")->empty());
  for (const char* bad : {"realm=\"open", "realm", "=x", "realm=", "a=\"x\"y", "a=b c", "a=\"x\\",
                          "a=b\x01", "a b=c"}) {
    INFO(bad);
    CHECK_FALSE(parse_digest_directives(bad));
  }
}

TEST_CASE("DIGEST-MD5 challenge is byte-identical to tsps'", "[sasl]") {
  CHECK(digest_md5_challenge("dstm", kNonce) ==
        "realm=\"dstm\",nonce=\"0123456789abcdef0123456789abcdef\",qop=auth,"
        "algorithm=md5-sess,charset=utf8");
  MemoryCredentialStore store;
  testing::FixedNonceSource nonces({std::string(kNonce)});
  auto server = make_server_mechanism(Mechanism::kDigestMd5, ServerOptions{}, store, nonces);
  const ServerStep step = server->step("");
  CHECK(is_continue(step));
  CHECK(step.message == digest_md5_challenge("dstm", kNonce));
}

TEST_CASE("default DIGEST-MD5 nonces are 32 hex digits and never repeat", "[sasl]") {
  MemoryCredentialStore store;
  OpenSslNonceSource nonces;
  auto a = make_server_mechanism(Mechanism::kDigestMd5, ServerOptions{}, store, nonces);
  auto b = make_server_mechanism(Mechanism::kDigestMd5, ServerOptions{}, store, nonces);
  const std::string ca = a->step("").message;
  CHECK(ca != b->step("").message);
  const auto d = parse_digest_directives(ca);
  REQUIRE(d);
  CHECK((*d)[1].second.size() == 32);
  CHECK(hex_decode((*d)[1].second));
}

// A response as gogoc's ResponseFmt writes it, with each field open to tampering.
struct GogocResponse {
  std::string charset = "utf8";
  std::string username = "alice";
  std::string password = "secret";
  std::string realm = "dstm";
  std::optional<std::string> realm_field;  // what realm= says, when not `realm` (the hashed one)
  std::string nonce = std::string(kNonce);
  std::string nc = "00000001";
  std::string cnonce = "1700000000";  // gogoc's cnonce is time(NULL) in decimal
  std::string digest_uri = "tsp/broker.example:3653";
  std::string qop = "auth";

  std::string response() const {
    DigestMd5Params p;
    p.ha1 = digest_md5_ha1(username, realm, password);
    p.nonce = nonce;
    p.cnonce = cnonce;
    p.nc = nc;
    p.qop = qop;
    p.digest_uri = digest_uri;
    return digest_md5_response(p);
  }
  std::string rspauth() const {
    DigestMd5Params p;
    p.ha1 = digest_md5_ha1(username, realm, password);
    p.nonce = nonce;
    p.cnonce = cnonce;
    p.digest_uri = digest_uri;
    return digest_md5_rspauth(p);
  }
  std::string text() const { return text_with(response()); }
  std::string text_with(const std::string& response_hex) const {
    return "charset=" + charset + ",username=\"" + username + "\",realm=\"" +
           realm_field.value_or(realm) + "\",nonce=\"" + nonce + "\",nc=" + nc + ",cnonce=\"" +
           cnonce + "\",digest-uri=\"" + digest_uri + "\",response=" + response_hex + ",qop=" + qop;
  }
};

// alice/secret and "a\"b\\c"/pw in realm dstm; erin/secret only in realm "other".
MemoryCredentialStore make_store() {
  MemoryCredentialStore store;
  testing::FixedNonceSource salts({});
  store.add(make_user_record("alice", "secret", "dstm", 0, salts));
  store.add(make_user_record("a\"b\\c", "pw", "dstm", 0, salts));
  store.add(make_user_record("erin", "secret", "other", 0, salts));
  return store;
}

// A server that has sent its challenge with nonce kNonce.
struct ChallengedServer {
  explicit ChallengedServer(const CredentialStore& store, ServerOptions options = {})
      : server(make_server_mechanism(Mechanism::kDigestMd5, options, store, nonces)) {
    REQUIRE(is_continue(server->step("")));
  }
  testing::FixedNonceSource nonces{{std::string(kNonce)}};
  std::unique_ptr<ServerMechanism> server;
};

TEST_CASE("DIGEST-MD5 server accepts gogoc's exact response and answers rspauth", "[sasl]") {
  const MemoryCredentialStore store = make_store();
  ChallengedServer s(store);
  const GogocResponse r;
  const ServerStep step = s.server->step(r.text());
  REQUIRE(is_success(step));
  CHECK(step.identity == "alice");
  CHECK(step.message == "rspauth=" + r.rspauth());
  CHECK(is_failure(s.server->step(r.text())));  // single use: a replay after success fails
}

TEST_CASE("DIGEST-MD5 server takes digest-uri from the client (tsp-ruby's tsp/hexos)", "[sasl]") {
  const MemoryCredentialStore store = make_store();
  ChallengedServer s(store);
  GogocResponse r;
  r.digest_uri = "tsp/hexos";
  CHECK(is_success(s.server->step(r.text())));
}

TEST_CASE("DIGEST-MD5 server tolerates order, spacing, quoting and charset=utf-8", "[sasl]") {
  const MemoryCredentialStore store = make_store();
  ChallengedServer s(store);
  GogocResponse r;
  const std::string text = "qop=\"auth\", response=" + r.response() + " , digest-uri=\"" +
                           r.digest_uri + "\",cnonce=" + r.cnonce +
                           ",nc=00000001,nonce=" + r.nonce +
                           ",realm=dstm, username=alice,charset=utf-8,maxbuf=65536";
  CHECK(is_success(s.server->step(text)));
}

TEST_CASE("DIGEST-MD5 server accepts upper-case hex and an escaped user name", "[sasl]") {
  const MemoryCredentialStore store = make_store();
  {
    ChallengedServer s(store);
    GogocResponse r;
    std::string upper = r.response();
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    CHECK(is_success(s.server->step(r.text_with(upper))));
  }
  ChallengedServer s(store);
  GogocResponse r;
  r.username = "a\"b\\c";
  r.password = "pw";
  std::string text = r.text();
  const std::string quoted = "username=\"a\"b\\c\"";
  text.replace(text.find(quoted), quoted.size(), "username=" + digest_quote(r.username));
  const ServerStep step = s.server->step(text);
  CHECK(is_success(step));
  CHECK(step.identity == "a\"b\\c");
}

TEST_CASE("DIGEST-MD5 server refuses every broken response", "[sasl]") {
  const MemoryCredentialStore store = make_store();
  const GogocResponse good;
  std::vector<std::pair<const char*, std::string>> bad;
  auto with = [&](const char* what, auto change) {
    GogocResponse r = good;
    change(r);
    bad.emplace_back(what, r.text());
  };
  with("wrong password", [](GogocResponse& r) { r.password = "Secret"; });
  with("wrong realm", [](GogocResponse& r) { r.realm = "other"; });
  with("realm= not ours though hashed with ours", [](GogocResponse& r) { r.realm_field = "x"; });
  with("realm= missing though ours is set", [](GogocResponse& r) { r.realm_field = ""; });
  with("HA1 only for another realm", [](GogocResponse& r) { r.username = "erin"; });
  with("unknown user", [](GogocResponse& r) { r.username = "mallory"; });
  with("other nonce (replay)", [](GogocResponse& r) { r.nonce = "fedcba9876543210"; });
  with("nc=00000002", [](GogocResponse& r) { r.nc = "00000002"; });
  with("qop=auth-int", [](GogocResponse& r) { r.qop = "auth-int"; });
  with("not the tsp service", [](GogocResponse& r) { r.digest_uri = "imap/broker.example"; });
  with("empty cnonce", [](GogocResponse& r) { r.cnonce = ""; });
  bad.emplace_back("response not hex", good.text_with(std::string(32, 'g')));
  bad.emplace_back("response too short", good.text_with(good.response().substr(1)));
  std::string tampered = good.response();
  tampered[0] = tampered[0] == '0' ? '1' : '0';
  bad.emplace_back("tampered response", good.text_with(tampered));
  bad.emplace_back("authzid of another user", good.text() + ",authzid=\"bob\"");
  bad.emplace_back("repeated directive", good.text() + ",nc=00000001");
  bad.emplace_back("no response directive", good.text().substr(0, good.text().find(",response=")));
  bad.emplace_back("truncated", good.text().substr(0, 60));
  bad.emplace_back("garbage", std::string("\x01\x02\xff\"=,,", 7));
  bad.emplace_back("empty", "");
  bad.emplace_back("oversized", good.text() + ",x=\"" + std::string(5000, 'x') + "\"");
  for (const auto& [what, text] : bad) {
    INFO(what);
    ChallengedServer s(store);
    const ServerStep step = s.server->step(text);
    CHECK(is_failure(step));
    CHECK_FALSE(step.reason.empty());
    CHECK(step.message.empty());
    CHECK(is_failure(s.server->step(good.text())));  // and the nonce is spent
  }
}

TEST_CASE("DIGEST-MD5 uses an HA1 only for the realm it was made for", "[sasl]") {
  // A store entry that claims realm "other" even though its HA1 was made with "dstm".
  MemoryCredentialStore store;
  store.add(UserRecord{"alice", std::nullopt, "other", digest_md5_ha1("alice", "dstm", "secret")});
  ChallengedServer s(store);
  CHECK(is_failure(s.server->step(GogocResponse{}.text())));
}

TEST_CASE("DIGEST-MD5 realm is the server's option", "[sasl]") {
  const MemoryCredentialStore store = make_store();
  ServerOptions options;
  options.realm = "other";
  ChallengedServer s(store, options);
  GogocResponse r;
  r.username = "erin";
  r.realm = "other";
  CHECK(is_success(s.server->step(r.text())));
}

TEST_CASE("DIGEST-MD5 server wants no initial data and a usable nonce", "[sasl]") {
  const MemoryCredentialStore store = make_store();
  testing::FixedNonceSource nonces({std::string(kNonce), "bad,nonce"});
  auto a = make_server_mechanism(Mechanism::kDigestMd5, ServerOptions{}, store, nonces);
  CHECK(is_failure(a->step("username=\"alice\"")));
  auto b = make_server_mechanism(Mechanism::kDigestMd5, ServerOptions{}, store, nonces);
  CHECK(is_continue(b->step("")));
  auto c = make_server_mechanism(Mechanism::kDigestMd5, ServerOptions{}, store, nonces);
  CHECK(is_failure(c->step("")));  // "bad,nonce" would break the quoted challenge
  auto d = make_server_mechanism(Mechanism::kDigestMd5, ServerOptions{}, store, nonces);
  CHECK(is_failure(d->step("")));  // source exhausted: no randomness
}

TEST_CASE("DIGEST-MD5 client writes gogoc's ResponseFmt and checks rspauth", "[sasl]") {
  testing::FixedNonceSource cnonces({"1700000000"});
  auto client = make_client_mechanism(Mechanism::kDigestMd5, {"alice", "secret"},
                                      "broker.example:3653", cnonces);
  CHECK_FALSE(client->initial_response());
  const ClientStep sent = client->step(digest_md5_challenge("dstm", kNonce));
  REQUIRE(is_send(sent));
  const GogocResponse expected;
  CHECK(sent.message == expected.text());
  CHECK(is_done(client->step("rspauth=" + expected.rspauth())));
  CHECK(is_failure(client->step("rspauth=" + expected.rspauth())));
}

TEST_CASE("DIGEST-MD5 client refuses a wrong or missing rspauth", "[sasl]") {
  const GogocResponse expected;
  std::string tampered = expected.rspauth();
  tampered[0] = tampered[0] == '0' ? '1' : '0';
  for (const std::string& reply :
       {"rspauth=" + tampered, std::string("rspauth="), std::string("nonce=\"x\""),
        std::string("\xff\xfe"), "rspauth=" + expected.rspauth() + ",rspauth=" + tampered}) {
    INFO(reply);
    testing::FixedNonceSource cnonces({"1700000000"});
    auto client = make_client_mechanism(Mechanism::kDigestMd5, {"alice", "secret"},
                                        "broker.example:3653", cnonces);
    REQUIRE(is_send(client->step(digest_md5_challenge("dstm", kNonce))));
    CHECK(is_failure(client->step(reply)));
  }
}

TEST_CASE("DIGEST-MD5 client refuses unusable challenges", "[sasl]") {
  for (const std::string& challenge :
       {std::string("realm=\"dstm\",qop=auth,algorithm=md5-sess"),  // no nonce
        std::string("nonce=\"abc\",qop=\"auth-int,auth-conf\",algorithm=md5-sess"),
        std::string("nonce=\"abc\",algorithm=md5"),  // not md5-sess
        std::string("nonce=\"abc\",nonce=\"abd\""),  // repeated
        std::string("nonce=\"unterminated"), std::string(""),
        "nonce=\"" + std::string(5000, 'n') + "\""}) {
    INFO(challenge.substr(0, 60));
    OpenSslNonceSource cnonces;
    auto client = make_client_mechanism(Mechanism::kDigestMd5, {"alice", "secret"}, "b", cnonces);
    CHECK(is_failure(client->step(challenge)));
  }
}

TEST_CASE("DIGEST-MD5 client handles a spaced qop list and a missing realm", "[sasl]") {
  testing::FixedNonceSource cnonces({"c1"});
  auto client = make_client_mechanism(Mechanism::kDigestMd5, {"alice", "secret"}, "b", cnonces);
  const ClientStep sent = client->step("nonce=\"n1\",qop=\"auth-int, auth\"");
  REQUIRE(is_send(sent));
  CHECK(sent.message.find("realm=") == std::string::npos);
  CHECK(sent.message.rfind("username=\"alice\",nonce=\"n1\",", 0) == 0);
}

TEST_CASE("DIGEST-MD5 client and server agree; the wrong password fails", "[sasl]") {
  const MemoryCredentialStore store = make_store();
  for (const auto& [password, ok] : {std::pair{"secret", true}, std::pair{"wrong", false}}) {
    OpenSslNonceSource nonces;
    auto server = make_server_mechanism(Mechanism::kDigestMd5, ServerOptions{}, store, nonces);
    auto client =
        make_client_mechanism(Mechanism::kDigestMd5, {"alice", password}, "broker.example", nonces);
    const ServerStep challenge = server->step("");
    REQUIRE(is_continue(challenge));
    const ClientStep response = client->step(challenge.message);
    REQUIRE(is_send(response));
    const ServerStep result = server->step(response.message);
    CHECK(is_success(result) == ok);
    if (ok) CHECK(is_done(client->step(result.message)));
  }
}

TEST_CASE("DIGEST-MD5 escaped user names survive client to server", "[sasl]") {
  const MemoryCredentialStore store = make_store();
  OpenSslNonceSource nonces;
  auto server = make_server_mechanism(Mechanism::kDigestMd5, ServerOptions{}, store, nonces);
  auto client = make_client_mechanism(Mechanism::kDigestMd5, {"a\"b\\c", "pw"}, "b", nonces);
  const ClientStep response = client->step(server->step("").message);
  REQUIRE(is_send(response));
  CHECK(response.message.find("username=\"a\\\"b\\\\c\"") != std::string::npos);
  const ServerStep result = server->step(response.message);
  CHECK(is_success(result));
  CHECK(result.identity == "a\"b\\c");
}

}  // namespace
}  // namespace dstm::tsp::sasl
