// ICMPv6 Packet Too Big about our own encapsulated packets. See ptb.h.
#include "packet/ptb.h"

#include <algorithm>

namespace dstm::dp {
namespace {

constexpr std::uint32_t kIcmpv6HeaderBytes = 8;   // type, code, checksum, MTU
constexpr std::uint32_t kIpv6MinimumMtu = 1280;   // RFC 8200 §5
constexpr std::uint32_t kOuterHeaderBytes = 40;   // what our encapsulation adds

PtbParse early(Counter c) {
  PtbParse p;
  p.early = drop(c);
  return p;
}

}  // namespace

bool is_packet_too_big(const PacketBuf& pkt) {
  auto ip = net::Ipv6Header::at(pkt.bytes());
  return ip && ip->next_header() == net::kProtoIcmpv6 && pkt.len > net::Ipv6Header::kSize &&
         pkt.data[net::Ipv6Header::kSize] == net::kIcmpv6PacketTooBig;
}

PtbParse ptb_parse(const TepContext& tep, const PacketBuf& pkt) {
  if (!tep.icmp.packet_too_big) return early(Counter::kDropIcmpv6Other);  // policy: ignore
  auto ip = net::Ipv6Header::at(pkt.bytes());
  if (!ip || ip->version() != 6) return early(Counter::kDropMalformedIpv6);
  const std::uint32_t payload = ip->payload_length();
  if (net::Ipv6Header::kSize + payload > pkt.len) return early(Counter::kDropMalformedIpv6);
  // RFC 4443 §2.4: only to one of our unicast addresses (a PTB to a group is not about us).
  if (!tep.is_tep_ipv6(ip->dst())) return early(Counter::kDropIcmpv6Other);
  const auto icmp = pkt.bytes().subspan(net::Ipv6Header::kSize, payload);
  if (icmp.size() < kIcmpv6HeaderBytes || icmp[1] != 0) return early(Counter::kDropIcmpv6Other);
  const std::uint32_t sum = net::pseudo_header_sum_v6(ip->src(), ip->dst(), net::kProtoIcmpv6, payload);
  if (net::checksum_fold(net::checksum_partial(icmp, sum)) != 0) return early(Counter::kDropIcmpv6Other);

  // The quote must be one of our packets: T -> node, next header 4 (we add no extension
  // headers), with the inner IPv4 header behind it. Anything else is forged or not ours
  // (RFC 5927 §4.1: check what the quote claims before believing it).
  const auto quote = icmp.subspan(kIcmpv6HeaderBytes);
  auto quoted = net::Ipv6Header::at(quote);
  if (!quoted || quoted->version() != 6 || quoted->next_header() != net::kProtoIpv4InIpv6 ||
      !tep.is_tep_ipv6(quoted->src())) {
    return early(Counter::kDropIcmpv6BadQuote);
  }
  auto inner = net::Ipv4Header::at(quote.subspan(net::Ipv6Header::kSize));
  if (!inner || inner->version() != 4 || inner->ihl() < 5) return early(Counter::kDropIcmpv6BadQuote);

  PtbParse p;
  p.client = inner->dst();
  p.node = quoted->dst();
  p.inner_df = inner->dont_fragment();
  p.inner_offset = net::Ipv6Header::kSize + kIcmpv6HeaderBytes + net::Ipv6Header::kSize;
  // RFC 8201 §4: a report below the IPv6 minimum is treated as the minimum; the node's tunnel
  // then carries (MTU - 40)-byte IPv4 packets (RFC 2473 §8).
  const std::uint32_t reported = net::load_be32(&icmp[4]);
  p.mtu = static_cast<std::uint16_t>(std::clamp<std::uint32_t>(reported, kIpv6MinimumMtu, 0xFFFF) - kOuterHeaderBytes);
  return p;
}

Verdict ptb_finish(const TepContext& tep, const PtbParse& parsed, const net::Ipv6Address* binding) {
  if (parsed.early) return *parsed.early;
  if (binding == nullptr || *binding != parsed.node) return drop(Counter::kDropIcmpv6BadQuote);
  Verdict v = drop(Counter::kInIcmpv6Ptb);
  // RFC 2473 §8 / Linux ip4ip6_err: relay 3/4 to the IPv4 sender that asked not to fragment.
  if (parsed.inner_df && tep.icmp.frag_needed) {
    v.icmp = IcmpError::kV4FragNeeded;
    v.mtu = std::min<std::uint32_t>(parsed.mtu, tep.tunnel_mtu);
  }
  return v;
}

}  // namespace dstm::dp
