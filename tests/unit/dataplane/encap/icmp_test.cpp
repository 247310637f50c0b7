// build_icmpv4_error / build_icmpv6_error: exact fields, checksums, quotes and every refusal
// of RFC 1812 §4.3.2.7 and RFC 4443 §2.4 (e).
#include "packet/icmp.h"

#include <catch2/catch.hpp>

#include "test_packets.h"

namespace dstm::dp {
namespace {

using test::Ipv4Spec;
using test::OutBuf;

Verdict v4_error(IcmpError kind) {
  Verdict v = drop(Counter::kDropTtlZeroIpv4);
  v.icmp = kind;
  return v;
}

// Checks the IPv4 + ICMPv4 headers of a built error and returns the rest-of-header word.
std::uint32_t check_icmpv4(std::span<const std::uint8_t> b, std::span<const std::uint8_t> quote,
                           std::uint8_t type, std::uint8_t code) {
  REQUIRE(b.size() == 28 + quote.size());
  CHECK(b[0] == 0x45);
  CHECK(b[1] == 0xC0);  // precedence 6, RFC 1812 §4.3.2.5
  CHECK(net::load_be16(&b[2]) == b.size());
  CHECK(net::load_be16(&b[4]) == 0);  // id
  CHECK(net::load_be16(&b[6]) == 0);  // DF clear, no fragment
  CHECK(b[8] == 64);
  CHECK(b[9] == net::kProtoIcmp);
  CHECK(net::Ipv4Address::from_bytes(&b[12]) == test::kTep4);
  CHECK(net::Ipv4Address::from_bytes(&b[16]) == test::kInternet);
  CHECK(net::internet_checksum(b.first(20)) == 0);
  CHECK(b[20] == type);
  CHECK(b[21] == code);
  CHECK(net::internet_checksum(b.subspan(20)) == 0);
  CHECK(std::equal(quote.begin(), quote.end(), b.begin() + 28, b.end()));
  return net::load_be32(&b[24]);
}

}  // namespace

TEST_CASE("ICMPv4 11/0, 3/1, 3/4 and 12/0 are built exactly", "[icmp]") {
  const auto tep = test::make_tep();
  const auto offending = test::make_ipv4(Ipv4Spec{});
  OutBuf out;
  SECTION("time exceeded 11/0") {
    REQUIRE(build_icmpv4_error(tep, v4_error(IcmpError::kV4TimeExceeded), offending, out.pkt));
    CHECK(check_icmpv4(out.bytes(), offending, 11, 0) == 0);
  }
  SECTION("host unreachable 3/1") {
    REQUIRE(build_icmpv4_error(tep, v4_error(IcmpError::kV4HostUnreachable), offending, out.pkt));
    CHECK(check_icmpv4(out.bytes(), offending, 3, 1) == 0);
  }
  SECTION("fragmentation needed 3/4, RFC 1191 §4 next-hop MTU in the low 16 bits") {
    Verdict v = v4_error(IcmpError::kV4FragNeeded);
    v.mtu = 1460;
    REQUIRE(build_icmpv4_error(tep, v, offending, out.pkt));
    CHECK(check_icmpv4(out.bytes(), offending, 3, 4) == 1460);
  }
  SECTION("parameter problem 12/0, pointer in the first byte") {
    Verdict v = v4_error(IcmpError::kV4ParameterProblem);
    v.pointer = 21;
    REQUIRE(build_icmpv4_error(tep, v, offending, out.pkt));
    CHECK(check_icmpv4(out.bytes(), offending, 12, 0) == 0x15000000);
  }
  CHECK(out.pkt.tailroom == 2048 - out.pkt.len);
}

TEST_CASE("ICMPv4 quote: whole datagram up to 576 bytes in all, padding left out", "[icmp]") {
  const auto tep = test::make_tep();
  Ipv4Spec spec;
  OutBuf out;
  SECTION("1500-byte datagram: 548 bytes quoted (RFC 1812 §4.3.2.3)") {
    spec.payload_length = 1480;
    const auto offending = test::make_ipv4(spec);
    REQUIRE(build_icmpv4_error(tep, v4_error(IcmpError::kV4TimeExceeded), offending, out.pkt));
    CHECK(out.pkt.len == 576);
    check_icmpv4(out.bytes(), std::span(offending).first(548), 11, 0);
  }
  SECTION("short datagram with Ethernet padding: only the datagram is quoted") {
    spec.payload_length = 4;
    auto frame = test::make_ipv4(spec);
    const auto datagram = frame;
    frame.resize(46, 0x00);
    REQUIRE(build_icmpv4_error(tep, v4_error(IcmpError::kV4TimeExceeded), frame, out.pkt));
    check_icmpv4(out.bytes(), datagram, 11, 0);
  }
  SECTION("ICMP echo request is not an error: quoted") {
    const auto offending = test::make_icmpv4(spec, net::kIcmpEchoRequest);
    REQUIRE(build_icmpv4_error(tep, v4_error(IcmpError::kV4TimeExceeded), offending, out.pkt));
    check_icmpv4(out.bytes(), offending, 11, 0);
  }
  SECTION("first fragment (MF=1, offset 0)") {
    spec.more_fragments = true;
    const auto offending = test::make_ipv4(spec);
    REQUIRE(build_icmpv4_error(tep, v4_error(IcmpError::kV4TimeExceeded), offending, out.pkt));
    check_icmpv4(out.bytes(), offending, 11, 0);
  }
}

TEST_CASE("ICMPv4 errors refused by RFC 1812 §4.3.2.7", "[icmp]") {
  const auto tep = test::make_tep();
  Ipv4Spec spec;
  std::vector<std::uint8_t> offending;
  Verdict v = v4_error(IcmpError::kV4HostUnreachable);
  std::uint32_t room = 2048;
  SECTION("about an ICMP error") {
    const std::uint8_t type = GENERATE(as<std::uint8_t>{}, 3, 4, 5, 11, 12);
    offending = test::make_icmpv4(spec, type);
  }
  SECTION("ICMP without its type byte") {
    spec.protocol = net::kProtoIcmp;
    spec.payload_length = 0;
    offending = test::make_ipv4(spec);
  }
  SECTION("non-first fragment") {
    spec.fragment_offset = 185;
    offending = test::make_ipv4(spec);
  }
  SECTION("source not a unique host") {
    spec.src = GENERATE(net::Ipv4Address::from_octets(0, 0, 0, 0),
                        net::Ipv4Address::from_octets(127, 0, 0, 1),
                        net::Ipv4Address::from_octets(224, 0, 0, 1),
                        net::Ipv4Address::from_octets(255, 255, 255, 255),
                        net::Ipv4Address::from_octets(240, 1, 1, 1));
    offending = test::make_ipv4(spec);
  }
  SECTION("destination multicast or broadcast") {
    spec.dst = GENERATE(net::Ipv4Address::from_octets(224, 0, 0, 1),
                        net::Ipv4Address::from_octets(255, 255, 255, 255));
    offending = test::make_ipv4(spec);
  }
  SECTION("not IPv4") {
    offending = test::make_ipv4(spec);
    offending[0] = 0x65;
  }
  SECTION("not an ICMPv4 kind") {
    offending = test::make_ipv4(spec);
    v.icmp = GENERATE(IcmpError::kNone, IcmpError::kV6AddrUnreachable);
  }
  SECTION("pointer beyond one byte") {
    offending = test::make_ipv4(spec);
    v.icmp = IcmpError::kV4ParameterProblem;
    v.pointer = 256;
  }
  SECTION("not enough tailroom") {
    offending = test::make_ipv4(spec);
    room = 28 + 52 - 1;
  }
  OutBuf out(room);
  CHECK_FALSE(build_icmpv4_error(tep, v, offending, out.pkt));
  CHECK(out.pkt.len == 0);
  CHECK(out.pkt.tailroom == room);
}

}  // namespace dstm::dp
