// dataplane/config.h: bad configurations. Each is refused, and the message starts with
// "FILE:LINE: key: " so that an operator can go straight to the offending line.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "config.h"
#include "config_test_util.h"

namespace dstm::dp {
namespace {

using test::kMinimalConfig;
using test::minimal_with_line;

struct BadConfig {
  std::string text;
  std::string prefix;  // the message must start with this
};

std::string appended(std::string_view extra) {
  return std::string(kMinimalConfig) + std::string(extra);
}

// Line 4 of kMinimalConfig is the pools; line 9 is the first appended line.
const std::vector<BadConfig>& bad_configs() {
  static const std::vector<BadConfig> kCases = {
      // [tep] addresses
      {minimal_with_line(2, "ipv6 = [\"ff02::1\"]"),
       "t.toml:2: tep.ipv6[0]: 'ff02::1' is multicast"},
      {minimal_with_line(2, "ipv6 = [\"::\"]"), "t.toml:2: tep.ipv6[0]: '::' is unspecified"},
      {minimal_with_line(2, "ipv6 = [\"fe80::1\"]"),
       "t.toml:2: tep.ipv6[0]: 'fe80::1' is link-local"},
      {minimal_with_line(2, "ipv6 = [\"::1\"]"), "t.toml:2: tep.ipv6[0]: '::1' is not a global"},
      {minimal_with_line(2, "ipv6 = [\"2001:db8:1::1\", \"2001:db8:1::1\"]"),
       "t.toml:2: tep.ipv6[1]: '2001:db8:1::1' is listed twice"},
      {minimal_with_line(2, "ipv6 = [\"2001:db8:1::1\",\n  \"2001:db8::zz\"]"),
       "t.toml:3: tep.ipv6[1]: '2001:db8::zz' is not an IPv6 address"},
      {minimal_with_line(2, "ipv6 = [7]"),
       "t.toml:2: tep.ipv6[0]: expected a string, got an integer"},
      {minimal_with_line(2, "ipv6 = \"2001:db8:1::1\""), "t.toml:2: tep.ipv6: expected an array"},
      {minimal_with_line(2, "ipv6 = []"), "t.toml:2: tep.ipv6: needs at least one element"},
      {minimal_with_line(2, ""), "t.toml:1: tep.ipv6: required key is missing"},
      {minimal_with_line(3, "ipv4 = \"300.1.1.1\""),
       "t.toml:3: tep.ipv4: '300.1.1.1' is not an IPv4"},
      {minimal_with_line(3, "ipv4 = \"127.0.0.1\""),
       "t.toml:3: tep.ipv4: '127.0.0.1' is not a unicast"},
      {minimal_with_line(3, "ipv4 = \"255.255.255.255\""),
       "t.toml:3: tep.ipv4: '255.255.255.255' is not a unicast"},
      {minimal_with_line(3, ""), "t.toml:1: tep.ipv4: required key is missing"},
      // [tep] pools
      {minimal_with_line(4, "pools = [\"192.0.2.0/24\", \"192.0.2.1/24\"]"),
       "t.toml:4: tep.pools[1]: '192.0.2.1/24' has host bits set (did you mean 192.0.2.0/24?)"},
      {minimal_with_line(4, "pools = [\n  \"192.0.2.0/24\",\n  \"10.0.0.0/33\",\n]"),
       "t.toml:6: tep.pools[1]: '10.0.0.0/33' is not an IPv4 prefix"},
      {minimal_with_line(4, "pools = [\"192.0.2.0/24\", \"192.0.2.128/25\"]"),
       "t.toml:4: tep.pools[1]: 192.0.2.128/25 overlaps tep.pools[0] 192.0.2.0/24"},
      {minimal_with_line(4, "pools = [\"10.1.0.0/16\", \"10.0.0.0/8\"]"),
       "t.toml:4: tep.pools[1]: 10.0.0.0/8 overlaps tep.pools[0] 10.1.0.0/16"},
      {minimal_with_line(4, "pools = [\"192.0.2.0/24\", \"192.0.2.0/24\"]"),
       "t.toml:4: tep.pools[1]: 192.0.2.0/24 overlaps"},
      {minimal_with_line(4, "pools = [\"198.51.100.0/25\"]"),
       "t.toml:4: tep.pools[0]: 198.51.100.0/25 contains tep.ipv4 (198.51.100.1)"},
      {minimal_with_line(4, "pools = [\"127.0.0.0/24\"]"),
       "t.toml:4: tep.pools[0]: 127.0.0.0/24 overlaps 127.0.0.0/8"},
      {minimal_with_line(4, "pools = [\"0.0.0.0/0\"]"),
       "t.toml:4: tep.pools[0]: 0.0.0.0/0 overlaps"},
      {minimal_with_line(4, "pools = []"), "t.toml:4: tep.pools: needs at least one element"},
      {minimal_with_line(4, "pools = \"192.0.2.0/24\""),
       "t.toml:4: tep.pools: expected an array, got a string"},
      {minimal_with_line(4, "pools = [\"192.0.2.0/24\", 24]"),
       "t.toml:4: tep.pools[1]: expected a string"},
      {appended("[table]\ncapacity = 4351\n"),
       "t.toml:4: tep.pools: the pools hold 256 addresses; with table.fallback (4096) that exceeds "
       "table.capacity (4351)"},
      // [tep] numbers and booleans
      {minimal_with_line(4, "pools = [\"192.0.2.0/24\"]\ntunnel_mtu = 575"),
       "t.toml:5: tep.tunnel_mtu: 575 is out of range (576..9000)"},
      {minimal_with_line(4, "pools = [\"192.0.2.0/24\"]\ntunnel_mtu = 9001"),
       "t.toml:5: tep.tunnel_mtu: 9001 is out"},
      {minimal_with_line(4, "pools = [\"192.0.2.0/24\"]\ntunnel_mtu = \"1460\""),
       "t.toml:5: tep.tunnel_mtu: expected an integer, got a string"},
      {minimal_with_line(4, "pools = [\"192.0.2.0/24\"]\ntunnel_mtu = 1460.0"),
       "t.toml:5: tep.tunnel_mtu: expected an integer, got a float"},
      {minimal_with_line(4, "pools = [\"192.0.2.0/24\"]\nhop_limit = 0"),
       "t.toml:5: tep.hop_limit: 0 is out of range (1..255)"},
      {minimal_with_line(4, "pools = [\"192.0.2.0/24\"]\nhop_limit = 256"),
       "t.toml:5: tep.hop_limit: 256 is out"},
      {minimal_with_line(4, "pools = [\"192.0.2.0/24\"]\nhairpinning = \"yes\""),
       "t.toml:5: tep.hairpinning: expected true or false, got a string"},
      {minimal_with_line(4, "pools = [\"192.0.2.0/24\"]\nanswer_echo = 1"),
       "t.toml:5: tep.answer_echo: expected true or false"},
      // unknown keys and tables, and tables where values belong
      {minimal_with_line(4, "pools = [\"192.0.2.0/24\"]\nhop_limt = 64"),
       "t.toml:5: tep.hop_limt: unknown key in [tep] (known: ipv6, ipv4, pools, tunnel_mtu,"},
      {appended("[dataplan]\nburst = 32\n"), "t.toml:9: dataplan: unknown table at the top level"},
      {appended("[ports.ipv5]\nport = 3\n"),
       "t.toml:9: ports.ipv5: unknown table in [ports] (known: ipv6, ipv4)"},
      {appended("[icmp]\nttl_exceeded = true\n"),
       "t.toml:10: icmp.ttl_exceeded: unknown key in [icmp]"},
      {appended("cost = 3\n"), "t.toml:9: next_hops.ipv4.cost: unknown key in [next_hops.ipv4]"},
      // the earliest offender in the file wins, not the first in key order ("aaa" < "zzz")
      {"zzz = 1\n" + appended("[aaa]\n"), "t.toml:1: zzz: unknown key at the top level"},
      {"icmp = 5\n" + std::string(kMinimalConfig),
       "t.toml:1: icmp: expected a table, got an integer"},
      {"[[table]]\ncapacity = 5\n" + std::string(kMinimalConfig),
       "t.toml:1: table: expected a table, got an array"},
      // [ports]
      {appended("[ports.ipv6]\nport = 65536\n"),
       "t.toml:10: ports.ipv6.port: 65536 is out of range (0..65535)"},
      {appended("[ports.ipv6]\nport = -1\n"), "t.toml:10: ports.ipv6.port: -1 is out of range"},
      {appended("[ports.ipv4]\nvlan = 0\n"),
       "t.toml:10: ports.ipv4.vlan: 0 is out of range (1..4094)"},
      {appended("[ports.ipv4]\nvlan = 4095\n"), "t.toml:10: ports.ipv4.vlan: 4095 is out of range"},
      {appended("[ports.ipv6]\nport = 0\nvlan = 7\n[ports.ipv4]\nport = 0\nvlan = 7\n"),
       "t.toml:14: ports.ipv4.vlan: the same port and VLAN as ports.ipv6"},
      // [next_hops]
      {minimal_with_line(6, "gateway = \"ff02::2\""),
       "t.toml:6: next_hops.ipv6.gateway: 'ff02::2' is not a unicast"},
      {minimal_with_line(6, "gateway = \"2001:db8:1::1\""),
       "t.toml:6: next_hops.ipv6.gateway: '2001:db8:1::1' is a TEP"},
      {minimal_with_line(6, "gateway = \"1.2.3.4\""),
       "t.toml:6: next_hops.ipv6.gateway: '1.2.3.4' is not an IPv6"},
      {minimal_with_line(6, "gateway = 6"),
       "t.toml:6: next_hops.ipv6.gateway: expected a string, got an integer"},
      {minimal_with_line(6, ""), "t.toml:5: next_hops.ipv6.gateway: required key is missing"},
      {minimal_with_line(6, "mac = \"02:00:00:00:00:01\""),
       "t.toml:5: next_hops.ipv6.gateway: required"},
      {minimal_with_line(8, "gateway = \"192.0.2.1\""),
       "t.toml:8: next_hops.ipv4.gateway: '192.0.2.1' is the TEP's own"},
      {minimal_with_line(8, "gateway = \"198.51.100.1\""),
       "t.toml:8: next_hops.ipv4.gateway: '198.51.100.1' is the TEP's own"},
      {minimal_with_line(8, "gateway = \"224.0.0.1\""),
       "t.toml:8: next_hops.ipv4.gateway: '224.0.0.1' is not a unicast"},
      {minimal_with_line(8, "gateway = \"2001:db8::1\""),
       "t.toml:8: next_hops.ipv4.gateway: '2001:db8::1' is not an IPv4"},
      {std::string(kMinimalConfig.substr(0, kMinimalConfig.find("[next_hops.ipv4]"))),
       "t.toml:1: next_hops.ipv4.gateway: required key is missing"},
      {appended("mac = \"zz\"\n"), "t.toml:9: next_hops.ipv4.mac: 'zz' is not a MAC address"},
      {appended("mac = \"01:00:5e:00:00:01\"\n"),
       "t.toml:9: next_hops.ipv4.mac: '01:00:5e:00:00:01' is not a unicast"},
      {appended("mac = \"00:00:00:00:00:00\"\n"),
       "t.toml:9: next_hops.ipv4.mac: '00:00:00:00:00:00' is not a unicast"},
      // [icmp], [table], [dataplane]
      {appended("[icmp]\nfrag_needed = \"no\"\n"),
       "t.toml:10: icmp.frag_needed: expected true or false"},
      {appended("[icmp]\nrate_per_second = -1\n"),
       "t.toml:10: icmp.rate_per_second: -1 is out of range (0..1000000)"},
      {appended("[icmp]\nburst = 0\n"), "t.toml:10: icmp.burst: 0 is out of range (1..1000000)"},
      {appended("[icmp]\npacket_too_big = 0\n"),
       "t.toml:10: icmp.packet_too_big: expected true or false, got an integer"},
      {minimal_with_line(4, "pools = [\"192.0.2.0/24\"]\npath_mtu_expiry = 9"),
       "t.toml:5: tep.path_mtu_expiry: 9 is out of range (10..65000)"},
      {appended("[table]\ncapacity = 16777217\n"),
       "t.toml:10: table.capacity: 16777217 is out of range (1..16777216)"},
      {appended("[table]\nfallback = -5\n"), "t.toml:10: table.fallback: -5 is out of range"},
      {appended("[dataplane]\nburst = 65\n"),
       "t.toml:10: dataplane.burst: 65 is out of range (1..64)"},
      {appended("[dataplane]\nburst = 0\n"), "t.toml:10: dataplane.burst: 0 is out of range"},
      {appended("[dataplane]\nlearning = 1\n"),
       "t.toml:10: dataplane.learning: expected true or false, got an integer"},
      // [control]
      {appended("[control]\nshm = \"\"\n"), "t.toml:10: control.shm: '' is empty"},
      {appended("[control]\nshm = \"/a/b\"\n"), "t.toml:10: control.shm: '/a/b' may hold only"},
      {appended("[control]\nshm = \"dstm tep\"\n"), "t.toml:10: control.shm: 'dstm tep' may hold only"},
      {appended("[control]\nshm = 5\n"), "t.toml:10: control.shm: expected a string, got an integer"},
      {appended("[control]\npoll_us = 0\n"), "t.toml:10: control.poll_us: 0 is out of range (1..1000000)"},
      {appended("[control]\nbatch = 0\n"), "t.toml:10: control.batch: 0 is out of range (1..1048576)"},
      {appended("[control]\nshm = \"dstm-tep\"\nbacth = 5\n"), "t.toml:11: control.bacth: unknown key"},
      {appended("[dataplane]\nlearn_rate = -1\n"),
       "t.toml:10: dataplane.learn_rate: -1 is out of range (0..1000000)"},
      // [reassembly]
      {appended("[reassembly]\ncapacity = 0\n"),
       "t.toml:10: reassembly.capacity: 0 is out of range (1..65536)"},
      {appended("[reassembly]\ntimeout_ms = 60001\n"),
       "t.toml:10: reassembly.timeout_ms: 60001 is out of range (1..60000)"},
      {appended("[reassembly]\ntimeout = 5\n"),
       "t.toml:10: reassembly.timeout: unknown key in [reassembly] (known: capacity, timeout_ms)"},
      // TOML syntax: toml++'s own message with line and column
      {"[tep\n", "t.toml:1:5: TOML syntax error: "},
      {minimal_with_line(3, "ipv4 = \"198.51.100.1\"\nipv4 = \"198.51.100.2\""), "t.toml:4:"},
      {minimal_with_line(5, "[next_hops.ipv6]\n[next_hops.ipv6]"), "t.toml:6:"},
  };
  return kCases;
}

TEST_CASE("the minimal config used as a base is valid", "[config]") {
  // Otherwise every case below could be failing for the base's fault.
  auto cfg = parse_config(kMinimalConfig, "t.toml");
  INFO((cfg ? std::string() : cfg.error()));
  CHECK(cfg);
}

TEST_CASE("bad configs are refused with FILE:LINE: key", "[config]") {
  for (const auto& c : bad_configs()) {
    INFO("config:\n" << c.text);
    auto cfg = parse_config(c.text, "t.toml");
    CHECK_FALSE(cfg);
    if (cfg) continue;  // report every case, not only the first that fails
    INFO("error: " << cfg.error());
    CHECK(cfg.error().rfind(c.prefix, 0) == 0);
    CHECK(cfg.error().find('\n') == std::string::npos);  // one error, one line
  }
}

TEST_CASE("the source name in messages is the one passed in", "[config]") {
  auto cfg = parse_config(minimal_with_line(2, "ipv6 = []"), "/etc/dstm/dataplane.toml");
  REQUIRE_FALSE(cfg);
  CHECK(cfg.error().rfind("/etc/dstm/dataplane.toml:2: tep.ipv6: ", 0) == 0);
}

TEST_CASE("only the first bad value is reported", "[config]") {
  // Both tunnel_mtu and hop_limit are wrong; the reference order puts tunnel_mtu first.
  auto cfg = parse_config(
      minimal_with_line(4, "pools = [\"192.0.2.0/24\"]\nhop_limit = 0\ntunnel_mtu = 1"), "t.toml");
  REQUIRE_FALSE(cfg);
  CHECK(cfg.error().rfind("t.toml:6: tep.tunnel_mtu: ", 0) == 0);
}

}  // namespace
}  // namespace dstm::dp
