#include <catch2/catch.hpp>

#include "config.h"

namespace dstm::agent {
namespace {

constexpr const char* kMinimal = R"([tsp]
users_file = "/etc/dstm/agent-users"
allow = ["2001:db8:ff::/48", "192.0.2.0/24"]
[tep]
ipv4 = "192.0.2.1"
ipv6 = "2001:db8:1::1"
pools = ["10.64.0.0/16"]
)";

std::string error_of(const std::string& text) {
  auto r = parse_config(text, "agent.toml");
  return r ? std::string("OK") : r.error();
}

TEST_CASE("a minimal config gets the documented defaults", "[agent][config]") {
  auto c = parse_config(kMinimal, "agent.toml");
  REQUIRE(c);
  REQUIRE(c->listen.size() == 1);
  CHECK(c->listen[0].to_string() == "[::]:3653");
  CHECK(c->udp);
  CHECK_FALSE(c->allow_anonymous);
  CHECK(c->mechanisms == std::vector<tsp::sasl::Mechanism>{tsp::sasl::Mechanism::kScramSha256,
                                                           tsp::sasl::Mechanism::kDigestMd5});
  CHECK(c->store_path == "/var/lib/dstm/agent.db");
  CHECK(c->shm_name == "dstm-tep");
  CHECK(c->apply_timeout_ms == 1000);
  CHECK(c->control_socket == "/run/dstm/agent.sock");
  CHECK(c->in_pool(*net::Ipv4Address::parse("10.64.255.255")));
  CHECK_FALSE(c->in_pool(*net::Ipv4Address::parse("10.65.0.0")));
  CHECK(c->source_allowed("2001:db8:ff::7"));
  CHECK(c->source_allowed("192.0.2.77"));
  CHECK(c->source_allowed("::ffff:192.0.2.77"));  // IPv4 on a dual-stack socket
  CHECK_FALSE(c->source_allowed("2001:db8:fe::7"));
  CHECK_FALSE(c->source_allowed("198.51.100.1"));
}

TEST_CASE("listen addresses: both families, optional port", "[agent][config]") {
  auto c = parse_config(std::string(kMinimal) + "[tsp.x]\n", "a");
  CHECK_FALSE(c);
  std::string text = kMinimal;
  text.replace(text.find("[tsp]\n") + 6, 0, "listen = [\"127.0.0.1:4000\", \"[::1]\", \"0.0.0.0\"]\n");
  c = parse_config(text, "a");
  REQUIRE(c);
  REQUIRE(c->listen.size() == 3);
  CHECK(c->listen[0].to_string() == "127.0.0.1:4000");
  CHECK(c->listen[1].to_string() == "[::1]:3653");
  CHECK(c->listen[2].port == 3653);
}

TEST_CASE("errors name file, line and key", "[agent][config]") {
  std::string t = kMinimal;
  CHECK(error_of(t + "[store]\npathh = \"x\"\n") ==
        "agent.toml:9: store.pathh: unknown key in [store] (known: path)");
  CHECK(error_of(t + "[dataplane]\napply_timeout_ms = 0\n") ==
        "agent.toml:9: dataplane.apply_timeout_ms: 0 is out of range (1..60000)");
  CHECK(error_of(t + "[dataplane]\nshm = \"a/b\"\n") ==
        "agent.toml:9: dataplane.shm: 'a/b' must be 1-200 characters without '/'");
  std::string no_allow = t;
  no_allow.erase(no_allow.find("allow ="), no_allow.find('\n', no_allow.find("allow =")) - no_allow.find("allow =") + 1);
  CHECK(error_of(no_allow) == "agent.toml:1: tsp.allow: required key is missing");
  std::string bad_pool = t;
  bad_pool.replace(bad_pool.find("10.64.0.0/16"), 12, "10.64.0.1/16");
  CHECK(error_of(bad_pool) == "agent.toml:7: tep.pools[0]: '10.64.0.1/16' has host bits set (did you mean 10.64.0.0/16?)");
  std::string mech = t;
  mech.replace(mech.find("[tsp]\n") + 6, 0, "mechanisms = [\"PLAIN\"]\n");
  CHECK(error_of(mech) == "agent.toml:2: tsp.mechanisms[0]: PLAIN is refused: it sends the password in clear text (no TLS listener yet)");
  std::string anon = t;
  anon.replace(anon.find("[tsp]\n") + 6, 0, "mechanisms = [\"ANONYMOUS\"]\n");
  CHECK(error_of(anon).find("tsp.allow_anonymous = true") != std::string::npos);
  std::string overlap = t;
  overlap.replace(overlap.find("\"10.64.0.0/16\""), 14, "\"10.64.0.0/16\", \"10.64.8.0/24\"");
  CHECK(error_of(overlap) == "agent.toml:7: tep.pools: 10.64.8.0/24 overlaps 10.64.0.0/16");
  std::string tep_in_pool = t;
  tep_in_pool.replace(tep_in_pool.find("192.0.2.1"), 9, "10.64.0.1");
  CHECK(error_of(tep_in_pool).find("contains tep.ipv4") != std::string::npos);
  CHECK(error_of("[tsp\n").find("agent.toml:1:") == 0);
}

TEST_CASE("users_file is required unless only ANONYMOUS is offered", "[agent][config]") {
  std::string t = kMinimal;
  t.erase(t.find("users_file"), t.find('\n', t.find("users_file")) - t.find("users_file") + 1);
  CHECK(error_of(t) == "agent.toml:1: tsp.users_file: required key is missing");
  t.replace(t.find("[tsp]\n") + 6, 0, "allow_anonymous = true\nmechanisms = [\"ANONYMOUS\"]\n");
  CHECK(error_of(t) == "OK");
}

TEST_CASE("TLS keys: client certificates, PLAIN only with TLS", "[agent][config]") {
  const std::string t = kMinimal;
  auto with = [&](const std::string& keys) {
    std::string text = t;
    text.replace(text.find("[tsp]\n") + 6, 0, keys);
    return text;
  };
  auto c = parse_config(t, "agent.toml");
  REQUIRE(c);
  CHECK_FALSE(c->tls);
  c = parse_config(with("tls_cert = \"/etc/dstm/tep.pem\"\ntls_key = \"/etc/dstm/tep.key\"\n"
                        "tls_client_ca = \"/etc/dstm/servers-ca.pem\"\nmechanisms = [\"PLAIN\"]\n"),
                   "agent.toml");
  REQUIRE(c);
  REQUIRE(c->tls);
  CHECK(c->tls->cert_file == "/etc/dstm/tep.pem");
  CHECK(c->tls->key_file == "/etc/dstm/tep.key");
  CHECK(c->tls->client_ca_file == "/etc/dstm/servers-ca.pem");
  CHECK(c->tls->require_client_cert);
  CHECK(c->mechanisms == std::vector<tsp::sasl::Mechanism>{tsp::sasl::Mechanism::kPlain});
  c = parse_config(with("tls_cert = \"/c\"\ntls_key = \"/k\"\ntls_client_ca = \"/ca\"\n"
                        "tls_require_client_cert = false\n"),
                   "agent.toml");
  REQUIRE(c);
  CHECK_FALSE(c->tls->require_client_cert);
  CHECK(error_of(with("tls_cert = \"/c\"\n")) ==
        "agent.toml:2: tsp.tls_cert: tls_cert and tls_key go together (the certificate and its private key)");
  CHECK(error_of(with("tls_client_ca = \"/ca\"\n")) ==
        "agent.toml:2: tsp.tls_client_ca: needs tls_cert and tls_key (client certificates are a TLS feature)");
  CHECK(error_of(with("tls_cert = \"/c\"\ntls_key = \"/k\"\ntls_require_client_cert = true\n")) ==
        "agent.toml:4: tsp.tls_require_client_cert: needs tls_client_ca (the CA client certificates are checked against)");
  // The order of the keys does not matter: PLAIN before tls_cert is still allowed.
  CHECK(error_of(with("mechanisms = [\"PLAIN\"]\ntls_cert = \"/c\"\ntls_key = \"/k\"\n")) == "OK");
}

}  // namespace
}  // namespace dstm::agent
