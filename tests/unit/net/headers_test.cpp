// Header views over hand-built packets: field reads, network-order writes, short spans.
#include <catch2/catch.hpp>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "net/net.h"
#include "test_bytes.h"

using namespace dstm::net;
using dstm::net::test::hex_bytes;

namespace {

// Every view must refuse a span one byte shorter than its fixed part, and accept the fixed part.
template <class View>
void check_minimum_size() {
  std::vector<std::uint8_t> buf(View::kSize, 0);
  CHECK(View::at(buf));
  CHECK_FALSE(View::at(std::span(buf).first(View::kSize - 1)));
  CHECK_FALSE(View::at(std::span<std::uint8_t>()));
}

}  // namespace

TEST_CASE("header views reject spans shorter than their fixed part", "[net]") {
  STATIC_REQUIRE(EthernetHeader::kSize == 14);
  STATIC_REQUIRE(VlanTag::kSize == 4);
  STATIC_REQUIRE(ArpHeader::kSize == 28);
  STATIC_REQUIRE(Ipv4Header::kSize == 20);
  STATIC_REQUIRE(Ipv6Header::kSize == 40);
  STATIC_REQUIRE(IcmpHeader::kSize == 8);
  STATIC_REQUIRE(Icmpv6Header::kSize == 8);
  STATIC_REQUIRE(UdpHeader::kSize == 8);
  STATIC_REQUIRE_FALSE(std::is_same_v<IcmpHeader, Icmpv6Header>);
  check_minimum_size<EthernetHeader>();
  check_minimum_size<VlanTag>();
  check_minimum_size<ArpHeader>();
  check_minimum_size<Ipv4Header>();
  check_minimum_size<Ipv6Header>();
  check_minimum_size<IcmpHeader>();
  check_minimum_size<Icmpv6Header>();
  check_minimum_size<UdpHeader>();
}

TEST_CASE("MacAddress parses and prints", "[net]") {
  const auto m = MacAddress::parse("02:00:5E:10:0a:FF").value();
  CHECK(m.bytes() == MacAddress::Bytes{0x02, 0x00, 0x5E, 0x10, 0x0A, 0xFF});
  CHECK(m.to_string() == "02:00:5e:10:0a:ff");
  CHECK_FALSE(m.is_multicast());
  CHECK(MacAddress::parse("01:00:5e:00:00:01").value().is_multicast());
  CHECK(MacAddress::parse("33:33:00:00:00:01").value().is_multicast());
  CHECK(MacAddress::broadcast().is_broadcast());
  CHECK(MacAddress::broadcast().is_multicast());
  CHECK(MacAddress::broadcast().to_string() == "ff:ff:ff:ff:ff:ff");
  CHECK(MacAddress().is_zero());
  for (std::string_view bad : {"", "02:00:5e:10:0a", "02:00:5e:10:0a:ff:00", "02-00-5e-10-0a-ff",
                               "2:0:5e:10:a:ff", "02:00:5e:10:0a:fg", "0200.5e10.0aff",
                               "02:00:5e:10:0a:ff ", " 02:00:5e:10:0a:f", "02:00:5e:10:0a::f"}) {
    INFO(bad);
    CHECK_FALSE(MacAddress::parse(bad));
  }
}

TEST_CASE("EthernetHeader and VlanTag", "[net]") {
  auto frame = hex_bytes("ffffffffffff 020000000001 8100 a00a 0806 dead");
  auto eth = EthernetHeader::at(frame).value();
  CHECK(eth.dst().is_broadcast());
  CHECK(eth.src() == MacAddress::parse("02:00:00:00:00:01").value());
  CHECK(eth.ethertype() == kEtherTypeVlan);
  CHECK(eth.payload().size() == 6);

  auto tag = VlanTag::at(eth.payload()).value();
  CHECK(tag.tci() == 0xA00A);
  CHECK(tag.pcp() == 5);
  CHECK_FALSE(tag.dei());
  CHECK(tag.vid() == 10);
  CHECK(tag.inner_ethertype() == kEtherTypeArp);
  CHECK(tag.payload().size() == 2);

  tag.set_vid(0xFFF);  // must keep PCP and DEI
  CHECK(tag.tci() == 0xAFFF);
  tag.set_dei(true);
  CHECK(tag.tci() == 0xBFFF);
  tag.set_pcp(0);
  CHECK(tag.tci() == 0x1FFF);
  tag.set_inner_ethertype(kEtherTypeIpv6);

  eth.set_dst(MacAddress::parse("02:00:00:00:00:02").value());
  eth.set_src(MacAddress::parse("02:00:00:00:00:03").value());
  eth.set_ethertype(kEtherTypeQinQ);
  CHECK(frame == hex_bytes("020000000002 020000000003 88a8 1fff 86dd dead"));
}

TEST_CASE("ArpHeader reads a request and writes a reply", "[net]") {
  auto arp = hex_bytes("0001 0800 06 04 0001 020000000001 c0000201 000000000000 c0000202");
  auto h = ArpHeader::at(arp).value();
  CHECK(h.is_ethernet_ipv4());
  CHECK(h.op() == kArpOpRequest);
  CHECK(h.sha() == MacAddress::parse("02:00:00:00:00:01").value());
  CHECK(h.spa() == Ipv4Address::from_octets(192, 0, 2, 1));
  CHECK(h.tha().is_zero());
  CHECK(h.tpa() == Ipv4Address::from_octets(192, 0, 2, 2));

  // Turn it into the reply, the way a responder does.
  const auto mine = MacAddress::parse("02:00:00:00:00:02").value();
  h.set_op(kArpOpReply);
  h.set_tha(h.sha());
  h.set_tpa(h.spa());
  h.set_sha(mine);
  h.set_spa(Ipv4Address::from_octets(192, 0, 2, 2));
  CHECK(arp == hex_bytes("0001 0800 06 04 0002 020000000002 c0000202 020000000001 c0000201"));

  std::vector<std::uint8_t> blank(ArpHeader::kSize, 0);
  auto b = ArpHeader::at(blank).value();
  CHECK_FALSE(b.is_ethernet_ipv4());
  b.set_ethernet_ipv4();
  CHECK(b.is_ethernet_ipv4());
  CHECK(std::vector(blank.begin(), blank.begin() + 6) == hex_bytes("0001 0800 06 04"));
}

TEST_CASE("Ipv4Header reads a real header", "[net]") {
  // A UDP datagram header with a known checksum (0xb861), 115 bytes in total.
  auto pkt = hex_bytes("4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7");
  pkt.resize(0x73, 0xAB);
  auto ip = Ipv4Header::at(pkt).value();
  CHECK(ip.version() == 4);
  CHECK(ip.ihl() == 5);
  CHECK(ip.header_length() == 20);
  CHECK(ip.tos() == 0);
  CHECK(ip.total_length() == 115);
  CHECK(ip.id() == 0);
  CHECK(ip.dont_fragment());
  CHECK_FALSE(ip.more_fragments());
  CHECK(ip.fragment_offset() == 0);
  CHECK_FALSE(ip.is_fragment());
  CHECK(ip.ttl() == 64);
  CHECK(ip.protocol() == kProtoUdp);
  CHECK(ip.checksum() == 0xB861);
  CHECK(ip.src() == Ipv4Address::from_octets(192, 168, 0, 1));
  CHECK(ip.dst() == Ipv4Address::from_octets(192, 168, 0, 199));
  CHECK(ip.options().empty());
  CHECK(ip.header_bytes().size() == 20);
  CHECK(ip.payload().size() == 95);
  CHECK(ip.valid_basic());
  CHECK(ip.valid_basic(115));
  CHECK_FALSE(ip.valid_basic(114));  // truncated: total length exceeds what arrived
}

TEST_CASE("Ipv4Header::valid_basic rejects bad version, IHL and lengths", "[net]") {
  auto pkt = hex_bytes("4500 0028 0000 0000 4006 0000 c0000201 c0000202");
  pkt.resize(40, 0);
  auto ip = Ipv4Header::at(pkt).value();
  REQUIRE(ip.valid_basic());
  ip.set_version_ihl(6, 5);
  CHECK_FALSE(ip.valid_basic());
  ip.set_version_ihl(4, 4);  // IHL below 5
  CHECK_FALSE(ip.valid_basic());
  ip.set_version_ihl(4, 15);  // 60-byte header, total length only 40
  CHECK_FALSE(ip.valid_basic());
  ip.set_version_ihl(4, 6);
  CHECK(ip.valid_basic());
  CHECK(ip.options().size() == 4);
  CHECK(ip.payload().size() == 16);
  ip.set_total_length(23);  // shorter than the header
  CHECK_FALSE(ip.valid_basic());
  ip.set_total_length(0);
  CHECK_FALSE(ip.valid_basic());
  CHECK(ip.payload().empty());

  // A lying IHL on a short buffer: options are clamped to the span, never past it.
  auto short_pkt = hex_bytes("4f00 003c 0000 0000 4006 0000 c0000201 c0000202 01010101");
  auto s = Ipv4Header::at(short_pkt).value();
  CHECK(s.header_length() == 60);
  CHECK(s.options().size() == 4);
  CHECK(s.header_bytes().size() == 24);
  CHECK_FALSE(s.valid_basic(60));  // header does not fit the view
}

TEST_CASE("Ipv4Header setters write network order and keep neighbouring bits", "[net]") {
  std::vector<std::uint8_t> buf(Ipv4Header::kSize, 0);
  auto ip = Ipv4Header::at(buf).value();
  ip.set_version_ihl(4, 5);
  ip.set_dscp(46);  // EF
  ip.set_ecn(1);
  ip.set_total_length(0x1234);
  ip.set_id(0xBEEF);
  ip.set_dont_fragment(true);
  ip.set_fragment_offset(0x1ABC);
  ip.set_more_fragments(true);
  ip.set_ttl(255);
  ip.set_protocol(kProtoIcmp);
  ip.set_checksum(0xCAFE);
  ip.set_src(Ipv4Address::from_octets(198, 51, 100, 1));
  ip.set_dst(Ipv4Address::from_octets(203, 0, 113, 9));
  CHECK(buf == hex_bytes("45 b9 1234 beef 7abc ff 01 cafe c6336401 cb007109"));
  CHECK(ip.dscp() == 46);
  CHECK(ip.ecn() == 1);
  CHECK(ip.is_fragment());
  CHECK(ip.fragment_offset() == 0x1ABC);
  ip.set_dont_fragment(false);
  ip.set_more_fragments(false);
  CHECK(ip.flags_fragment() == 0x1ABC);
  ip.set_fragment_offset(0);
  CHECK_FALSE(ip.is_fragment());
  ip.set_dscp(0);
  CHECK(ip.tos() == 1);  // ECN kept
}

TEST_CASE("Ipv6Header reads and writes the fixed header", "[net]") {
  auto pkt = hex_bytes(
      "6123 4567 0018 04 40"
      "20010db8000000000000000000000001"
      "20010db8000000000000000000000002");
  pkt.resize(40 + 0x18 + 3, 0xEE);  // three bytes of trailing link padding
  auto ip6 = Ipv6Header::at(pkt).value();
  CHECK(ip6.version() == 6);
  CHECK(ip6.traffic_class() == 0x12);
  CHECK(ip6.flow_label() == 0x34567);
  CHECK(ip6.payload_length() == 0x18);
  CHECK(ip6.next_header() == kProtoIpv4InIpv6);
  CHECK(ip6.hop_limit() == 64);
  CHECK(ip6.src() == Ipv6Address::parse("2001:db8::1").value());
  CHECK(ip6.dst() == Ipv6Address::parse("2001:db8::2").value());
  CHECK(ip6.payload().size() == 0x18);  // padding excluded

  ip6.set_traffic_class(0xFF);
  CHECK(ip6.version() == 6);
  CHECK(ip6.flow_label() == 0x34567);
  ip6.set_flow_label(0xFFFFFFFF);  // only 20 bits are kept
  CHECK(ip6.flow_label() == 0xFFFFF);
  CHECK(ip6.traffic_class() == 0xFF);
  ip6.set_version_class_flow(6, 0, 0);
  ip6.set_payload_length(0x0500);
  ip6.set_next_header(kProtoIcmpv6);
  ip6.set_hop_limit(255);
  ip6.set_src(Ipv6Address::parse("fe80::1").value());
  ip6.set_dst(Ipv6Address::parse("ff02::1").value());
  CHECK(std::vector(pkt.begin(), pkt.begin() + 40) ==
        hex_bytes("6000 0000 0500 3a ff fe800000000000000000000000000001"
                  "ff020000000000000000000000000001"));
  CHECK(ip6.payload().size() == 0x18 + 3);  // payload length now exceeds the span: clamped
}

TEST_CASE("ICMP, ICMPv6 and UDP views", "[net]") {
  auto echo = hex_bytes("0800 06fa 1234 0001 70696e67");
  auto icmp = IcmpHeader::at(echo).value();
  CHECK(icmp.type() == kIcmpEchoRequest);
  CHECK(icmp.code() == 0);
  CHECK(icmp.checksum() == 0x06FA);
  CHECK(internet_checksum(echo) == 0);  // the echo above carries a correct checksum
  CHECK(icmp.identifier() == 0x1234);
  CHECK(icmp.sequence() == 1);
  CHECK(icmp.rest() == 0x12340001);
  CHECK(icmp.payload().size() == 4);

  std::vector<std::uint8_t> buf(8, 0);
  auto too_big = Icmpv6Header::at(buf).value();
  too_big.set_type(kIcmpv6PacketTooBig);
  too_big.set_code(0);
  too_big.set_checksum(0xABCD);
  too_big.set_rest(1280);  // MTU, RFC 4443 §3.2
  CHECK(buf == hex_bytes("02 00 abcd 00000500"));
  too_big.set_identifier(7);
  too_big.set_sequence(9);
  CHECK(too_big.rest() == 0x00070009);

  auto dgram = hex_bytes("3039 0035 000c 0a50 6473746d ffff");  // 2 bytes beyond length
  auto udp = UdpHeader::at(dgram).value();
  CHECK(udp.src_port() == 12345);
  CHECK(udp.dst_port() == 53);
  CHECK(udp.length() == 12);
  CHECK(udp.checksum() == 0x0A50);
  CHECK(udp.payload().size() == 4);
  udp.set_length(4);  // shorter than the header itself
  CHECK(udp.payload().empty());
  udp.set_src_port(1);
  udp.set_dst_port(0xFFFF);
  udp.set_length(9);
  udp.set_checksum(0);
  CHECK(std::vector(dgram.begin(), dgram.begin() + 8) == hex_bytes("0001 ffff 0009 0000"));
}
