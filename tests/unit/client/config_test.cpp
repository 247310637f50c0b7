// dstm-client's configuration file: defaults, every key, and errors that name FILE:LINE: KEY.
#include <catch2/catch.hpp>

#include "config.h"

using namespace dstm;
using namespace dstm::client;

namespace {

constexpr const char* kMinimal = R"(
[server]
addresses = ["[2001:db8:53::1]:3653"]
[auth]
username = "node1"
password_file = "/etc/dstm/client.password"
[node]
ipv6 = "2001:db8:1::2"
)";

std::string error_of(const std::string& text) {
  auto c = parse_config(text, "c.toml");
  REQUIRE_FALSE(c);
  return c.error();
}

}  // namespace

TEST_CASE("client config: defaults", "[client][config]") {
  auto c = parse_config(kMinimal, "c.toml");
  REQUIRE(c);
  CHECK(c->servers.size() == 1);
  CHECK(c->servers[0].port == 3653);
  CHECK_FALSE(c->udp);
  CHECK(c->mechanisms == std::vector<tsp::sasl::Mechanism>{tsp::sasl::Mechanism::kScramSha256,
                                                            tsp::sasl::Mechanism::kDigestMd5});
  CHECK(c->backend == DtiBackend::kAuto);
  CHECK(c->dti_name == "dstm0");
  CHECK(c->mtu == 1280);
  CHECK_FALSE(c->encap_limit);
  REQUIRE(c->routes.size() == 1);
  CHECK(c->routes[0].to_string() == "0.0.0.0/0");
  CHECK(c->renew_fraction == 0.5);
  CHECK(c->lock_file == "/run/dstm/client.lock");
  CHECK(c->control_socket == "/run/dstm/client.sock");
}

TEST_CASE("client config: every key", "[client][config]") {
  auto c = parse_config(R"(
[server]
addresses = ["192.0.2.53:4000", "[2001:db8::53]"]
transport = "udp"
timeout_ms = 5000
[auth]
anonymous = true
[node]
interface = "eth0"
link_local = "fe80::2"
[dti]
backend = "tun"
name = "dti1"
mtu = 1400
encap_limit = 4
routes = ["198.51.100.0/24", "203.0.113.0/24"]
[lease]
renew_fraction = 0.75
retry_min_ms = 500
retry_max_ms = 9000
[files]
lock = "/tmp/l"
control_socket = "/tmp/s"
)", "c.toml");
  REQUIRE(c);
  CHECK(c->servers[0].port == 4000);
  CHECK(c->servers[1].port == 3653);
  CHECK(c->udp);
  CHECK(c->timeout_ms == 5000);
  CHECK(c->anonymous);
  CHECK(c->mechanisms == std::vector<tsp::sasl::Mechanism>{tsp::sasl::Mechanism::kAnonymous});
  CHECK(c->interface == "eth0");
  CHECK_FALSE(c->ipv6);
  CHECK(c->link_local->to_string() == "fe80::2");
  CHECK(c->backend == DtiBackend::kTun);
  CHECK(c->mtu == 1400);
  CHECK(c->encap_limit == std::uint8_t{4});
  CHECK(c->routes.size() == 2);
  CHECK(c->renew_fraction == 0.75);
  CHECK(c->retry_max_ms == 9000);
}

TEST_CASE("client config: errors name the line and key", "[client][config]") {
  CHECK(error_of(std::string(kMinimal) + "[dti]\nbackend = \"ip6gre\"\n").find("c.toml:10: dti.backend") == 0);
  CHECK(error_of(std::string(kMinimal) + "[dti]\nencap_limit = 300\n").find("dti.encap_limit") != std::string::npos);
  CHECK(error_of(std::string(kMinimal) + "[lease]\nrenew_fraction = 1.5\n").find("renew_fraction") != std::string::npos);
  CHECK(error_of(std::string(kMinimal) + "[dti]\nroutes = [\"10.0.0.1/8\"]\n").find("dti.routes") != std::string::npos);
  CHECK(error_of(R"([server]
addresses = ["db.example:3653"]
[auth]
anonymous = true
[node]
ipv6 = "2001:db8:1::2"
)").find("server.addresses[0]") != std::string::npos);
  CHECK(error_of(R"([server]
addresses = ["[::1]"]
[auth]
mechanisms = ["PLAIN"]
username = "u"
password_file = "p"
[node]
ipv6 = "2001:db8:1::2"
)").find("PLAIN is refused") != std::string::npos);
  CHECK(error_of(R"([server]
addresses = ["[::1]"]
[auth]
anonymous = true
)").find("node.ipv6") != std::string::npos);
  CHECK(error_of(R"([server]
addresses = ["[::1]"]
[auth]
anonymous = true
[node]
ipv6 = "fe80::1"
)").find("not a global unicast") != std::string::npos);
  CHECK(error_of(R"([server]
addresses = ["[::1]"]
[node]
ipv6 = "2001:db8:1::2"
)").find("auth.username") != std::string::npos);
  CHECK(error_of(std::string(kMinimal) + "[dti]\nbogus = 1\n").find("bogus") != std::string::npos);
}

TEST_CASE("the shipped example configuration parses", "[client][config]") {
  auto c = load_config(DSTM_SOURCE_ROOT "/controlplane/client/dstm-client.example.toml");
  if (!c) FAIL(c.error());
  CHECK(c->interface == "eth0");
}
