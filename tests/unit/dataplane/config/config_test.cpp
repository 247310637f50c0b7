// dataplane/config.h: configurations that parse, and the values they produce.
#include "config.h"

#include <catch2/catch.hpp>
#include <string>

#include "config_test_util.h"

namespace dstm::dp {
namespace {

using test::kMinimalConfig;
using test::minimal_with_line;

net::Ipv4Address v4(std::string_view s) {
  return *net::Ipv4Address::parse(s);
}
net::Ipv6Address v6(std::string_view s) {
  return *net::Ipv6Address::parse(s);
}
net::Ipv4Prefix prefix(std::string_view s) {
  return *net::Ipv4Prefix::parse(s);
}

DataplaneConfig parse_ok(std::string_view text) {
  auto cfg = parse_config(text, "t.toml");
  INFO((cfg ? std::string() : cfg.error()));
  REQUIRE(cfg);
  return *cfg;
}

// The required values of kMinimalConfig and the example file (they agree on purpose).
void check_required_values(const DataplaneConfig& c) {
  REQUIRE(c.tep.tep_ipv6.size() == 1);
  CHECK(c.tep.tep_ipv6[0] == v6("2001:db8:1::1"));
  CHECK(c.tep.tep_ipv4 == v4("198.51.100.1"));
  REQUIRE(c.tep.pools.size() == 1);
  CHECK(c.tep.pools[0] == prefix("192.0.2.0/24"));
  CHECK(c.ipv6_gateway == v6("2001:db8:1::fe"));
  CHECK(c.ipv4_gateway == v4("198.51.100.254"));
}

// The defaults as dataplane/README.md documents them, spelled out as literals so that a
// changed default in config.h or tep_context.h fails here until the reference is updated.
void check_documented_defaults(const DataplaneConfig& c) {
  CHECK(c.tep.tunnel_mtu == 1460);
  CHECK(c.tep.hop_limit == 64);
  CHECK(c.tep.hairpinning);
  CHECK(c.tep.answer_echo);
  CHECK(c.tep.path_mtu_expiry_s == 600);
  CHECK(c.ipv6_side.port == 0);
  CHECK_FALSE(c.ipv6_side.vlan);
  CHECK(c.ipv4_side.port == 1);
  CHECK_FALSE(c.ipv4_side.vlan);
  CHECK_FALSE(c.ipv6_gateway_mac);
  CHECK_FALSE(c.ipv4_gateway_mac);
  CHECK(c.tep.icmp.time_exceeded);
  CHECK(c.tep.icmp.host_unreachable);
  CHECK(c.tep.icmp.frag_needed);
  CHECK_FALSE(c.tep.icmp.source_unreachable);
  CHECK(c.tep.icmp.parameter_problem);
  CHECK(c.tep.icmp.packet_too_big);
  CHECK(c.tep.icmp.reassembly_time_exceeded);
  CHECK(c.icmp_rate.per_second == 100);
  CHECK(c.icmp_rate.burst == 50);
  CHECK(c.table.capacity == 1048576);
  CHECK(c.table.fallback == 4096);
  CHECK(c.burst_size == 32);
  CHECK_FALSE(c.learning);
  CHECK_FALSE(c.control.enabled());
  CHECK(c.control.batch == 4096);
  CHECK(c.control.poll_us == 50);
  CHECK(c.learn_rate == 100);
  CHECK(c.reassembly.capacity == 1024);
  CHECK(c.reassembly.timeout_ms == 60000);
}

TEST_CASE("the example file parses to the documented defaults", "[config]") {
  auto cfg = load_config(test::kExampleConfigPath);
  INFO((cfg ? std::string() : cfg.error()));
  REQUIRE(cfg);
  check_required_values(*cfg);
  check_documented_defaults(*cfg);
}

TEST_CASE("a config with only the required keys gets every default", "[config]") {
  auto cfg = parse_ok(kMinimalConfig);
  check_required_values(cfg);
  check_documented_defaults(cfg);
}

TEST_CASE("every key is read: all set to values other than the default", "[config]") {
  auto cfg = parse_ok(
      "[tep]\n"
      "ipv6 = [\"2001:db8:1::1\", \"2001:db8:2::1\"]\n"
      "ipv4 = \"203.0.113.1\"\n"
      "pools = [\"192.0.2.0/25\", \"192.0.2.128/26\", \"10.0.0.0/16\"]\n"
      "tunnel_mtu = 1400\n"
      "hop_limit = 255\n"
      "hairpinning = false\n"
      "answer_echo = false\n"
      "path_mtu_expiry = 60\n"
      "[ports.ipv6]\nport = 3\nvlan = 100\n"
      "[ports.ipv4]\nport = 3\nvlan = 4094\n"
      "[next_hops.ipv6]\ngateway = \"fe80::1\"\nmac = \"02:00:00:00:00:FE\"\n"
      "[next_hops.ipv4]\ngateway = \"203.0.113.254\"\nmac = \"02:00:00:00:01:fe\"\n"
      "[icmp]\n"
      "time_exceeded = false\nhost_unreachable = false\nfrag_needed = false\n"
      "source_unreachable = true\nparameter_problem = false\npacket_too_big = false\n"
      "reassembly_time_exceeded = false\n"
      "rate_per_second = 0\nburst = 1\n"
      "[table]\ncapacity = 16777216\nfallback = 0\n"
      "[dataplane]\nburst = 64\nlearning = true\nlearn_rate = 5\n"
      "[control]\nshm = \"dstm-tep\"\nbatch = 1\npoll_us = 1000000\n"
      "[reassembly]\ncapacity = 65536\ntimeout_ms = 1\n");
  REQUIRE(cfg.tep.tep_ipv6.size() == 2);
  CHECK(cfg.tep.tep_ipv6[1] == v6("2001:db8:2::1"));
  CHECK(cfg.tep.tep_ipv4 == v4("203.0.113.1"));
  REQUIRE(cfg.tep.pools.size() == 3);
  CHECK(cfg.tep.pools[2] == prefix("10.0.0.0/16"));
  CHECK(cfg.tep.tunnel_mtu == 1400);
  CHECK(cfg.tep.hop_limit == 255);
  CHECK_FALSE(cfg.tep.hairpinning);
  CHECK_FALSE(cfg.tep.answer_echo);
  CHECK(cfg.tep.path_mtu_expiry_s == 60);
  CHECK(cfg.ipv6_side.port == 3);
  CHECK(cfg.ipv6_side.vlan == std::optional<std::uint16_t>(100));
  CHECK(cfg.ipv4_side.port == 3);
  CHECK(cfg.ipv4_side.vlan == std::optional<std::uint16_t>(4094));
  CHECK(cfg.ipv6_gateway == v6("fe80::1"));
  REQUIRE(cfg.ipv6_gateway_mac);
  CHECK(cfg.ipv6_gateway_mac->to_string() == "02:00:00:00:00:fe");
  CHECK(cfg.ipv4_gateway == v4("203.0.113.254"));
  REQUIRE(cfg.ipv4_gateway_mac);
  CHECK(cfg.ipv4_gateway_mac->to_string() == "02:00:00:00:01:fe");
  CHECK_FALSE(cfg.tep.icmp.time_exceeded);
  CHECK_FALSE(cfg.tep.icmp.host_unreachable);
  CHECK_FALSE(cfg.tep.icmp.frag_needed);
  CHECK(cfg.tep.icmp.source_unreachable);
  CHECK_FALSE(cfg.tep.icmp.parameter_problem);
  CHECK_FALSE(cfg.tep.icmp.packet_too_big);
  CHECK_FALSE(cfg.tep.icmp.reassembly_time_exceeded);
  CHECK(cfg.icmp_rate.per_second == 0);
  CHECK(cfg.icmp_rate.burst == 1);
  CHECK(cfg.table.capacity == 16777216);
  CHECK(cfg.table.fallback == 0);
  CHECK(cfg.burst_size == 64);
  CHECK(cfg.learning);
  CHECK(cfg.reassembly.capacity == 65536);
  CHECK(cfg.reassembly.timeout_ms == 1);
  CHECK(cfg.learn_rate == 5);
  CHECK(cfg.control.shm == "/dstm-tep");  // shm_open's leading '/' is added
  CHECK(cfg.control.stats_shm() == "/dstm-tep-stats");
  CHECK(cfg.control.batch == 1);
  CHECK(cfg.control.poll_us == 1000000);
}

TEST_CASE("control.shm may be written with or without its leading slash", "[config]") {
  auto cfg = parse_ok(std::string(kMinimalConfig) + "[control]\nshm = \"/dstm-tep.1\"\n");
  CHECK(cfg.control.enabled());
  CHECK(cfg.control.shm == "/dstm-tep.1");
}

TEST_CASE("both sides may share a port when the VLANs tell them apart", "[config]") {
  // Untagged on both: IPv6 and IPv4 are told apart by EtherType.
  auto untagged = parse_ok(std::string(kMinimalConfig) + "[ports.ipv4]\nport = 0\n");
  CHECK(untagged.ipv4_side.port == 0);
  CHECK(untagged.ipv6_side.port == 0);
  // Tagged on one side only.
  auto one = parse_ok(std::string(kMinimalConfig) + "[ports.ipv4]\nport = 0\nvlan = 5\n");
  CHECK(one.ipv4_side.vlan == std::optional<std::uint16_t>(5));
  CHECK_FALSE(one.ipv6_side.vlan);
  // Equal VIDs on different ports are two different links.
  auto apart = parse_ok(std::string(kMinimalConfig) +
                        "[ports.ipv6]\nvlan = 5\n[ports.ipv4]\nport = 2\nvlan = 5\n");
  CHECK(apart.ipv4_side.port == 2);
}

TEST_CASE("inline tables are read like [section] tables", "[config]") {
  // Top-level keys must come before the first [table] header.
  auto cfg = parse_ok("ports = { ipv6 = { port = 4 }, ipv4 = { port = 5, vlan = 9 } }\n" +
                      std::string(kMinimalConfig));
  CHECK(cfg.ipv6_side.port == 4);
  CHECK(cfg.ipv4_side.port == 5);
  CHECK(cfg.ipv4_side.vlan == std::optional<std::uint16_t>(9));
}

TEST_CASE("pools may exactly fill the table", "[config]") {
  // 256 pool addresses + 4096 fallback = 4352 entries.
  auto cfg = parse_ok(std::string(kMinimalConfig) + "[table]\ncapacity = 4352\n");
  CHECK(cfg.table.capacity == 4352);
}

TEST_CASE("load_config names the file it cannot read", "[config]") {
  auto cfg = load_config("/nonexistent/dstm-dataplane.toml");
  REQUIRE_FALSE(cfg);
  CHECK(cfg.error().rfind("/nonexistent/dstm-dataplane.toml: cannot read: ", 0) == 0);
}

TEST_CASE("minimal_with_line replaces exactly one line", "[config]") {
  // The error tests trust this helper for their line numbers.
  CHECK(minimal_with_line(3, "X") ==
        "[tep]\nipv6 = [\"2001:db8:1::1\"]\nX\npools = [\"192.0.2.0/24\"]\n[next_hops.ipv6]\n"
        "gateway = \"2001:db8:1::fe\"\n[next_hops.ipv4]\ngateway = \"198.51.100.254\"\n");
}

}  // namespace
}  // namespace dstm::dp
