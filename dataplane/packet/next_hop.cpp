// Next-hop resolution: ARP / ND packets the TEP sends and hears, and the re-validation
// schedule. See next_hop.h.
#include "packet/next_hop.h"

#include <algorithm>
#include <cstring>

namespace dstm::dp {
namespace {

constexpr std::uint32_t kNdBodyBytes = 24;            // type, code, checksum, flags, target
constexpr std::uint32_t kLinkLayerOptionBytes = 8;    // type, length (8-octet units), MAC
constexpr std::uint8_t kOptionSourceLinkLayer = 1;    // RFC 4861 §4.6.1
constexpr std::uint8_t kOptionTargetLinkLayer = 2;
constexpr std::uint8_t kNaSolicited = 0x40, kNaOverride = 0x20;
constexpr std::uint8_t kNdHopLimit = 255;             // RFC 4861 §7.1: proves on-link origin

std::uint32_t icmpv6_sum(const net::Ipv6Address& src, const net::Ipv6Address& dst,
                         std::span<const std::uint8_t> icmp) {
  return net::pseudo_header_sum_v6(src, dst, net::kProtoIcmpv6,
                                   static_cast<std::uint32_t>(icmp.size()));
}

bool claim(PacketBuf& out, std::uint32_t n) {
  if (out.data == nullptr || out.len != 0 || n > out.tailroom) return false;
  out.len = n;
  out.tailroom -= n;
  std::memset(out.data, 0, n);
  return true;
}

// The MAC in the first link-layer option of `type` among the ND options, nullopt when absent.
// A zero-length option makes the whole message invalid (RFC 4861 §7.1.1/§7.1.2): `valid` false.
std::optional<net::MacAddress> link_layer_option(std::span<const std::uint8_t> options,
                                                 std::uint8_t type, bool& valid) {
  std::optional<net::MacAddress> found;
  std::size_t i = 0;
  while (i + 2 <= options.size()) {
    const std::size_t length = std::size_t{options[i + 1]} * 8;
    if (length == 0 || i + length > options.size()) {
      valid = false;
      return std::nullopt;
    }
    if (options[i] == type && length >= kLinkLayerOptionBytes && !found) {
      found = net::MacAddress::from_bytes(&options[i + 2]);
    }
    i += length;
  }
  return found;
}

bool unicast_mac(const net::MacAddress& m) { return !m.is_zero() && !m.is_multicast(); }

}  // namespace

net::Ipv6Address solicited_node_multicast(const net::Ipv6Address& target) {
  net::Ipv6Address::Bytes b{0xFF, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xFF, 0, 0, 0};
  b[13] = target.bytes()[13];
  b[14] = target.bytes()[14];
  b[15] = target.bytes()[15];
  return net::Ipv6Address(b);
}

net::MacAddress ipv6_multicast_mac(const net::Ipv6Address& group) {
  const auto& g = group.bytes();
  return net::MacAddress(net::MacAddress::Bytes{0x33, 0x33, g[12], g[13], g[14], g[15]});
}

bool build_arp_request(const net::MacAddress& sender_mac, net::Ipv4Address sender_ip,
                       net::Ipv4Address target, PacketBuf& out) {
  if (!claim(out, static_cast<std::uint32_t>(net::ArpHeader::kSize))) return false;
  auto arp = net::ArpHeader::at(out.bytes());
  arp->set_ethernet_ipv4();
  arp->set_op(net::kArpOpRequest);
  arp->set_sha(sender_mac);
  arp->set_spa(sender_ip);
  arp->set_tha(net::MacAddress());  // RFC 826: unknown, and ignored by the receiver
  arp->set_tpa(target);
  return true;
}

bool build_neighbour_solicitation(const net::MacAddress& port_mac, const net::Ipv6Address& src,
                                  const net::Ipv6Address& target, bool unicast, PacketBuf& out) {
  const std::uint32_t icmp_length = kNdBodyBytes + kLinkLayerOptionBytes;
  if (!claim(out, net::Ipv6Header::kSize + icmp_length)) return false;
  const net::Ipv6Address dst = unicast ? target : solicited_node_multicast(target);
  auto ip = net::Ipv6Header::at(out.bytes());
  ip->set_version_class_flow(6, 0, 0);
  ip->set_payload_length(static_cast<std::uint16_t>(icmp_length));
  ip->set_next_header(net::kProtoIcmpv6);
  ip->set_hop_limit(kNdHopLimit);
  ip->set_src(src);
  ip->set_dst(dst);
  std::uint8_t* body = out.data + net::Ipv6Header::kSize;
  body[0] = net::kIcmpv6NeighborSolicitation;
  target.to_bytes(body + 8);
  body[24] = kOptionSourceLinkLayer;  // §4.3: included when the source is not unspecified
  body[25] = 1;
  port_mac.to_bytes(body + 26);
  const std::span<const std::uint8_t> icmp(body, icmp_length);
  const std::uint16_t sum = net::checksum_fold(net::checksum_partial(icmp, icmpv6_sum(src, dst, icmp)));
  body[2] = static_cast<std::uint8_t>(sum >> 8);
  body[3] = static_cast<std::uint8_t>(sum & 0xFF);
  return true;
}

std::optional<net::MacAddress> hear_arp(const PacketBuf& pkt, net::Ipv4Address gateway) {
  auto arp = net::ArpHeader::at(pkt.bytes());
  if (!arp || !arp->is_ethernet_ipv4()) return std::nullopt;
  if (arp->op() != net::kArpOpRequest && arp->op() != net::kArpOpReply) return std::nullopt;
  if (arp->spa() != gateway || !unicast_mac(arp->sha())) return std::nullopt;
  return arp->sha();
}

std::optional<HeardNeighbour> hear_neighbour(const PacketBuf& pkt, const net::Ipv6Address& gateway) {
  auto ip = net::Ipv6Header::at(pkt.bytes());
  if (!ip || ip->version() != 6 || ip->next_header() != net::kProtoIcmpv6 ||
      ip->hop_limit() != kNdHopLimit) {
    return std::nullopt;
  }
  const std::uint32_t payload = ip->payload_length();
  if (payload < kNdBodyBytes || net::Ipv6Header::kSize + payload > pkt.len) return std::nullopt;
  const std::span<const std::uint8_t> icmp = pkt.bytes().subspan(net::Ipv6Header::kSize, payload);
  const std::uint8_t type = icmp[0];
  if ((type != net::kIcmpv6NeighborAdvertisement && type != net::kIcmpv6NeighborSolicitation) ||
      icmp[1] != 0) {
    return std::nullopt;
  }
  if (net::checksum_fold(net::checksum_partial(icmp, icmpv6_sum(ip->src(), ip->dst(), icmp))) != 0) {
    return std::nullopt;
  }
  bool valid = true;
  const auto options = icmp.subspan(kNdBodyBytes);
  HeardNeighbour heard;
  if (type == net::kIcmpv6NeighborAdvertisement) {
    // §7.1.2: a solicited NA is never sent to a multicast group.
    if (ip->dst().is_multicast() && (icmp[4] & kNaSolicited) != 0) return std::nullopt;
    if (net::Ipv6Address::from_bytes(icmp.data() + 8) != gateway) return std::nullopt;
    auto mac = link_layer_option(options, kOptionTargetLinkLayer, valid);
    if (!valid || !mac) return std::nullopt;  // §7.2.5: no TLLA, nothing to learn
    heard = HeardNeighbour{*mac, true, (icmp[4] & kNaOverride) != 0};
  } else {
    // §7.2.3: a solicitation from the gateway with its source link-layer option updates us.
    if (ip->src() != gateway) return std::nullopt;
    auto mac = link_layer_option(options, kOptionSourceLinkLayer, valid);
    if (!valid || !mac) return std::nullopt;
    heard = HeardNeighbour{*mac, false, true};
  }
  if (!unicast_mac(heard.mac)) return std::nullopt;
  return heard;
}

NextHopResolver::Step NextHopResolver::poll(std::uint64_t word, std::uint64_t now_ms) {
  const NextHopState s = NextHopState::unpack(word);
  if (!started_) {
    started_ = true;
    seen_word_ = word;
    state_ = s.valid ? State::kReachable : State::kUnresolved;
    next_ms_ = s.valid ? now_ms + timing_.reachable_ms : now_ms;
    retry_ms_ = timing_.first_retry_ms;
  }
  if (s.valid && word != seen_word_) {  // a worker heard the gateway: confirmed
    seen_word_ = word;
    state_ = State::kReachable;
    next_ms_ = now_ms + timing_.reachable_ms;
    probes_ = 0;
    return {};
  }
  if (now_ms < next_ms_) return {};
  switch (state_) {
    case State::kUnresolved:
      next_ms_ = now_ms + retry_ms_;
      retry_ms_ = std::min(retry_ms_ * 2, timing_.max_retry_ms);
      return Step{Send::kMulticast, false};
    case State::kReachable:
      state_ = State::kProbing;
      probes_ = 0;
      [[fallthrough]];
    case State::kProbing:
      if (probes_ < timing_.max_probes) {
        ++probes_;
        next_ms_ = now_ms + timing_.probe_interval_ms;
        return Step{Send::kUnicast, false};
      }
      // §7.3.3: no answer to the probes: the neighbour is gone; resolve from scratch.
      state_ = State::kUnresolved;
      seen_word_ = NextHopState{s.mac, false, s.sequence}.pack();
      retry_ms_ = timing_.first_retry_ms;
      next_ms_ = now_ms + retry_ms_;
      retry_ms_ = std::min(retry_ms_ * 2, timing_.max_retry_ms);
      return Step{Send::kMulticast, true};
  }
  return {};
}

}  // namespace dstm::dp
