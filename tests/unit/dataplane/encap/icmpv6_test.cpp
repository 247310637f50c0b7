// build_icmpv6_error: 1/5 and 4/x built exactly, pseudo-header checksum (RFC 4443 §2.3), the
// 1280-byte quote (§2.4 (c)) and the refusals of §2.4 (e).
#include <catch2/catch.hpp>

#include "packet/icmp.h"
#include "test_packets.h"

namespace dstm::dp {
namespace {

using test::OutBuf;

Verdict v6_error(IcmpError kind, std::uint8_t code = 0, std::uint32_t pointer = 0) {
  Verdict v = drop(Counter::kDropNoSourceSoftwire);
  v.icmp = kind;
  v.icmp_code = code;
  v.pointer = pointer;
  return v;
}

// C6 -> T carrying an IPv4 packet of `inner_length` bytes (next header 4).
std::vector<std::uint8_t> node_packet(std::size_t inner_length = 60,
                                      const net::Ipv6Address& src = test::kNode6,
                                      const net::Ipv6Address& dst = test::kTep6) {
  test::Ipv4Spec spec;
  spec.src = test::kLease;
  spec.dst = test::kInternet;
  spec.payload_length = inner_length - 20;
  const auto inner = test::make_ipv4(spec);
  return test::make_ipv6(src, dst, net::kProtoIpv4InIpv6, inner);
}

// C6 -> T carrying an ICMPv6 message of `type`.
std::vector<std::uint8_t> icmpv6_packet(std::uint8_t type) {
  std::vector<std::uint8_t> icmp(16, 0);
  icmp[0] = type;
  return test::make_ipv6(test::kNode6, test::kTep6, net::kProtoIcmpv6, icmp);
}

// Checks the IPv6 + ICMPv6 headers of a built error and returns the rest-of-header word.
std::uint32_t check_icmpv6(std::span<const std::uint8_t> b, std::span<const std::uint8_t> quote,
                           std::uint8_t type, std::uint8_t code) {
  REQUIRE(b.size() == 48 + quote.size());
  std::vector<std::uint8_t> copy(b.begin(), b.end());
  auto ip = net::Ipv6Header::at(copy);
  CHECK(ip->version() == 6);
  CHECK(ip->traffic_class() == 0);
  CHECK(ip->flow_label() == 0);
  CHECK(ip->payload_length() == b.size() - 40);
  CHECK(ip->next_header() == net::kProtoIcmpv6);
  CHECK(ip->hop_limit() == 64);
  CHECK(ip->src() == test::kTep6);
  CHECK(ip->dst() == test::kNode6);
  CHECK(b[40] == type);
  CHECK(b[41] == code);
  // RFC 4443 §2.3: the sum over pseudo-header + message, checksum included, folds to 0.
  const std::uint32_t pseudo = net::pseudo_header_sum_v6(
      test::kTep6, test::kNode6, net::kProtoIcmpv6, static_cast<std::uint32_t>(b.size() - 40));
  CHECK(net::checksum_fold(net::checksum_partial(b.subspan(40), pseudo)) == 0);
  CHECK(std::equal(quote.begin(), quote.end(), b.begin() + 48, b.end()));
  return net::load_be32(&b[44]);
}

}  // namespace

TEST_CASE("ICMPv6 1/5 and 4/x are built exactly", "[icmp]") {
  const auto tep = test::make_tep();
  const auto offending = node_packet();
  OutBuf out;
  SECTION("1/5 source address failed ingress/egress policy (RFC 4443 §3.1)") {
    REQUIRE(build_icmpv6_error(tep, v6_error(IcmpError::kV6AddrUnreachable), offending, out.pkt));
    CHECK(check_icmpv6(out.bytes(), offending, 1, 5) == 0);
  }
  SECTION("4/1 with a 32-bit pointer (RFC 4443 §3.4)") {
    REQUIRE(build_icmpv6_error(tep, v6_error(IcmpError::kV6ParameterProblem, 1, 6), offending,
                               out.pkt));
    CHECK(check_icmpv6(out.bytes(), offending, 4, 1) == 6);
  }
  SECTION("4/0 with a pointer above 16 bits") {
    REQUIRE(build_icmpv6_error(tep, v6_error(IcmpError::kV6ParameterProblem, 0, 0x10002), offending,
                               out.pkt));
    CHECK(check_icmpv6(out.bytes(), offending, 4, 0) == 0x10002);
  }
  SECTION("ICMPv6 informational (echo request) is quoted") {
    const auto echo = icmpv6_packet(net::kIcmpv6EchoRequest);
    REQUIRE(build_icmpv6_error(tep, v6_error(IcmpError::kV6AddrUnreachable), echo, out.pkt));
    check_icmpv6(out.bytes(), echo, 1, 5);
  }
  SECTION("to a multicast destination only 4/2 (RFC 4443 §2.4 (e.3))") {
    const auto mcast = node_packet(60, test::kNode6, *net::Ipv6Address::parse("ff02::1"));
    REQUIRE(
        build_icmpv6_error(tep, v6_error(IcmpError::kV6ParameterProblem, 2, 42), mcast, out.pkt));
    check_icmpv6(out.bytes(), mcast, 4, 2);
  }
}

TEST_CASE("ICMPv6 quote: as much as fits in 1280 bytes, padding left out", "[icmp]") {
  const auto tep = test::make_tep();
  OutBuf out;
  SECTION("1500-byte packet: 1232 bytes quoted") {
    const auto offending = node_packet(1460);
    REQUIRE(build_icmpv6_error(tep, v6_error(IcmpError::kV6AddrUnreachable), offending, out.pkt));
    CHECK(out.pkt.len == 1280);
    check_icmpv6(out.bytes(), std::span(offending).first(1232), 1, 5);
  }
  SECTION("trailing padding beyond the payload length is not quoted") {
    auto frame = node_packet(20);
    const auto packet = frame;
    frame.resize(frame.size() + 6, 0);
    REQUIRE(build_icmpv6_error(tep, v6_error(IcmpError::kV6AddrUnreachable), frame, out.pkt));
    check_icmpv6(out.bytes(), packet, 1, 5);
  }
  SECTION("the configured hop limit is used") {
    auto tep50 = tep;
    tep50.hop_limit = 50;
    REQUIRE(
        build_icmpv6_error(tep50, v6_error(IcmpError::kV6AddrUnreachable), node_packet(), out.pkt));
    CHECK(out.pkt.data[7] == 50);
  }
}

TEST_CASE("ICMPv6 errors refused by RFC 4443 §2.4 (e)", "[icmp]") {
  auto tep = test::make_tep();
  std::vector<std::uint8_t> offending = node_packet();
  Verdict v = v6_error(IcmpError::kV6AddrUnreachable);
  std::uint32_t room = 2048;
  SECTION("about an ICMPv6 error message (type < 128)") {
    const std::uint8_t type = GENERATE(as<std::uint8_t>{}, 1, 2, 3, 4, 127);
    offending = icmpv6_packet(type);
  }
  SECTION("ICMPv6 without its type byte") {
    offending = test::make_ipv6(test::kNode6, test::kTep6, net::kProtoIcmpv6, {});
  }
  SECTION("source multicast or unspecified") {
    const auto src = GENERATE(as<std::string>{}, "ff02::1", "::");
    offending = node_packet(60, *net::Ipv6Address::parse(src));
  }
  SECTION("destination multicast, not 4/2") {
    offending = node_packet(60, test::kNode6, *net::Ipv6Address::parse("ff02::1"));
    v = GENERATE(v6_error(IcmpError::kV6AddrUnreachable),
                 v6_error(IcmpError::kV6ParameterProblem, 1));
  }
  SECTION("not IPv6") {
    offending[0] = 0x45;
  }
  SECTION("shorter than the IPv6 header") {
    offending.resize(39);
  }
  SECTION("not an ICMPv6 kind") {
    v.icmp = GENERATE(IcmpError::kNone, IcmpError::kV4TimeExceeded);
  }
  SECTION("no TEP IPv6 address") {
    tep.tep_ipv6.clear();
  }
  SECTION("not enough tailroom") {
    room = 48 + 100 - 1;
  }
  OutBuf out(room);
  CHECK_FALSE(build_icmpv6_error(tep, v, offending, out.pkt));
  CHECK(out.pkt.len == 0);
  CHECK(out.pkt.tailroom == room);
}

TEST_CASE("ICMP builders fit exactly the tailroom they need", "[icmp]") {
  const auto tep = test::make_tep();
  const auto v4 = test::make_ipv4(test::Ipv4Spec{});  // 52 bytes
  OutBuf out4(28 + 52);
  CHECK(build_icmpv4_error(
      tep,
      [] {
        Verdict v;
        v.icmp = IcmpError::kV4TimeExceeded;
        return v;
      }(),
      v4, out4.pkt));
  CHECK(out4.pkt.tailroom == 0);
  const auto v6 = node_packet();  // 100 bytes
  OutBuf out6(48 + 100);
  CHECK(build_icmpv6_error(tep, v6_error(IcmpError::kV6AddrUnreachable), v6, out6.pkt));
  CHECK(out6.pkt.tailroom == 0);
}

}  // namespace dstm::dp
