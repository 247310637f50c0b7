// decap_finish: the binding check, ECN, TTL, local echo, hairpinning and the rewrite
// (TEP-BEHAVIOUR.md cases 1-3, 7, 10, 11, 14, 16 and 33).
#include <catch2/catch.hpp>

#include "decap_test_util.h"

namespace dstm::dp::test {
namespace {

constexpr std::uint8_t kNotEct = 0;
constexpr std::uint8_t kEct1 = 1;
constexpr std::uint8_t kEct0 = 2;
constexpr std::uint8_t kCe = 3;
constexpr std::uint8_t kDscpEf = 46 << 2;

TEST_CASE("case 1: C6 -> T, inner L4 -> D is decapsulated with TTL 63", "[decap]") {
  TestPacket pkt(ipv6_packet(Outer{}, ipv4_packet(Inner{})));
  const Verdict v = run(make_tep(), pkt);
  check_forwarded(v, pkt, forwarded(Inner{}));
  CHECK(pkt.buf.headroom == kHeadroom + 40);
  const auto out = *net::Ipv4Header::at(pkt.buf.bytes());
  CHECK(out.ttl() == 63);
  CHECK(net::ipv4_header_checksum_valid(out));
}

TEST_CASE("case 2: inner source without a binding", "[decap]") {
  TestPacket pkt(ipv6_packet(Outer{}, ipv4_packet(Inner{})));
  const Bytes before = pkt.bytes();
  TepContext tep = make_tep();
  SECTION("default: silent") {
    check_drop(run(tep, pkt, nullptr), "drop-no-source-softwire-ipv6");
  }
  SECTION("source_unreachable on: ICMPv6 1/5") {
    tep.icmp.source_unreachable = true;
    check_drop(run(tep, pkt, nullptr), "drop-no-source-softwire-ipv6",
               IcmpError::kV6AddrUnreachable);
  }
  CHECK(pkt.bytes() == before);
}

TEST_CASE("case 3: inner source leased to another node (DSTM draft §7)", "[decap]") {
  TestPacket pkt(ipv6_packet(Outer{}, ipv4_packet(Inner{})));
  const Bytes before = pkt.bytes();
  TepContext tep = make_tep();
  SECTION("default: silent") {
    check_drop(run(tep, pkt, &kOtherNode6), "drop-spoofed-inner-src-ipv4");
  }
  SECTION("source_unreachable on: ICMPv6 1/5") {
    tep.icmp.source_unreachable = true;
    check_drop(run(tep, pkt, &kOtherNode6), "drop-spoofed-inner-src-ipv4",
               IcmpError::kV6AddrUnreachable);
  }
  CHECK(pkt.bytes() == before);
}

TEST_CASE("case 7: padding after the inner packet is trimmed", "[decap]") {
  Inner in;
  in.payload = {0xAB};  // a 21-byte inner packet
  Bytes frame = ipv6_packet(Outer{}, ipv4_packet(in));
  SECTION("Ethernet padding beyond the outer payload length") {
    frame.resize(frame.size() + 5, 0);
  }
  SECTION("bytes the outer payload length covers but the inner total length does not") {
    frame.resize(frame.size() + 5, 0);
    net::Ipv6Header::at(frame)->set_payload_length(21 + 5);
  }
  TestPacket pkt(frame);
  check_forwarded(run(make_tep(), pkt), pkt, forwarded(in));
  CHECK(pkt.buf.len == 21);
  CHECK(pkt.buf.tailroom == kTailroom + 5);
}

TEST_CASE("case 10: inner TTL 1 or 0 is dropped with Time Exceeded", "[decap]") {
  Inner in;
  in.ttl = GENERATE(std::uint8_t{1}, std::uint8_t{0});
  TestPacket pkt(ipv6_packet(Outer{}, ipv4_packet(in)));
  const Bytes before = pkt.bytes();
  TepContext tep = make_tep();
  SECTION("default: ICMPv4 11/0") {
    check_drop(run(tep, pkt), "drop-ttl-zero-ipv4", IcmpError::kV4TimeExceeded);
  }
  SECTION("policy off: no ICMP") {
    tep.icmp.time_exceeded = false;
    check_drop(run(tep, pkt), "drop-ttl-zero-ipv4");
  }
  CHECK(pkt.bytes() == before);
}

TEST_CASE("case 11: outer hop limit 1 or 0 does not matter at the end point", "[decap]") {
  Outer o;
  o.hop_limit = GENERATE(std::uint8_t{1}, std::uint8_t{0});
  TestPacket pkt(ipv6_packet(o, ipv4_packet(Inner{})));
  check_forwarded(run(make_tep(), pkt), pkt, forwarded(Inner{}));
}

TEST_CASE("case 14: destination is another node's lease", "[decap]") {
  Inner in;
  in.dst = kOtherLease4;
  TestPacket pkt(ipv6_packet(Outer{}, ipv4_packet(in)));
  TepContext tep = make_tep();
  SECTION("hairpinning on: decapsulated, TTL - 1 once, handed to encap") {
    const Verdict v = run(tep, pkt);
    CHECK(v.action == Action::kHairpin);
    CHECK(counter_name(v) == "hairpin-ipv4");
    CHECK(pkt.bytes() == forwarded(in));
  }
  SECTION("hairpinning off: dropped, unchanged") {
    tep.hairpinning = false;
    const Bytes before = pkt.bytes();
    check_drop(run(tep, pkt), "drop-hairpin-disabled");
    CHECK(pkt.bytes() == before);
  }
}

// The reply the TEP must send for Inner{echo request to kTep4, `ttl`} arriving on `tep6`.
Bytes expected_echo_reply(const net::Ipv6Address& tep6, std::uint8_t hop_limit) {
  Bytes icmp = echo_request_payload();
  icmp[0] = net::kIcmpEchoReply;
  net::IcmpHeader::at(icmp)->set_checksum(0);
  net::IcmpHeader::at(icmp)->set_checksum(net::internet_checksum(icmp));
  Inner reply;
  reply.src = kTep4;
  reply.dst = kLease4;
  reply.ttl = 64;
  reply.protocol = net::kProtoIcmp;
  reply.payload = icmp;
  Outer o;
  o.src = tep6;
  o.dst = kNode6;
  o.hop_limit = hop_limit;
  return ipv6_packet(o, ipv4_packet(reply));
}

TEST_CASE("case 16: ICMP echo to the TEP's own IPv4 address", "[decap]") {
  Inner in;
  in.dst = kTep4;
  in.protocol = net::kProtoIcmp;
  in.payload = echo_request_payload();
  TepContext tep = make_tep();
  tep.hop_limit = 50;
  Outer o;
  o.dst = kTep6Second;
  o.traffic_class = kDscpEf;
  SECTION("answered into the tunnel it came from, whatever its TTL (RFC 1812 §4.2.2.9)") {
    in.ttl = GENERATE(std::uint8_t{64}, std::uint8_t{1});
    TestPacket pkt(ipv6_packet(o, ipv4_packet(in)));
    const Verdict v = run(tep, pkt);
    CHECK(v.action == Action::kReplyLocal);
    CHECK(counter_name(v) == "in-icmpv4-echo-local");
    CHECK(pkt.bytes() == expected_echo_reply(kTep6Second, 50));
  }
  SECTION("answer_echo off: dropped, unchanged") {
    tep.answer_echo = false;
    TestPacket pkt(ipv6_packet(o, ipv4_packet(in)));
    const Bytes before = pkt.bytes();
    check_drop(run(tep, pkt), "drop-martian-ipv4");
    CHECK(pkt.bytes() == before);
  }
  SECTION("anything else to the TEP's IPv4 address is dropped") {
    in.protocol = net::kProtoUdp;
    TestPacket pkt(ipv6_packet(o, ipv4_packet(in)));
    check_drop(run(tep, pkt), "drop-martian-ipv4");
  }
}

TEST_CASE("case 33: ECN on decapsulation (RFC 6040 §4.2)", "[decap]") {
  Outer o;
  Inner in;
  SECTION("outer CE, inner Not-ECT: dropped, unchanged") {
    o.traffic_class = kDscpEf | kCe;
    in.tos = kNotEct;
    TestPacket pkt(ipv6_packet(o, ipv4_packet(in)));
    const Bytes before = pkt.bytes();
    check_drop(run(make_tep(), pkt), "drop-ecn-ce-not-ect");
    CHECK(pkt.bytes() == before);
  }
  auto check_ecn = [&](std::uint8_t outer_ecn, std::uint8_t inner_ecn, std::uint8_t result) {
    o.traffic_class = static_cast<std::uint8_t>(kDscpEf | outer_ecn);
    in.tos = inner_ecn;
    TestPacket pkt(ipv6_packet(o, ipv4_packet(in)));
    Inner expected = in;
    expected.tos = result;  // the outer DSCP is not copied
    check_forwarded(run(make_tep(), pkt), pkt, forwarded(expected));
  };
  SECTION("outer CE, inner ECT(0) or ECT(1): forwarded as CE") {
    check_ecn(kCe, kEct0, kCe);
    check_ecn(kCe, kEct1, kCe);
  }
  SECTION("outer ECT(1), inner ECT(0): ECT(1)") {
    check_ecn(kEct1, kEct0, kEct1);
  }
  SECTION("other combinations keep the inner field") {
    check_ecn(kNotEct, kEct0, kEct0);
    check_ecn(kEct0, kNotEct, kNotEct);
    check_ecn(kEct1, kNotEct, kNotEct);
    check_ecn(kEct0, kEct1, kEct1);
    check_ecn(kNotEct, kCe, kCe);
  }
}

}  // namespace
}  // namespace dstm::dp::test
