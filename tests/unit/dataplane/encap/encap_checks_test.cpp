// encap_parse's refusals (malformed, checksum, martians) and the local echo (case 16).
#include <catch2/catch.hpp>

#include "packet/encap.h"
#include "test_packets.h"

namespace dstm::dp {
namespace {

using test::Ipv4Spec;
using test::TestBuf;

// encap_parse must decide early with `counter`, silently, and the packet stays as it came.
void check_silent_drop(const std::vector<std::uint8_t>& in, Counter counter) {
  const auto tep = test::make_tep();
  TestBuf buf(in);
  const EncapParse parsed = encap_parse(tep, buf.pkt);
  REQUIRE(parsed.early);
  CHECK(parsed.early->action == Action::kDrop);
  CHECK(parsed.early->counter == counter);
  CHECK(parsed.early->icmp == IcmpError::kNone);
  const Verdict v = encap_finish(tep, buf.pkt, parsed, &test::kNode6);
  CHECK(v.counter == counter);
  CHECK(buf.contents() == in);
}

std::vector<std::uint8_t> echo_to_tep() {
  Ipv4Spec spec;
  spec.dst = test::kTep4;
  spec.ttl = 1;  // for us: the TTL does not matter
  return test::make_icmpv4(spec, net::kIcmpEchoRequest);
}

}  // namespace

TEST_CASE("case 8 on this side: invalid IPv4 headers are dropped silently", "[encap]") {
  auto in = test::make_ipv4(Ipv4Spec{});
  SECTION("version 5") {
    in[0] = 0x55;
  }
  SECTION("IHL 4") {
    in[0] = 0x44;
  }
  SECTION("total length below the header") {
    net::store_be16(&in[2], 19);
  }
  SECTION("total length beyond the bytes present") {
    net::store_be16(&in[2], static_cast<std::uint16_t>(in.size() + 1));
  }
  SECTION("IHL beyond the total length") {
    in[0] = 0x4F;  // a 60-byte header in a 52-byte datagram
  }
  SECTION("shorter than 20 bytes") {
    in.resize(19);
  }
  auto ip = net::Ipv4Header::at(in);
  if (ip) net::ipv4_set_header_checksum(*ip);  // only the malformation may fail
  check_silent_drop(in, Counter::kDropMalformedIpv4);
}

TEST_CASE("case 9 on this side: bad IPv4 header checksum is dropped silently", "[encap]") {
  auto in = test::make_ipv4(Ipv4Spec{});
  in[10] ^= 0x01;
  check_silent_drop(in, Counter::kDropBadChecksumIpv4);
}

TEST_CASE("cases 12/13 on this side: martian destinations are dropped silently", "[encap]") {
  Ipv4Spec spec;
  spec.dst = GENERATE(
      net::Ipv4Address::from_octets(127, 0, 0, 1), net::Ipv4Address::from_octets(0, 1, 2, 3),
      net::Ipv4Address::from_octets(240, 0, 0, 1),
      net::Ipv4Address::from_octets(255, 255, 255, 255),
      net::Ipv4Address::from_octets(169, 254, 1, 1), net::Ipv4Address::from_octets(224, 0, 0, 5),
      net::Ipv4Address::from_octets(239, 1, 2, 3),
      net::Ipv4Address::from_octets(198, 51, 100, 255));  // the pool's directed broadcast
  check_silent_drop(test::make_ipv4(spec), Counter::kDropMartianIpv4);
}

TEST_CASE("martian sources are dropped silently", "[encap]") {
  Ipv4Spec spec;
  spec.src = GENERATE(net::Ipv4Address::from_octets(0, 0, 0, 0),
                      net::Ipv4Address::from_octets(127, 0, 0, 1),
                      net::Ipv4Address::from_octets(224, 0, 0, 1),
                      net::Ipv4Address::from_octets(255, 255, 255, 255),
                      net::Ipv4Address::from_octets(169, 254, 9, 9));
  check_silent_drop(test::make_ipv4(spec), Counter::kDropMartianIpv4);
}

TEST_CASE("case 16 on this side: echo to the TEP's IPv4 is answered in place", "[encap]") {
  const auto tep = test::make_tep();
  auto in = echo_to_tep();
  const auto request = in;
  in.resize(in.size() + 6, 0x00);  // Ethernet padding, trimmed from the reply
  TestBuf buf(in);
  const EncapParse parsed = encap_parse(tep, buf.pkt);
  REQUIRE(parsed.early);
  CHECK(parsed.early->action == Action::kReplyLocal);
  CHECK(parsed.early->counter == Counter::kInIcmpv4EchoLocal);
  CHECK(buf.contents() == in);  // parse wrote nothing
  const Verdict v = encap_finish(tep, buf.pkt, parsed, nullptr);
  CHECK(v.action == Action::kReplyLocal);
  CHECK(v.counter == Counter::kInIcmpv4EchoLocal);

  // Expected reply built from scratch: addresses swapped, TTL 64, type 0, both checksums.
  auto expected = request;
  auto ip = net::Ipv4Header::at(expected);
  ip->set_src(test::kTep4);
  ip->set_dst(test::kInternet);
  ip->set_ttl(64);
  net::ipv4_set_header_checksum(*ip);
  auto icmp = net::IcmpHeader::at(ip->payload());
  icmp->set_type(net::kIcmpEchoReply);
  icmp->set_checksum(0);
  icmp->set_checksum(net::internet_checksum(icmp->bytes()));
  CHECK(buf.contents() == expected);
  CHECK(net::internet_checksum(std::span(buf.pkt.data, 20)) == 0);
  CHECK(net::internet_checksum(std::span(buf.pkt.data + 20, buf.pkt.len - 20)) == 0);
}

TEST_CASE("case 16 on this side: what is not answered to the TEP's IPv4 is dropped", "[encap]") {
  auto tep = test::make_tep();
  auto in = echo_to_tep();
  SECTION("answer_echo off") {
    tep.answer_echo = false;
  }
  SECTION("echo reply, not request") {
    Ipv4Spec spec;
    spec.dst = test::kTep4;
    in = test::make_icmpv4(spec, net::kIcmpEchoReply);
  }
  SECTION("UDP") {
    Ipv4Spec spec;
    spec.dst = test::kTep4;
    in = test::make_ipv4(spec);
  }
  SECTION("bad ICMP checksum (RFC 1122 §3.2.2)") {
    in[22] ^= 0x01;
  }
  SECTION("fragment") {
    in[6] = 0x20;  // MF
    net::ipv4_set_header_checksum(*net::Ipv4Header::at(in));
  }
  TestBuf buf(in);
  const EncapParse parsed = encap_parse(tep, buf.pkt);
  REQUIRE(parsed.early);
  CHECK(parsed.early->action == Action::kDrop);
  CHECK(parsed.early->counter == Counter::kDropIpv4NotPool);
  CHECK(encap_finish(tep, buf.pkt, parsed, nullptr).action == Action::kDrop);
  CHECK(buf.contents() == in);
}

}  // namespace dstm::dp
