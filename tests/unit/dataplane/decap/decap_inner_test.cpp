// decap_parse on the inner IPv4 header (TEP-BEHAVIOUR.md cases 8, 9, 12, 13 and 17-20,
// RFC 1812 §5.2.2, §5.3.7, RFC 7126).
#include <catch2/catch.hpp>
#include <stdexcept>

#include "decap_test_util.h"

namespace dstm::dp::test {
namespace {

constexpr std::size_t kInnerAt = net::Ipv6Header::kSize;  // no extension headers here

// Decapsulates `inner` (bytes, possibly broken on purpose) and checks a drop that leaves the
// packet unchanged.
void check_inner_refused(const Bytes& inner, const std::string& counter,
                         IcmpError icmp = IcmpError::kNone, std::uint32_t pointer = 0,
                         const TepContext& tep = make_tep()) {
  TestPacket pkt(ipv6_packet(Outer{}, inner));
  const Bytes before = pkt.bytes();
  check_drop(run(tep, pkt), counter, icmp, 0, pointer);
  CHECK(pkt.bytes() == before);
}

// Rewrites one byte of a valid packet and fixes the header checksum, so that only the field
// under test is wrong. (The range check also quiets GCC 12's -Wnull-dereference.)
Bytes with_byte(Bytes inner, std::size_t offset, std::uint8_t value) {
  if (offset >= inner.size()) throw std::out_of_range("with_byte");
  inner[offset] = value;
  auto h = *net::Ipv4Header::at(inner);
  net::ipv4_set_header_checksum(h);
  return inner;
}

TEST_CASE("case 8: inner version, IHL or total length invalid is dropped silently", "[decap]") {
  const Bytes good = ipv4_packet(Inner{});
  const auto total = static_cast<std::uint8_t>(good.size());
  SECTION("version 6") {
    check_inner_refused(with_byte(good, 0, 0x65), "drop-malformed-ipv4");
  }
  SECTION("IHL 4") {
    check_inner_refused(with_byte(good, 0, 0x44), "drop-malformed-ipv4");
  }
  SECTION("total length beyond the outer payload") {
    check_inner_refused(with_byte(good, 3, static_cast<std::uint8_t>(total + 1)),
                        "drop-malformed-ipv4");
  }
  SECTION("total length below IHL x 4") {
    check_inner_refused(with_byte(good, 3, 19), "drop-malformed-ipv4");
  }
  SECTION("IHL 6 while total length 20") {
    Bytes inner = with_byte(good, 3, 20);
    inner.resize(24);
    check_inner_refused(with_byte(inner, 0, 0x46), "drop-malformed-ipv4");
  }
}

TEST_CASE("case 9: inner header checksum wrong is dropped silently", "[decap]") {
  Bytes inner = ipv4_packet(Inner{});
  inner[11] ^= 0x01;
  check_inner_refused(inner, "drop-bad-checksum-ipv4");
}

TEST_CASE("case 12: martian inner destinations and sources", "[decap]") {
  const auto dst = GENERATE(net::Ipv4Address::from_octets(127, 0, 0, 1),
                            net::Ipv4Address::from_octets(0, 1, 2, 3),
                            net::Ipv4Address::from_octets(240, 0, 0, 1),
                            net::Ipv4Address::from_octets(255, 255, 255, 255),
                            net::Ipv4Address::from_octets(169, 254, 1, 1));
  Inner to_martian;
  to_martian.dst = dst;
  check_inner_refused(ipv4_packet(to_martian), "drop-martian-ipv4");
  Inner from_martian;
  from_martian.src = dst;
  check_inner_refused(ipv4_packet(from_martian), "drop-martian-ipv4");
}

TEST_CASE("case 13: multicast inner destination", "[decap]") {
  Inner in;
  in.dst = net::Ipv4Address::from_octets(224, 0, 0, 251);
  check_inner_refused(ipv4_packet(in), "drop-martian-ipv4");
  in.dst = net::Ipv4Address::from_octets(239, 255, 255, 250);
  check_inner_refused(ipv4_packet(in), "drop-martian-ipv4");
}

TEST_CASE("case 13: the pool's directed broadcast as inner destination", "[decap]") {
  Inner in;
  in.dst = net::Ipv4Address::from_octets(198, 51, 100, 255);  // last of 198.51.100.0/24
  check_inner_refused(ipv4_packet(in), "drop-martian-ipv4");
}

TEST_CASE("case 13: /31 and /32 pools have no broadcast address (RFC 3021)", "[decap]") {
  TepContext tep = make_tep();
  tep.pools.push_back(*net::Ipv4Prefix::parse("192.0.2.254/31"));
  tep.pools.push_back(*net::Ipv4Prefix::parse("192.0.2.100/32"));
  tep.pools.push_back(*net::Ipv4Prefix::parse("192.0.2.8/30"));
  CHECK_FALSE(tep.is_pool_broadcast(net::Ipv4Address::from_octets(192, 0, 2, 255)));
  CHECK_FALSE(tep.is_pool_broadcast(net::Ipv4Address::from_octets(192, 0, 2, 100)));
  CHECK(tep.is_pool_broadcast(net::Ipv4Address::from_octets(192, 0, 2, 11)));
  CHECK_FALSE(tep.is_pool_broadcast(net::Ipv4Address::from_octets(192, 0, 2, 10)));
  CHECK(tep.is_pool_broadcast(net::Ipv4Address::from_octets(198, 51, 100, 255)));
  CHECK_FALSE(tep.is_pool_broadcast(net::Ipv4Address::from_octets(198, 51, 101, 255)));
}

TEST_CASE("case 17: a valid Record Route option is forwarded", "[decap]") {
  Inner in;
  in.options = {7, 7, 4, 0, 0, 0, 0, 1};  // RR with one slot, then NOP padding (RFC 791)
  TestPacket pkt(ipv6_packet(Outer{}, ipv4_packet(in)));
  check_forwarded(run(make_tep(), pkt), pkt, forwarded(in));
}

TEST_CASE("case 18: LSRR and SSRR are dropped without ICMP", "[decap]") {
  Inner in;
  in.options = {1, GENERATE(std::uint8_t{131}, std::uint8_t{137}), 7, 4, 0, 0, 0, 0};
  check_inner_refused(ipv4_packet(in), "drop-ipv4-source-route");
}

TEST_CASE("case 19: malformed inner options: Parameter Problem 12/0 at the option", "[decap]") {
  Inner in;
  SECTION("length 0") {
    in.options = {1, 0x44, 0, 0};
    check_inner_refused(ipv4_packet(in), "drop-malformed-ipv4", IcmpError::kV4ParameterProblem, 21);
  }
  SECTION("length 1") {
    in.options = {0x44, 1, 0, 0};
    check_inner_refused(ipv4_packet(in), "drop-malformed-ipv4", IcmpError::kV4ParameterProblem, 20);
  }
  SECTION("overrunning the IHL") {
    in.options = {1, 1, 7, 7, 4, 0, 0, 0};
    check_inner_refused(ipv4_packet(in), "drop-malformed-ipv4", IcmpError::kV4ParameterProblem, 22);
  }
  SECTION("a type byte with no room for its length") {
    in.options = {1, 1, 1, 7};
    check_inner_refused(ipv4_packet(in), "drop-malformed-ipv4", IcmpError::kV4ParameterProblem, 23);
  }
  SECTION("policy off: still dropped, no ICMP") {
    TepContext tep = make_tep();
    tep.icmp.parameter_problem = false;
    in.options = {1, 0x44, 0, 0};
    check_inner_refused(ipv4_packet(in), "drop-malformed-ipv4", IcmpError::kNone, 0, tep);
  }
  SECTION("End of Option List ends the walk: garbage after it is padding") {
    in.options = {0, 0x44, 0, 0};
    TestPacket pkt(ipv6_packet(Outer{}, ipv4_packet(in)));
    check_forwarded(run(make_tep(), pkt), pkt, forwarded(in));
  }
}

TEST_CASE("case 20: inner fragments are forwarded without reassembly", "[decap]") {
  Inner in;
  in.flags_fragment = GENERATE(std::uint16_t{net::Ipv4Header::kFlagMoreFragments},
                               std::uint16_t{185}, std::uint16_t{0x2000 | 185});
  TestPacket pkt(ipv6_packet(Outer{}, ipv4_packet(in)));
  CHECK(decap_parse(make_tep(), pkt.buf).outer_header_bytes == kInnerAt);
  check_forwarded(run(make_tep(), pkt), pkt, forwarded(in));
}

}  // namespace
}  // namespace dstm::dp::test
