// encap_parse + encap_finish: the forwarding cases (TEP-BEHAVIOUR.md 35-39) and the MTU,
// TTL, padding, hairpin and headroom rules.
#include "packet/encap.h"

#include <catch2/catch.hpp>

#include "test_packets.h"

namespace dstm::dp {
namespace {

using test::Ipv4Spec;
using test::TestBuf;

// Runs both steps as the glue would, with `binding` as the lookup result.
Verdict run_encap(const TepContext& tep, TestBuf& buf, const net::Ipv6Address* binding,
                  bool hairpin = false) {
  const EncapParse parsed = encap_parse(tep, buf.pkt, hairpin);
  if (!parsed.early) CHECK(parsed.inner_dst == net::Ipv4Header::at(buf.pkt.bytes())->dst());
  return encap_finish(tep, buf.pkt, parsed, binding, hairpin);
}

// The inner packet expected after forwarding: `in` with TTL - ttl_decrement and its header
// checksum recomputed from scratch.
std::vector<std::uint8_t> expected_inner(std::vector<std::uint8_t> in, std::uint8_t decrement) {
  auto ip = net::Ipv4Header::at(in);
  ip->set_ttl(static_cast<std::uint8_t>(ip->ttl() - decrement));
  net::ipv4_set_header_checksum(*ip);
  in.resize(ip->total_length());
  return in;
}

// Checks the outer header encap_finish wrote and that the inner packet equals `inner`.
void check_encapsulated(const TepContext& tep, const TestBuf& buf,
                        const std::vector<std::uint8_t>& inner, std::uint8_t traffic_class) {
  REQUIRE(buf.pkt.len == 40 + inner.size());
  CHECK(buf.pkt.headroom == test::kHeadroom - 40);
  auto outer = net::Ipv6Header::at(buf.pkt.bytes());
  REQUIRE(outer);
  CHECK(outer->version() == 6);
  CHECK(outer->traffic_class() == traffic_class);
  CHECK(outer->flow_label() == 0);
  CHECK(outer->payload_length() == inner.size());
  CHECK(outer->next_header() == net::kProtoIpv4InIpv6);
  CHECK(outer->hop_limit() == tep.hop_limit);
  CHECK(outer->src() == test::kTep6);
  CHECK(outer->dst() == test::kNode6);
  const auto got = buf.contents();
  CHECK(std::vector<std::uint8_t>(got.begin() + 40, got.end()) == inner);
}

// A drop leaves the packet exactly as it came (so the ICMP builder can quote it).
void check_unchanged(const TestBuf& buf, const std::vector<std::uint8_t>& in) {
  CHECK(buf.pkt.headroom == test::kHeadroom);
  CHECK(buf.contents() == in);
}

}  // namespace

TEST_CASE("case 35: IPv4 D->L4 is encapsulated T->C6, TTL 63, TOS copied to TC", "[encap]") {
  auto tep = test::make_tep();
  Ipv4Spec spec;
  spec.tos = 0xB9;  // DSCP 46 (EF) + ECT(1): RFC 6040 §4.1 normal mode copies ECN too
  SECTION("hop limit 64") {}
  SECTION("configured hop limit 50") {
    tep.hop_limit = 50;
  }
  const auto in = test::make_ipv4(spec);
  TestBuf buf(in);
  const Verdict v = run_encap(tep, buf, &test::kNode6);
  CHECK(v.action == Action::kToIpv6Side);
  CHECK(v.counter == Counter::kOutIpv6);
  CHECK(v.icmp == IcmpError::kNone);
  const auto inner = expected_inner(in, 1);
  check_encapsulated(tep, buf, inner, 0xB9);
  CHECK(net::Ipv4Header::at(std::span(buf.pkt.data + 40, inner.size()))->ttl() == 63);
  CHECK(net::internet_checksum(std::span(buf.pkt.data + 40, 20)) == 0);
}

TEST_CASE("case 35: TTL 2 is forwarded with TTL 1", "[encap]") {
  const auto tep = test::make_tep();
  Ipv4Spec spec;
  spec.ttl = 2;
  const auto in = test::make_ipv4(spec);
  TestBuf buf(in);
  REQUIRE(run_encap(tep, buf, &test::kNode6).action == Action::kToIpv6Side);
  check_encapsulated(tep, buf, expected_inner(in, 1), 0);
}

TEST_CASE("case 36: pool address with no lease is dropped with ICMPv4 3/1", "[encap]") {
  auto tep = test::make_tep();
  const auto in = test::make_ipv4(Ipv4Spec{});
  TestBuf buf(in);
  IcmpError expected = IcmpError::kV4HostUnreachable;
  SECTION("policy on") {}
  SECTION("policy off") {
    tep.icmp.host_unreachable = false;
    expected = IcmpError::kNone;
  }
  const Verdict v = run_encap(tep, buf, nullptr);
  CHECK(v.action == Action::kDrop);
  CHECK(v.counter == Counter::kDropNoDestSoftwire);
  CHECK(v.icmp == expected);
  check_unchanged(buf, in);
}

TEST_CASE("case 37: 1500 B with DF over tunnel MTU 1460 -> drop + ICMPv4 3/4 MTU 1460", "[encap]") {
  auto tep = test::make_tep();
  REQUIRE(tep.tunnel_mtu == 1460);
  Ipv4Spec spec;
  spec.dont_fragment = true;
  spec.payload_length = 1480;
  const auto in = test::make_ipv4(spec);
  TestBuf buf(in);
  IcmpError expected = IcmpError::kV4FragNeeded;
  SECTION("policy on") {}
  SECTION("policy off") {
    tep.icmp.frag_needed = false;
    expected = IcmpError::kNone;
  }
  const Verdict v = run_encap(tep, buf, &test::kNode6);
  CHECK(v.action == Action::kDrop);
  CHECK(v.counter == Counter::kDropOverMtuDf);
  CHECK(v.icmp == expected);
  if (expected == IcmpError::kV4FragNeeded) CHECK(v.mtu == 1460);
  check_unchanged(buf, in);
}

TEST_CASE("case 37: exactly the tunnel MTU with DF is encapsulated", "[encap]") {
  auto tep = test::make_tep();
  tep.tunnel_mtu = 1000;
  Ipv4Spec spec;
  spec.dont_fragment = true;
  spec.payload_length = 980;
  const auto in = test::make_ipv4(spec);
  TestBuf buf(in);
  REQUIRE(run_encap(tep, buf, &test::kNode6).action == Action::kToIpv6Side);
  check_encapsulated(tep, buf, expected_inner(in, 1), 0);
}

TEST_CASE("case 38: over the MTU with DF=0 is encapsulated for outer fragmentation", "[encap]") {
  // RFC 2473 §7.2: DF clear -> encapsulate anyway; the glue fragments the outer packet
  // (RFC 8200 §4.5, packet/fragment.h) to the outer link MTU = tunnel MTU + 40.
  const auto tep = test::make_tep();
  Ipv4Spec spec;
  spec.payload_length = 1480;
  const auto in = test::make_ipv4(spec);
  TestBuf buf(in);
  const Verdict v = run_encap(tep, buf, &test::kNode6);
  CHECK(v.action == Action::kToIpv6SideFragment);
  CHECK(v.counter == Counter::kOutIpv6Fragment);
  CHECK(v.icmp == IcmpError::kNone);
  CHECK(v.mtu == 1500);
  check_encapsulated(tep, buf, expected_inner(in, 1), 0);
}

TEST_CASE("case 38: DF=0 exactly at the tunnel MTU is encapsulated unfragmented", "[encap]") {
  const auto tep = test::make_tep();
  Ipv4Spec spec;
  spec.payload_length = 1440;  // total length 1460 = tunnel MTU
  const auto in = test::make_ipv4(spec);
  TestBuf buf(in);
  const Verdict v = run_encap(tep, buf, &test::kNode6);
  CHECK(v.action == Action::kToIpv6Side);
  CHECK(v.counter == Counter::kOutIpv6);
  check_encapsulated(tep, buf, expected_inner(in, 1), 0);
}

TEST_CASE("case 38: DF=0 over the MTU without headroom: drop, packet unchanged", "[encap]") {
  const auto tep = test::make_tep();
  Ipv4Spec spec;
  spec.payload_length = 1480;
  const auto in = test::make_ipv4(spec);
  TestBuf buf(in, 39);
  const Verdict v = run_encap(tep, buf, &test::kNode6);
  CHECK(v.action == Action::kDrop);
  CHECK(v.counter == Counter::kDropEncapNoHeadroom);
  CHECK(buf.pkt.headroom == 39);
  CHECK(buf.contents() == in);
}

TEST_CASE("case 39: pool source from the internet side is dropped silently", "[encap]") {
  const auto tep = test::make_tep();
  Ipv4Spec spec;
  spec.src = test::kOtherLease;
  const auto in = test::make_ipv4(spec);
  TestBuf buf(in);
  const EncapParse parsed = encap_parse(tep, buf.pkt);
  REQUIRE(parsed.early);
  CHECK(parsed.early->action == Action::kDrop);
  CHECK(parsed.early->counter == Counter::kDropIpv4SrcIsPool);
  CHECK(parsed.early->icmp == IcmpError::kNone);
  CHECK(encap_finish(tep, buf.pkt, parsed, &test::kNode6).counter == Counter::kDropIpv4SrcIsPool);
  check_unchanged(buf, in);
}

TEST_CASE("hairpin=true skips the pool-source and TTL checks and keeps the TTL", "[encap]") {
  const auto tep = test::make_tep();
  Ipv4Spec spec;
  spec.src = test::kOtherLease;
  spec.ttl = 1;  // decap decremented it already and checked it there
  const auto in = test::make_ipv4(spec);
  TestBuf buf(in);
  const Verdict v = run_encap(tep, buf, &test::kNode6, true);
  CHECK(v.action == Action::kToIpv6Side);
  CHECK(v.counter == Counter::kOutIpv6);
  check_encapsulated(tep, buf, in, 0);
}

TEST_CASE("TTL 1 or 0 from the internet: drop + ICMPv4 11/0 by policy", "[encap]") {
  auto tep = test::make_tep();
  Ipv4Spec spec;
  spec.ttl = GENERATE(std::uint8_t{0}, std::uint8_t{1});
  IcmpError expected = IcmpError::kV4TimeExceeded;
  SECTION("policy on") {}
  SECTION("policy off") {
    tep.icmp.time_exceeded = false;
    expected = IcmpError::kNone;
  }
  const auto in = test::make_ipv4(spec);
  TestBuf buf(in);
  const Verdict v = run_encap(tep, buf, &test::kNode6);
  CHECK(v.action == Action::kDrop);
  CHECK(v.counter == Counter::kDropTtlZeroIpv4);
  CHECK(v.icmp == expected);
  check_unchanged(buf, in);
}

TEST_CASE("case 7 on this side: Ethernet padding is trimmed before encapsulation", "[encap]") {
  const auto tep = test::make_tep();
  Ipv4Spec spec;
  spec.payload_length = 8;  // a 28-byte datagram in a 60-byte frame minus 14 bytes Ethernet
  auto in = test::make_ipv4(spec);
  const auto datagram = in;
  in.resize(46, 0x00);
  TestBuf buf(in);
  REQUIRE(run_encap(tep, buf, &test::kNode6).action == Action::kToIpv6Side);
  CHECK(buf.pkt.len == 40 + 28);
  CHECK(net::Ipv6Header::at(buf.pkt.bytes())->payload_length() == 28);
  check_encapsulated(tep, buf, expected_inner(datagram, 1), 0);
}

TEST_CASE("no headroom for the outer header: drop, packet unchanged", "[encap]") {
  const auto tep = test::make_tep();
  const auto in = test::make_ipv4(Ipv4Spec{});
  TestBuf buf(in, 39);
  const Verdict v = run_encap(tep, buf, &test::kNode6);
  CHECK(v.action == Action::kDrop);
  CHECK(v.counter == Counter::kDropEncapNoHeadroom);
  CHECK(buf.pkt.headroom == 39);
  CHECK(buf.contents() == in);
}

TEST_CASE("destination outside every pool is not routed", "[encap]") {
  const auto tep = test::make_tep();
  Ipv4Spec spec;
  spec.dst = net::Ipv4Address::from_octets(198, 51, 101, 10);  // next to the pool
  const auto in = test::make_ipv4(spec);
  TestBuf buf(in);
  const Verdict v = run_encap(tep, buf, &test::kNode6);
  CHECK(v.action == Action::kDrop);
  CHECK(v.counter == Counter::kDropIpv4NotPool);
  CHECK(v.icmp == IcmpError::kNone);
  check_unchanged(buf, in);
}

}  // namespace dstm::dp
