// Encapsulation, IPv4 internet side -> node (TEP-BEHAVIOUR.md cases 16, 35-39): validate the
// IPv4 header like a router (RFC 1812 §5.2.2), refuse what the TEP must not forward, then
// prepend the outer IPv6 header (RFC 2473 §3.1).
#include "packet/encap.h"

#include <algorithm>
#include <cassert>

#include "packet/ipv6_encap.h"

namespace dstm::dp {
namespace {

constexpr std::uint8_t kEchoReplyTtl = 64;  // a fresh datagram from us (RFC 1700 default TTL)

EncapParse early(const Verdict& v) {
  return EncapParse{v, net::Ipv4Address{}};
}

// RFC 792 echo / RFC 1122 §3.2.2.6: an unfragmented ICMP echo request (type 8 code 0) with a
// valid ICMP checksum (§3.2.2: a bad one is discarded silently).
bool is_answerable_echo(const net::Ipv4Header& ip) {
  if (ip.protocol() != net::kProtoIcmp || ip.is_fragment()) return false;
  auto icmp = net::IcmpHeader::at(ip.payload());
  if (!icmp || icmp->type() != net::kIcmpEchoRequest || icmp->code() != 0) return false;
  return net::internet_checksum(icmp->bytes()) == 0;
}

// Packets to the TEP's own IPv4 address: only echo is answered (case 16); the TEP runs no other
// IPv4 service and is not a router for itself.
Verdict local_verdict(const TepContext& tep, const net::Ipv4Header& ip) {
  if (tep.answer_echo && is_answerable_echo(ip)) {
    return Verdict{Action::kReplyLocal, Counter::kInIcmpv4EchoLocal, IcmpError::kNone, 0, 0, 0};
  }
  return drop(Counter::kDropIpv4NotPool);
}

// Turns the echo request validated by encap_parse into its reply in place: addresses swapped,
// type 0, fresh TTL, both checksums fixed. IPv4 options are returned as received: RFC 1122
// §3.2.2.6 wants Record Route / Timestamp returned (done) and a source route reversed (not
// done: encap does not yet parse IPv4 options at all).
void rewrite_echo_reply(PacketBuf& pkt) {
  auto ip = net::Ipv4Header::at(pkt.bytes());
  if (!ip) return;  // encap_parse checked it; unreachable
  const net::Ipv4Address src = ip->src();
  ip->set_src(ip->dst());
  ip->set_dst(src);
  ip->set_ttl(kEchoReplyTtl);
  net::ipv4_set_header_checksum(*ip);
  auto icmp = net::IcmpHeader::at(ip->payload());
  if (!icmp) return;
  const auto old_word = static_cast<std::uint16_t>(icmp->type() << 8 | icmp->code());
  icmp->set_type(net::kIcmpEchoReply);
  const auto new_word = static_cast<std::uint16_t>(icmp->type() << 8 | icmp->code());
  // RFC 1624 §3: the ICMP checksum only sees the type/code word change.
  icmp->set_checksum(net::checksum_update16(icmp->checksum(), old_word, new_word));
}

// Removes Ethernet padding: everything past the IPv4 total length (case 7 on this side).
void trim_to_total_length(PacketBuf& pkt, std::uint32_t total_length) {
  if (pkt.len > total_length) pkt.trim(pkt.len - total_length);
}

// RFC 2473 §7.2: a packet above the tunnel MTU with DF set is dropped with ICMPv4 3/4 carrying
// the tunnel MTU (the largest inner packet, so PMTUD converges in one step).
Verdict frag_needed_verdict(const TepContext& tep, std::uint32_t mtu) {
  Verdict v = drop(Counter::kDropOverMtuDf);
  if (tep.icmp.frag_needed) {
    v.icmp = IcmpError::kV4FragNeeded;
    v.mtu = mtu;
  }
  return v;
}

}  // namespace

EncapParse encap_parse(const TepContext& tep, const PacketBuf& pkt, bool hairpin) {
  // RFC 1812 §5.2.2: version, IHL, total length against the bytes present, header checksum.
  auto ip = net::Ipv4Header::at(pkt.bytes());
  if (!ip || !ip->valid_basic()) return early(drop(Counter::kDropMalformedIpv4));
  if (!net::ipv4_header_checksum_valid(*ip)) return early(drop(Counter::kDropBadChecksumIpv4));

  // RFC 1812 §5.3.7 martian filtering; is_martian() includes multicast and 255.255.255.255,
  // which the TEP never forwards (case 12/13 on this side). A pool's directed broadcast is no
  // lease and must never be encapsulated (RFC 1812 §5.3.5.2 lets a router refuse to forward
  // directed broadcasts; a smurf amplifier toward every node otherwise).
  const net::Ipv4Address dst = ip->dst();
  const net::Ipv4Address src = ip->src();
  if (tep.is_martian_destination(dst)) return early(drop(Counter::kDropMartianIpv4));
  // BCP 38 (RFC 2827 §3) on our own prefix: pool addresses live behind tunnels, so one arriving
  // from the internet side is spoofed (case 39). A hairpinned packet has one by design.
  if (!hairpin && tep.in_pool(src)) return early(drop(Counter::kDropIpv4SrcIsPool));
  if (src.is_martian()) return early(drop(Counter::kDropMartianIpv4));

  if (dst == tep.tep_ipv4) return early(local_verdict(tep, *ip));
  // The TEP is not a general router: it encapsulates toward pool addresses only.
  if (!tep.in_pool(dst)) return early(drop(Counter::kDropIpv4NotPool));

  // RFC 1812 §5.3.1: a TTL that would reach 0 is not forwarded; Time Exceeded goes to the
  // source. A hairpinned packet was decremented (and checked) by decap already.
  if (!hairpin && ip->ttl() <= 1) {
    Verdict v = drop(Counter::kDropTtlZeroIpv4);
    if (tep.icmp.time_exceeded) v.icmp = IcmpError::kV4TimeExceeded;
    return early(v);
  }
  return EncapParse{std::nullopt, dst};
}

Verdict encap_finish(const TepContext& tep, PacketBuf& pkt, const EncapParse& parsed,
                     const net::Ipv6Address* binding, bool hairpin, std::uint32_t path_mtu) {
  if (parsed.early) {
    // encap_parse takes the packet const, so the echo reply it decided on is written here.
    if (parsed.early->action == Action::kReplyLocal) {
      auto ip = net::Ipv4Header::at(pkt.bytes());
      if (ip) trim_to_total_length(pkt, ip->total_length());
      rewrite_echo_reply(pkt);
    }
    return *parsed.early;
  }
  // RFC 7596 §6.2: a pool address without a lease is unreachable (cases 15/36); never fall
  // back to a stale binding (§6.1).
  if (binding == nullptr) {
    Verdict v = drop(Counter::kDropNoDestSoftwire);
    if (tep.icmp.host_unreachable) v.icmp = IcmpError::kV4HostUnreachable;
    return v;
  }
  auto ip = net::Ipv4Header::at(pkt.bytes());
  if (!ip) return drop(Counter::kDropMalformedIpv4);  // encap_parse checked it; unreachable
  const std::uint16_t total_length = ip->total_length();
  // RFC 2473 §7.2: over the tunnel MTU, DF set -> drop + ICMPv4 3/4 (case 37); DF clear ->
  // encapsulate anyway and let the glue send the outer packet as IPv6 fragments (case 38,
  // RFC 8200 §4.5; the TEP is the outer packet's source node, so it may fragment).
  const std::uint32_t mtu = path_mtu != 0 ? std::min(path_mtu, tep.tunnel_mtu) : tep.tunnel_mtu;
  const bool over_mtu = total_length > mtu;
  if (over_mtu && ip->dont_fragment()) return frag_needed_verdict(tep, mtu);
  // Checked before any byte changes so that a drop leaves the packet as it came. A DPDK mbuf
  // has RTE_PKTMBUF_HEADROOM (128) bytes, so this only catches a glue bug.
  if (pkt.headroom < kIpv6HeaderBytes) return drop(Counter::kDropEncapNoHeadroom);

  const std::uint8_t tos = ip->tos();
  trim_to_total_length(pkt, total_length);
  if (!hairpin) net::ipv4_decrement_ttl(*ip);  // RFC 1812 §5.3.1, RFC 1624 incremental
  // RFC 2473 §6.5 / RFC 6040 §4.1 normal mode: the whole TOS byte, ECN included, becomes the
  // outer traffic class.
  assert(!tep.tep_ipv6.empty());  // the configuration always names the TEP's IPv6 address
  if (!push_ipv6_encap(pkt, tep.tep_ipv6[0], *binding, tep.hop_limit, tos)) {
    return drop(Counter::kDropEncapNoHeadroom);  // unreachable: headroom and length checked
  }
  if (over_mtu) {
    // mtu is the largest inner packet, so the outer (path) MTU is mtu + 40.
    return Verdict{Action::kToIpv6SideFragment, Counter::kOutIpv6Fragment, IcmpError::kNone, 0,
                   0, mtu + kIpv6HeaderBytes};
  }
  return Verdict{Action::kToIpv6Side, Counter::kOutIpv6, IcmpError::kNone, 0, 0, 0};
}

}  // namespace dstm::dp
