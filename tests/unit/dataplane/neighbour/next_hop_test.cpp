// Next-hop resolution without DPDK (packet/next_hop.h): the published word, the ARP / NS the TEP
// sends, what it learns from the gateway, and the re-validation schedule.
#include <catch2/catch.hpp>

#include <vector>

#include "packet/next_hop.h"

using namespace dstm;
using namespace dstm::dp;

namespace {

const net::MacAddress kPortMac = *net::MacAddress::parse("02:70:63:61:70:00");
const net::MacAddress kGatewayMac = *net::MacAddress::parse("02:00:00:00:66:01");
const net::Ipv6Address kTep6 = *net::Ipv6Address::parse("2001:db8:1::1");
const net::Ipv6Address kGateway6 = *net::Ipv6Address::parse("fe80::1:2:3fe");
const net::Ipv4Address kTep4 = *net::Ipv4Address::parse("198.51.100.1");
const net::Ipv4Address kGateway4 = *net::Ipv4Address::parse("198.51.100.254");

struct Packet {
  std::vector<std::uint8_t> storage;
  PacketBuf buf;
  Packet() : storage(256) { buf = PacketBuf{storage.data() + 64, 0, 64, 192}; }
};

std::uint16_t icmpv6_sum(const PacketBuf& pkt) {
  auto ip = net::Ipv6Header::at(pkt.bytes());
  auto icmp = pkt.bytes().subspan(40, ip->payload_length());
  return net::checksum_fold(net::checksum_partial(
      icmp, net::pseudo_header_sum_v6(ip->src(), ip->dst(), net::kProtoIcmpv6,
                                      static_cast<std::uint32_t>(icmp.size()))));
}

void fix_checksum(PacketBuf& pkt) {
  auto icmp = pkt.bytes().subspan(40);
  icmp[2] = icmp[3] = 0;
  const std::uint16_t sum = icmpv6_sum(pkt);
  icmp[2] = static_cast<std::uint8_t>(sum >> 8);
  icmp[3] = static_cast<std::uint8_t>(sum & 0xFF);
}

// An NA from the gateway built by turning our own NS into one: type 136, flags, TLLA.
Packet advertisement(const net::Ipv6Address& target, const net::MacAddress& mac, std::uint8_t flags) {
  Packet p;
  REQUIRE(build_neighbour_solicitation(mac, kGateway6, target, true, p.buf));
  auto ip = net::Ipv6Header::at(p.buf.bytes());
  ip->set_dst(kTep6);
  auto icmp = p.buf.bytes().subspan(40);
  icmp[0] = net::kIcmpv6NeighborAdvertisement;
  icmp[4] = flags;
  icmp[24] = 2;  // target link-layer address
  fix_checksum(p.buf);
  return p;
}

}  // namespace

TEST_CASE("the next-hop word packs MAC, valid bit and sequence into 64 bits", "[next_hop]") {
  const NextHopState s{kGatewayMac, true, 0x7FFF};
  const NextHopState back = NextHopState::unpack(s.pack());
  CHECK(back.mac == kGatewayMac);
  CHECK(back.valid);
  CHECK(back.sequence == 0x7FFF);
  CHECK_FALSE(NextHopState::unpack(NextHopState{kGatewayMac, false, 3}.pack()).valid);
  CHECK((s.pack() & 0xFFFFFFFFFFFFull) == 0x020000006601ull);
}

TEST_CASE("publish bumps the sequence; invalidation loses against a fresh publication", "[next_hop]") {
  NextHopWord word;
  CHECK_FALSE(word.load().valid);
  word.publish(kGatewayMac);
  const std::uint64_t first = word.load_raw();
  CHECK(word.load().valid);
  word.publish(kGatewayMac);  // the same MAC confirmed again: the word still changes
  CHECK(word.load_raw() != first);
  CHECK_FALSE(word.invalidate_if_unchanged(first));
  CHECK(word.load().valid);
  CHECK(word.invalidate_if_unchanged(word.load_raw()));
  CHECK_FALSE(word.load().valid);
  CHECK(word.load().mac == kGatewayMac);
}

TEST_CASE("solicited-node multicast address and its MAC (RFC 4291 §2.7.1, RFC 2464 §7)", "[next_hop]") {
  const auto group = solicited_node_multicast(kGateway6);
  CHECK(group == *net::Ipv6Address::parse("ff02::1:ff02:3fe"));
  CHECK(ipv6_multicast_mac(group) == *net::MacAddress::parse("33:33:ff:02:03:fe"));
}

TEST_CASE("the ARP request asks for the gateway and is heard back only from it", "[next_hop]") {
  Packet p;
  REQUIRE(build_arp_request(kPortMac, kTep4, kGateway4, p.buf));
  auto arp = net::ArpHeader::at(p.buf.bytes());
  REQUIRE(p.buf.len == net::ArpHeader::kSize);
  CHECK(arp->is_ethernet_ipv4());
  CHECK(arp->op() == net::kArpOpRequest);
  CHECK(arp->sha() == kPortMac);
  CHECK(arp->spa() == kTep4);
  CHECK(arp->tha().is_zero());
  CHECK(arp->tpa() == kGateway4);
  // Our own request is not from the gateway.
  CHECK_FALSE(hear_arp(p.buf, kGateway4));
  // The gateway's reply.
  arp->set_op(net::kArpOpReply);
  arp->set_sha(kGatewayMac);
  arp->set_spa(kGateway4);
  arp->set_tha(kPortMac);
  arp->set_tpa(kTep4);
  REQUIRE(hear_arp(p.buf, kGateway4));
  CHECK(*hear_arp(p.buf, kGateway4) == kGatewayMac);
  SECTION("a gratuitous request from the gateway counts too") {
    arp->set_op(net::kArpOpRequest);
    arp->set_tpa(kGateway4);
    CHECK(hear_arp(p.buf, kGateway4));
  }
  SECTION("another sender is ignored") {
    arp->set_spa(*net::Ipv4Address::parse("198.51.100.253"));
    CHECK_FALSE(hear_arp(p.buf, kGateway4));
  }
  SECTION("a multicast or zero sender MAC is ignored") {
    arp->set_sha(net::MacAddress::broadcast());
    CHECK_FALSE(hear_arp(p.buf, kGateway4));
    arp->set_sha(net::MacAddress());
    CHECK_FALSE(hear_arp(p.buf, kGateway4));
  }
  SECTION("an unknown operation is ignored") {
    arp->set_op(3);
    CHECK_FALSE(hear_arp(p.buf, kGateway4));
  }
  SECTION("truncated") {
    p.buf.len = net::ArpHeader::kSize - 1;
    CHECK_FALSE(hear_arp(p.buf, kGateway4));
  }
}

TEST_CASE("the neighbour solicitation (RFC 4861 §4.3, §7.2.2)", "[next_hop]") {
  const bool unicast = GENERATE(false, true);
  Packet p;
  REQUIRE(build_neighbour_solicitation(kPortMac, kTep6, kGateway6, unicast, p.buf));
  auto ip = net::Ipv6Header::at(p.buf.bytes());
  REQUIRE(p.buf.len == 40 + 32);
  CHECK(ip->version() == 6);
  CHECK(ip->payload_length() == 32);
  CHECK(ip->next_header() == net::kProtoIcmpv6);
  CHECK(ip->hop_limit() == 255);
  CHECK(ip->src() == kTep6);
  CHECK(ip->dst() == (unicast ? kGateway6 : *net::Ipv6Address::parse("ff02::1:ff02:3fe")));
  const auto icmp = p.buf.bytes().subspan(40);
  CHECK(icmp[0] == net::kIcmpv6NeighborSolicitation);
  CHECK(icmp[1] == 0);
  CHECK(net::Ipv6Address::from_bytes(&icmp[8]) == kGateway6);
  CHECK(icmp[24] == 1);
  CHECK(icmp[25] == 1);
  CHECK(net::MacAddress::from_bytes(&icmp[26]) == kPortMac);
  CHECK(icmpv6_sum(p.buf) == 0);
  // Not from the gateway: nothing learned from our own solicitation.
  CHECK_FALSE(hear_neighbour(p.buf, kGateway6));
}

TEST_CASE("advertisements from the gateway are learned; others are not", "[next_hop]") {
  Packet na = advertisement(kGateway6, kGatewayMac, 0x60);  // S, O
  auto heard = hear_neighbour(na.buf, kGateway6);
  REQUIRE(heard);
  CHECK(heard->mac == kGatewayMac);
  CHECK(heard->advertisement);
  CHECK(heard->override_flag);
  CHECK_FALSE(hear_neighbour(advertisement(kGateway6, kGatewayMac, 0x40).buf, kGateway6)->override_flag);

  SECTION("another target") {
    CHECK_FALSE(hear_neighbour(advertisement(kTep6, kGatewayMac, 0x60).buf, kGateway6));
  }
  SECTION("hop limit below 255 (RFC 4861 §7.1.2)") {
    net::Ipv6Header::at(na.buf.bytes())->set_hop_limit(254);
    CHECK_FALSE(hear_neighbour(na.buf, kGateway6));
  }
  SECTION("bad checksum") {
    na.buf.bytes()[40 + 2] ^= 1;
    CHECK_FALSE(hear_neighbour(na.buf, kGateway6));
  }
  SECTION("no target link-layer option") {
    auto ip = net::Ipv6Header::at(na.buf.bytes());
    ip->set_payload_length(24);
    na.buf.len = 40 + 24;
    fix_checksum(na.buf);
    CHECK_FALSE(hear_neighbour(na.buf, kGateway6));
  }
  SECTION("a zero-length option makes it invalid") {
    na.buf.bytes()[40 + 25] = 0;
    fix_checksum(na.buf);
    CHECK_FALSE(hear_neighbour(na.buf, kGateway6));
  }
  SECTION("solicited flag to a multicast destination") {
    net::Ipv6Header::at(na.buf.bytes())->set_dst(*net::Ipv6Address::parse("ff02::1"));
    fix_checksum(na.buf);
    CHECK_FALSE(hear_neighbour(na.buf, kGateway6));
  }
  SECTION("payload length beyond the packet") {
    na.buf.len -= 1;
    CHECK_FALSE(hear_neighbour(na.buf, kGateway6));
  }
  SECTION("a multicast MAC in the option") {
    CHECK_FALSE(hear_neighbour(advertisement(kGateway6, net::MacAddress::broadcast(), 0x60).buf, kGateway6));
  }
}

TEST_CASE("a solicitation from the gateway teaches its MAC (RFC 4861 §7.2.3)", "[next_hop]") {
  Packet ns;
  REQUIRE(build_neighbour_solicitation(kGatewayMac, kGateway6, kTep6, false, ns.buf));
  auto heard = hear_neighbour(ns.buf, kGateway6);
  REQUIRE(heard);
  CHECK(heard->mac == kGatewayMac);
  CHECK_FALSE(heard->advertisement);
}

TEST_CASE("resolver: requests with back-off until the gateway answers", "[next_hop]") {
  using Send = NextHopResolver::Send;
  NextHopResolver r;
  NextHopWord word;
  CHECK(r.poll(word.load_raw(), 0).send == Send::kMulticast);
  CHECK(r.poll(word.load_raw(), 999).send == Send::kNothing);
  CHECK(r.poll(word.load_raw(), 1000).send == Send::kMulticast);  // +1 s
  CHECK(r.poll(word.load_raw(), 2999).send == Send::kNothing);
  CHECK(r.poll(word.load_raw(), 3000).send == Send::kMulticast);  // +2 s
  CHECK(r.poll(word.load_raw(), 7000).send == Send::kMulticast);  // +4 s
  std::uint64_t t = 7000;
  for (int i = 0; i < 10; ++i) {  // the back-off is capped at 30 s
    t += 30000;
    CHECK(r.poll(word.load_raw(), t).send == Send::kMulticast);
  }
  CHECK_FALSE(r.resolved());
  word.publish(kGatewayMac);
  CHECK(r.poll(word.load_raw(), t + 1).send == Send::kNothing);
  CHECK(r.resolved());
}

TEST_CASE("resolver: re-validates after 30 s and gives up after 3 unanswered probes", "[next_hop]") {
  using Send = NextHopResolver::Send;
  NextHopResolver r;
  NextHopWord word;
  word.publish(kGatewayMac);  // static or learned before the first poll
  CHECK(r.poll(word.load_raw(), 0).send == Send::kNothing);
  CHECK(r.poll(word.load_raw(), 29999).send == Send::kNothing);
  CHECK(r.poll(word.load_raw(), 30000).send == Send::kUnicast);
  SECTION("an answer keeps it reachable") {
    word.publish(kGatewayMac);
    CHECK(r.poll(word.load_raw(), 30500).send == Send::kNothing);
    CHECK(r.poll(word.load_raw(), 31000).send == Send::kNothing);
    CHECK(r.poll(word.load_raw(), 60500).send == Send::kUnicast);  // 30 s after the answer
  }
  SECTION("silence invalidates") {
    CHECK(r.poll(word.load_raw(), 31000).send == Send::kUnicast);
    CHECK(r.poll(word.load_raw(), 32000).send == Send::kUnicast);
    const auto seen = word.load_raw();
    const auto step = r.poll(seen, 33000);
    CHECK(step.send == Send::kMulticast);
    CHECK(step.invalidate);
    CHECK(word.invalidate_if_unchanged(seen));
    CHECK_FALSE(r.resolved());
    CHECK(r.poll(word.load_raw(), 33500).send == Send::kNothing);
    CHECK(r.poll(word.load_raw(), 34000).send == Send::kMulticast);
    word.publish(kGatewayMac);  // the gateway is back
    CHECK(r.poll(word.load_raw(), 34001).send == Send::kNothing);
    CHECK(r.resolved());
  }
}
