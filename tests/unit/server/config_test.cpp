#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "config.h"

namespace dstm::server {
namespace {

const char* kMinimal = R"([tsp]
users_file = "/etc/dstm/users"
[pool]
prefixes = ["10.64.0.0/16"]
[[tep]]
name = "tep1"
endpoint = "[2001:db8:1::1]:3653"
username = "server1"
password_file = "/nonexistent"
)";

std::string error_of(const std::string& text) {
  auto r = parse_config(text, "server.toml", /*read_secrets=*/false);
  return r ? std::string("OK") : r.error();
}

TEST_CASE("server config: defaults", "[server][config]") {
  auto c = parse_config(kMinimal, "server.toml", false);
  REQUIRE(c);
  CHECK(c->listen.at(0).to_string() == "[::]:3653");
  CHECK(c->udp);
  CHECK(c->node_must_match_source);
  CHECK(c->max_sessions_per_64 == 64);
  CHECK(c->pool.default_lifetime_s == 3600);
  CHECK(c->pool.max_lifetime_s == 86400);
  REQUIRE(c->teps.size() == 1);
  CHECK(c->teps[0].endpoint.to_string() == "[2001:db8:1::1]:3653");
  CHECK(c->teps[0].mechanism == tsp::sasl::Mechanism::kScramSha256);
  CHECK(c->teps[0].connections == 4);
  CHECK(c->teps[0].serves.empty());
  CHECK(c->store_path == "/var/lib/dstm/server.db");
  CHECK(c->control_socket == "/run/dstm/server.sock");
}

TEST_CASE("server config: several TEPs with the prefixes they serve", "[server][config]") {
  std::string t = kMinimal;
  t += "serves = [\"2001:db8:100::/40\"]\n[[tep]]\nname = \"tep2\"\nendpoint = \"192.0.2.7\"\n"
       "username = \"s\"\npassword_file = \"/x\"\nmechanism = \"DIGEST-MD5\"\nconnections = 8\n";
  auto c = parse_config(t, "server.toml", false);
  REQUIRE(c);
  REQUIRE(c->teps.size() == 2);
  CHECK(c->teps[0].serves.at(0).to_string() == "2001:db8:100::/40");
  CHECK(c->teps[1].endpoint.port == 3653);
  CHECK(c->teps[1].mechanism == tsp::sasl::Mechanism::kDigestMd5);
  CHECK(c->teps[1].connections == 8);
}

TEST_CASE("server config: errors name file, line and key", "[server][config]") {
  std::string t = kMinimal;
  CHECK(error_of(t + "tmeout_ms = 5\n") ==
        "server.toml:10: tep[0].tmeout_ms: unknown key in [[tep]] (known: name, endpoint, username, "
        "password_file, mechanism, serves, timeout_ms, connections, tls_ca, tls_cert, tls_key, tls_server_name)");
  CHECK(error_of(t + "[[tep]]\nname = \"tep1\"\nendpoint = \"x\"\nusername = \"u\"\npassword_file = \"p\"\n") ==
        "server.toml:11: tep[1].name: 'tep1' is used by another [[tep]]");
  CHECK(error_of("[tsp]\nusers_file = \"u\"\n[pool]\nprefixes = [\"10.64.0.0/16\"]\n") ==
        "server.toml:1: tep: at least one [[tep]] is required (the TEPs this server configures)");
  std::string bad_pool = t;
  bad_pool.replace(bad_pool.find("10.64.0.0/16"), 12, "10.64.0.0/33");
  CHECK(error_of(bad_pool) == "server.toml:4: pool.prefixes[0]: '10.64.0.0/33' is not a prefix (A.B.C.D/LEN)");
  std::string life = t;
  life.replace(life.find("[pool]\n") + 7, 0, "default_lifetime = 100\nmax_lifetime = 50\n");
  CHECK(error_of(life) == "server.toml:4: pool.default_lifetime: is longer than pool.max_lifetime");
  std::string share = t;
  share.replace(share.find("[pool]\n") + 7, 0, "anonymous_share = 1.5\n");
  CHECK(error_of(share) == "server.toml:4: pool.anonymous_share: must be a number between 0 and 1");
  std::string plain = t;
  plain.replace(plain.find("[tsp]\n") + 6, 0, "mechanisms = [\"PLAIN\"]\n");
  CHECK(error_of(plain).find("PLAIN is refused") != std::string::npos);
  std::string tep_plain = t + "mechanism = \"PLAIN\"\n";
  CHECK(error_of(tep_plain) == "server.toml:10: tep[0].mechanism: PLAIN needs tls_ca: it sends the password in clear text");
  CHECK(error_of(t + "mechanism = \"ANONYMOUS\"\n") ==
        "server.toml:10: tep[0].mechanism: 'ANONYMOUS' is not SCRAM-SHA-256, DIGEST-MD5 or PLAIN");
  auto over_tls = parse_config(tep_plain + "tls_ca = \"/etc/dstm/ca.pem\"\n", "server.toml", false);
  REQUIRE(over_tls);
  CHECK(over_tls->teps[0].mechanism == tsp::sasl::Mechanism::kPlain);
  std::string ep = t;
  ep.replace(ep.find("[2001:db8:1::1]:3653"), 20, "2001:db8:1::1:3653");
  CHECK(error_of(ep).find("tep[0].endpoint: '2001:db8:1::1:3653' is not ADDRESS[:PORT]") != std::string::npos);
}

TEST_CASE("server config: TLS on the node listener, PLAIN only with it", "[server][config]") {
  std::string t = kMinimal;
  auto c = parse_config(t, "server.toml", false);
  REQUIRE(c);
  CHECK_FALSE(c->tls);
  CHECK_FALSE(c->teps[0].tls);
  std::string tls = t;
  tls.replace(tls.find("[tsp]\n") + 6, 0,
              "tls_cert = \"/etc/dstm/server.pem\"\ntls_key = \"/etc/dstm/server.key\"\n"
              "mechanisms = [\"SCRAM-SHA-256\", \"PLAIN\"]\n");
  c = parse_config(tls, "server.toml", false);
  REQUIRE(c);
  REQUIRE(c->tls);
  CHECK(c->tls->cert_file == "/etc/dstm/server.pem");
  CHECK(c->tls->key_file == "/etc/dstm/server.key");
  CHECK(c->tls->client_ca_file.empty());
  CHECK(c->mechanisms == std::vector<tsp::sasl::Mechanism>{tsp::sasl::Mechanism::kScramSha256,
                                                           tsp::sasl::Mechanism::kPlain});
  std::string cert_only = t;
  cert_only.replace(cert_only.find("[tsp]\n") + 6, 0, "tls_cert = \"/c.pem\"\n");
  CHECK(error_of(cert_only) ==
        "server.toml:2: tsp.tls_cert: tls_cert and tls_key go together (the certificate and its private key)");
  std::string key_only = t;
  key_only.replace(key_only.find("[tsp]\n") + 6, 0, "tls_key = \"/c.key\"\n");
  CHECK(error_of(key_only) ==
        "server.toml:2: tsp.tls_key: tls_cert and tls_key go together (the certificate and its private key)");
}

TEST_CASE("server config: TLS towards a TEP", "[server][config]") {
  std::string t = kMinimal;
  auto c = parse_config(t + "tls_ca = \"/ca.pem\"\ntls_cert = \"/c.pem\"\ntls_key = \"/c.key\"\n"
                            "tls_server_name = \"tep1.example\"\n",
                        "server.toml", false);
  REQUIRE(c);
  REQUIRE(c->teps[0].tls);
  CHECK(c->teps[0].tls->ca_file == "/ca.pem");
  CHECK(c->teps[0].tls->cert_file == "/c.pem");
  CHECK(c->teps[0].tls->key_file == "/c.key");
  CHECK(c->teps[0].tls->server_name == "tep1.example");
  c = parse_config(t + "tls_ca = \"/ca.pem\"\n", "server.toml", false);
  REQUIRE(c);
  REQUIRE(c->teps[0].tls);
  CHECK(c->teps[0].tls->cert_file.empty());
  CHECK(error_of(t + "tls_cert = \"/c.pem\"\ntls_key = \"/c.key\"\n") ==
        "server.toml:10: tep[0].tls_cert: needs tls_ca (the CA the agent's certificate is verified against)");
  CHECK(error_of(t + "tls_ca = \"/ca.pem\"\ntls_cert = \"/c.pem\"\n") ==
        "server.toml:11: tep[0].tls_cert: tls_cert and tls_key go together (the client certificate and its private key)");
}

TEST_CASE("server config: TEP password files are read and trimmed", "[server][config]") {
  const auto dir = std::filesystem::temp_directory_path() / ("dstm-server-cfg-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto pw = (dir / "tep1.secret").string();
  std::ofstream(pw) << "s3cret\n";
  std::string t = kMinimal;
  t.replace(t.find("/nonexistent"), 12, pw);
  auto c = parse_config(t, "server.toml", true);
  REQUIRE(c);
  CHECK(c->teps[0].password == "s3cret");
  std::string missing = kMinimal;
  auto r = parse_config(missing, "server.toml", true);
  REQUIRE_FALSE(r);
  CHECK(r.error().find("server.toml:9: tep[0].password_file: /nonexistent: cannot read") == 0);
  std::filesystem::remove_all(dir);
}

TEST_CASE("reload: the shared [tsp] keys only a restart applies are named", "[server][config]") {
  std::string t = kMinimal;
  auto live = parse_config(t, "server.toml", false);
  REQUIRE(live);
  CHECK(dstm::tspnet::restart_changes(*live, *live).empty());
  std::string changed = t;
  changed.replace(changed.find("[tsp]\n") + 6, 0,
                  "listen = [\"127.0.0.1:3653\"]\nudp = false\nrealm = \"other\"\n");
  auto fresh = parse_config(changed, "server.toml", false);
  REQUIRE(fresh);
  CHECK(dstm::tspnet::restart_changes(*fresh, *live) ==
        std::vector<std::string>{"tsp.listen (needs a restart)", "tsp.udp (needs a restart)",
                                 "tsp.realm (needs a restart)"});
}

}  // namespace
}  // namespace dstm::server
