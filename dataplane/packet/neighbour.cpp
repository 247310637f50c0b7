#include "packet/neighbour.h"

#include <cstring>

namespace dstm::dp {
namespace {

constexpr std::uint32_t kIcmpv6NdBodyBytes = 24;    // type, code, checksum, flags/reserved, target
constexpr std::uint32_t kLinkLayerOptionBytes = 8;  // type, length (in 8-octet units), MAC
constexpr std::uint8_t kOptionTargetLinkLayer = 2;
constexpr std::uint8_t kNaRouter = 0x80, kNaSolicited = 0x40, kNaOverride = 0x20;
constexpr std::uint8_t kNdHopLimit = 255;  // RFC 4861 §7.1.1: NS/NA must arrive with 255

std::uint16_t icmpv6_checksum(const net::Ipv6Header& ip, std::span<const std::uint8_t> icmp) {
  std::uint32_t sum = net::pseudo_header_sum_v6(ip.src(), ip.dst(), net::kProtoIcmpv6,
                                                static_cast<std::uint32_t>(icmp.size()));
  return net::checksum_fold(net::checksum_partial(icmp, sum));
}

Verdict reply(Counter c) { return Verdict{Action::kReplyLocal, c, IcmpError::kNone, 0, 0, 0}; }

// RFC 4861 §7.1.1 validity checks for an NS, then §7.2.4: the NA goes to the solicitation's
// source, or to all-nodes when that source is unspecified (a duplicate address probe).
Verdict answer_ns(const TepContext& tep, const net::MacAddress& port_mac, PacketBuf& pkt,
                  net::Ipv6Header ip, std::span<std::uint8_t> icmp) {
  if (ip.hop_limit() != kNdHopLimit || icmp.size() < kIcmpv6NdBodyBytes || icmp[1] != 0) {
    return drop(Counter::kDropIcmpv6Other);
  }
  const net::Ipv6Address target = net::Ipv6Address::from_bytes(icmp.data() + 8);
  if (!tep.is_tep_ipv6(target)) return drop(Counter::kDropIcmpv6Other);
  const bool dad = ip.src().is_unspecified();
  const net::Ipv6Address to = dad ? *net::Ipv6Address::parse("ff02::1") : ip.src();
  const std::uint32_t wanted = kIcmpv6NdBodyBytes + kLinkLayerOptionBytes;
  if (icmp.size() < wanted && pkt.append(wanted - static_cast<std::uint32_t>(icmp.size())) == nullptr) {
    return drop(Counter::kDropIcmpv6Other);
  }
  if (icmp.size() > wanted) pkt.trim(static_cast<std::uint32_t>(icmp.size()) - wanted);
  auto out = net::Ipv6Header::at(pkt.bytes());
  out->set_payload_length(static_cast<std::uint16_t>(wanted));
  out->set_src(target);
  out->set_dst(to);
  out->set_hop_limit(kNdHopLimit);
  std::uint8_t* body = pkt.data + 40;
  body[0] = net::kIcmpv6NeighborAdvertisement;
  body[1] = 0;
  body[2] = body[3] = 0;
  body[4] = static_cast<std::uint8_t>(kNaRouter | (dad ? 0 : kNaSolicited) | kNaOverride);
  body[5] = body[6] = body[7] = 0;
  target.to_bytes(body + 8);
  body[24] = kOptionTargetLinkLayer;
  body[25] = 1;
  port_mac.to_bytes(body + 26);
  const std::uint16_t sum = icmpv6_checksum(*out, std::span<const std::uint8_t>(body, wanted));
  body[2] = static_cast<std::uint8_t>(sum >> 8);
  body[3] = static_cast<std::uint8_t>(sum & 0xFF);
  return reply(Counter::kInNdLocal);
}

Verdict answer_echo(const TepContext& tep, net::Ipv6Header ip, std::span<std::uint8_t> icmp) {
  if (!tep.is_tep_ipv6(ip.dst()) || icmp.size() < 8 || icmp[1] != 0) return drop(Counter::kDropIcmpv6Other);
  const net::Ipv6Address from = ip.src();
  if (from.is_multicast() || from.is_unspecified()) return drop(Counter::kDropIcmpv6Other);
  ip.set_src(ip.dst());
  ip.set_dst(from);
  ip.set_hop_limit(tep.hop_limit);
  icmp[0] = net::kIcmpv6EchoReply;
  icmp[2] = icmp[3] = 0;
  const std::uint16_t sum = icmpv6_checksum(ip, icmp);
  icmp[2] = static_cast<std::uint8_t>(sum >> 8);
  icmp[3] = static_cast<std::uint8_t>(sum & 0xFF);
  return reply(Counter::kInIcmpv6EchoLocal);
}

}  // namespace

Verdict answer_arp(const TepContext& tep, const net::MacAddress& port_mac, PacketBuf& pkt,
                   net::MacAddress* reply_to) {
  auto arp = net::ArpHeader::at(pkt.bytes());
  if (!arp || !arp->is_ethernet_ipv4() || arp->op() != net::kArpOpRequest || arp->tpa() != tep.tep_ipv4) {
    return drop(Counter::kDropArpOther);
  }
  // RFC 826 "Packet Reception": swap sender and target, fill in our hardware address.
  const net::MacAddress requester = arp->sha();
  const net::Ipv4Address requester_ip = arp->spa();
  arp->set_op(net::kArpOpReply);
  arp->set_tha(requester);
  arp->set_tpa(requester_ip);
  arp->set_sha(port_mac);
  arp->set_spa(tep.tep_ipv4);
  pkt.trim(pkt.len - static_cast<std::uint32_t>(net::ArpHeader::kSize));  // drop Ethernet padding
  *reply_to = requester;
  return reply(Counter::kInArpLocal);
}

bool is_local_icmpv6(const TepContext& tep, const PacketBuf& pkt) {
  auto ip = net::Ipv6Header::at(pkt.bytes());
  if (!ip || ip->version() != 6 || ip->next_header() != net::kProtoIcmpv6) return false;
  return tep.is_tep_ipv6(ip->dst()) || ip->dst().is_multicast();
}

Verdict answer_icmpv6(const TepContext& tep, const net::MacAddress& port_mac, PacketBuf& pkt) {
  auto ip = net::Ipv6Header::at(pkt.bytes());
  const std::uint32_t payload = ip ? ip->payload_length() : 0;
  if (!ip || payload < 4 || 40 + payload > pkt.len) return drop(Counter::kDropMalformedIpv6);
  pkt.trim(pkt.len - 40 - payload);  // Ethernet padding
  std::span<std::uint8_t> icmp = pkt.bytes().subspan(40, payload);
  if (icmpv6_checksum(*ip, icmp) != 0) return drop(Counter::kDropIcmpv6Other);
  switch (icmp[0]) {
    case net::kIcmpv6NeighborSolicitation: return answer_ns(tep, port_mac, pkt, *ip, icmp);
    case net::kIcmpv6EchoRequest: return answer_echo(tep, *ip, icmp);
    default: return drop(Counter::kDropIcmpv6Other);
  }
}

}  // namespace dstm::dp
