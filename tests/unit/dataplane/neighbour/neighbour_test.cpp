// ARP and ND answers for the TEP's own addresses, and ping6 to the TEP (packet/neighbour.h).
#include <catch2/catch.hpp>

#include <vector>

#include "packet/neighbour.h"

using namespace dstm;
using namespace dstm::dp;

namespace {

const net::MacAddress kPortMac = *net::MacAddress::parse("02:70:63:61:70:00");
const net::MacAddress kPeerMac = *net::MacAddress::parse("02:00:00:00:00:aa");
const net::Ipv6Address kTep6 = *net::Ipv6Address::parse("2001:db8:1::1");
const net::Ipv6Address kNode6 = *net::Ipv6Address::parse("2001:db8:1::2");

TepContext tep() {
  TepContext t;
  t.tep_ipv6 = {kTep6};
  t.tep_ipv4 = *net::Ipv4Address::parse("198.51.100.1");
  t.pools = {*net::Ipv4Prefix::parse("192.0.2.0/24")};
  return t;
}

// A buffer with 64 bytes of headroom and 64 of tailroom around `len` bytes.
struct Packet {
  std::vector<std::uint8_t> storage;
  PacketBuf buf;
  explicit Packet(std::uint32_t len) : storage(64 + len + 64) { buf = PacketBuf{storage.data() + 64, len, 64, 64}; }
};

Packet arp_request(net::Ipv4Address target) {
  Packet p(net::ArpHeader::kSize + 18);  // as received: padded to a 60-byte frame
  auto arp = net::ArpHeader::at(p.buf.bytes());
  arp->set_ethernet_ipv4();
  arp->set_op(net::kArpOpRequest);
  arp->set_sha(kPeerMac);
  arp->set_spa(*net::Ipv4Address::parse("198.51.100.254"));
  arp->set_tpa(target);
  return p;
}

void set_icmpv6_checksum(PacketBuf& pkt) {
  auto ip = net::Ipv6Header::at(pkt.bytes());
  auto icmp = pkt.bytes().subspan(40, ip->payload_length());
  icmp[2] = icmp[3] = 0;
  auto sum = net::checksum_fold(net::checksum_partial(
      icmp, net::pseudo_header_sum_v6(ip->src(), ip->dst(), net::kProtoIcmpv6, static_cast<std::uint32_t>(icmp.size()))));
  icmp[2] = static_cast<std::uint8_t>(sum >> 8);
  icmp[3] = static_cast<std::uint8_t>(sum & 0xFF);
}

bool icmpv6_checksum_ok(const PacketBuf& pkt) {
  auto ip = net::Ipv6Header::at(pkt.bytes());
  auto icmp = pkt.bytes().subspan(40, ip->payload_length());
  return net::checksum_fold(net::checksum_partial(
             icmp, net::pseudo_header_sum_v6(ip->src(), ip->dst(), net::kProtoIcmpv6,
                                             static_cast<std::uint32_t>(icmp.size())))) == 0;
}

// An NS (with a source link-layer option) from `src` for `target`, hop limit `hlim`.
Packet neighbor_solicitation(net::Ipv6Address src, net::Ipv6Address target, std::uint8_t hlim = 255) {
  Packet p(40 + 24 + 8);
  auto ip = net::Ipv6Header::at(p.buf.bytes());
  ip->set_version_class_flow(6, 0, 0);
  ip->set_payload_length(32);
  ip->set_next_header(net::kProtoIcmpv6);
  ip->set_hop_limit(hlim);
  ip->set_src(src);
  ip->set_dst(*net::Ipv6Address::parse("ff02::1:ff00:1"));  // solicited-node group of ::1
  std::uint8_t* b = p.buf.data + 40;
  b[0] = net::kIcmpv6NeighborSolicitation;
  target.to_bytes(b + 8);
  b[24] = 1;
  b[25] = 1;
  kPeerMac.to_bytes(b + 26);
  set_icmpv6_checksum(p.buf);
  return p;
}

}  // namespace

TEST_CASE("ARP request for the TEP's IPv4 address is answered in place (RFC 826)", "[neighbour]") {
  Packet p = arp_request(*net::Ipv4Address::parse("198.51.100.1"));
  net::MacAddress to;
  Verdict v = answer_arp(tep(), kPortMac, p.buf, &to);
  REQUIRE(v.action == Action::kReplyLocal);
  CHECK(v.counter == Counter::kInArpLocal);
  CHECK(to == kPeerMac);
  CHECK(p.buf.len == net::ArpHeader::kSize);  // padding trimmed
  auto arp = net::ArpHeader::at(p.buf.bytes());
  CHECK(arp->op() == net::kArpOpReply);
  CHECK(arp->sha() == kPortMac);
  CHECK(arp->spa() == *net::Ipv4Address::parse("198.51.100.1"));
  CHECK(arp->tha() == kPeerMac);
  CHECK(arp->tpa() == *net::Ipv4Address::parse("198.51.100.254"));
}

TEST_CASE("ARP for other addresses, ARP replies and short ARP are not answered", "[neighbour]") {
  net::MacAddress to;
  Packet other = arp_request(*net::Ipv4Address::parse("198.51.100.7"));
  CHECK(answer_arp(tep(), kPortMac, other.buf, &to).counter == Counter::kDropArpOther);
  Packet reply = arp_request(*net::Ipv4Address::parse("198.51.100.1"));
  net::ArpHeader::at(reply.buf.bytes())->set_op(net::kArpOpReply);
  CHECK(answer_arp(tep(), kPortMac, reply.buf, &to).action == Action::kDrop);
  Packet shorty(10);
  CHECK(answer_arp(tep(), kPortMac, shorty.buf, &to).action == Action::kDrop);
}

TEST_CASE("NS for a TEP address becomes a solicited NA with the target link-layer option", "[neighbour]") {
  Packet p = neighbor_solicitation(kNode6, kTep6);
  REQUIRE(is_local_icmpv6(tep(), p.buf));
  Verdict v = answer_icmpv6(tep(), kPortMac, p.buf);
  REQUIRE(v.action == Action::kReplyLocal);
  CHECK(v.counter == Counter::kInNdLocal);
  auto ip = net::Ipv6Header::at(p.buf.bytes());
  CHECK(ip->src() == kTep6);
  CHECK(ip->dst() == kNode6);
  CHECK(ip->hop_limit() == 255);
  CHECK(ip->payload_length() == 32);
  const std::uint8_t* b = p.buf.data + 40;
  CHECK(b[0] == net::kIcmpv6NeighborAdvertisement);
  CHECK(b[4] == 0xE0);  // Router, Solicited, Override (RFC 4861 §4.4)
  CHECK(net::Ipv6Address::from_bytes(b + 8) == kTep6);
  CHECK(b[24] == 2);
  CHECK(net::MacAddress::from_bytes(b + 26) == kPortMac);
  CHECK(icmpv6_checksum_ok(p.buf));
}

TEST_CASE("a duplicate address probe is answered to all-nodes without the S flag", "[neighbour]") {
  Packet p = neighbor_solicitation(net::Ipv6Address{}, kTep6);
  Verdict v = answer_icmpv6(tep(), kPortMac, p.buf);
  REQUIRE(v.action == Action::kReplyLocal);
  auto ip = net::Ipv6Header::at(p.buf.bytes());
  CHECK(ip->dst() == *net::Ipv6Address::parse("ff02::1"));
  CHECK(p.buf.data[40 + 4] == 0xA0);  // Router, Override
  CHECK(icmpv6_checksum_ok(p.buf));
}

TEST_CASE("invalid or foreign NS are dropped (RFC 4861 §7.1.1)", "[neighbour]") {
  Packet relayed = neighbor_solicitation(kNode6, kTep6, 64);  // hop limit must be 255
  CHECK(answer_icmpv6(tep(), kPortMac, relayed.buf).counter == Counter::kDropIcmpv6Other);
  Packet foreign = neighbor_solicitation(kNode6, *net::Ipv6Address::parse("2001:db8:1::99"));
  CHECK(answer_icmpv6(tep(), kPortMac, foreign.buf).counter == Counter::kDropIcmpv6Other);
  Packet corrupt = neighbor_solicitation(kNode6, kTep6);
  corrupt.buf.data[40 + 20] ^= 0xFF;  // checksum no longer matches
  CHECK(answer_icmpv6(tep(), kPortMac, corrupt.buf).counter == Counter::kDropIcmpv6Other);
}

TEST_CASE("ping6 to the TEP is answered; ICMPv6 to others and 4in6 are not local", "[neighbour]") {
  Packet p(40 + 12);
  auto ip = net::Ipv6Header::at(p.buf.bytes());
  ip->set_version_class_flow(6, 0, 0);
  ip->set_payload_length(12);
  ip->set_next_header(net::kProtoIcmpv6);
  ip->set_hop_limit(63);
  ip->set_src(kNode6);
  ip->set_dst(kTep6);
  p.buf.data[40] = net::kIcmpv6EchoRequest;
  p.buf.data[44] = 0x12;  // identifier
  p.buf.data[48] = 'p';
  set_icmpv6_checksum(p.buf);
  REQUIRE(is_local_icmpv6(tep(), p.buf));
  Verdict v = answer_icmpv6(tep(), kPortMac, p.buf);
  REQUIRE(v.action == Action::kReplyLocal);
  CHECK(v.counter == Counter::kInIcmpv6EchoLocal);
  CHECK(ip->src() == kTep6);
  CHECK(ip->dst() == kNode6);
  CHECK(p.buf.data[40] == net::kIcmpv6EchoReply);
  CHECK(p.buf.data[44] == 0x12);
  CHECK(icmpv6_checksum_ok(p.buf));

  ip->set_dst(*net::Ipv6Address::parse("2001:db8:1::99"));
  CHECK_FALSE(is_local_icmpv6(tep(), p.buf));
  ip->set_dst(kTep6);
  ip->set_next_header(net::kProtoIpv4InIpv6);
  CHECK_FALSE(is_local_icmpv6(tep(), p.buf));
}
