// ICMP errors the TEP originates: ICMPv4 (RFC 792, RFC 1191, RFC 1812 §4.3.2) and ICMPv6
// (RFC 4443). The offending packet is read through const bytes (no view: the views are
// mutable), the error is written into the empty `out`.
#include "packet/icmp.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <span>

#include "net/net.h"

namespace dstm::dp {
namespace {

constexpr std::size_t kIpv4HeaderBytes = net::Ipv4Header::kSize;
constexpr std::size_t kIpv6HeaderBytes = net::Ipv6Header::kSize;
constexpr std::size_t kIcmpHeaderBytes = net::IcmpHeader::kSize;
constexpr std::size_t kIcmpv4MaxError = 576;   // RFC 1812 §4.3.2.3
constexpr std::size_t kIcmpv6MaxError = 1280;  // RFC 4443 §2.4 (c): the IPv6 minimum MTU
constexpr std::uint8_t kIcmpv4ErrorTtl = 64;
// RFC 1812 §4.3.2.5: errors other than Source Quench SHOULD carry precedence 6 (internetwork
// control): TOS 0xC0, which is also DSCP CS6; ECN Not-ECT.
constexpr std::uint8_t kIcmpv4ErrorTos = 0xC0;
constexpr std::uint8_t kIcmpv4TypeSourceQuench = 4;  // deprecated (RFC 6633), still an error
constexpr std::uint8_t kIcmpv4TypeRedirect = 5;

// What the ICMPv4 builder needs of the offending IPv4 header.
struct OffendingIpv4 {
  std::size_t header_length;
  std::size_t length;  // the datagram, without link-layer padding
  std::uint16_t fragment_offset;
  std::uint8_t protocol;
  net::Ipv4Address src;
  net::Ipv4Address dst;
};

std::optional<OffendingIpv4> read_ipv4(std::span<const std::uint8_t> b) {
  if (b.size() < kIpv4HeaderBytes || (b[0] >> 4) != 4) return std::nullopt;
  const std::size_t header_length = std::size_t{b[0] & 0x0Fu} * 4;
  if (header_length < kIpv4HeaderBytes || header_length > b.size()) return std::nullopt;
  const std::size_t total = net::load_be16(&b[2]);
  const std::size_t length = total >= header_length && total <= b.size() ? total : b.size();
  return OffendingIpv4{
      header_length,
      length,
      static_cast<std::uint16_t>(net::load_be16(&b[6]) & net::Ipv4Header::kFragmentOffsetMask),
      b[9],
      net::Ipv4Address::from_bytes(&b[12]),
      net::Ipv4Address::from_bytes(&b[16])};
}

bool is_icmpv4_error_type(std::uint8_t type) {
  return type == net::kIcmpDestUnreachable || type == kIcmpv4TypeSourceQuench ||
         type == kIcmpv4TypeRedirect || type == net::kIcmpTimeExceeded ||
         type == net::kIcmpParameterProblem;
}

// RFC 1812 §4.3.2.7: no ICMP error about an ICMP error, about a fragment other than the first,
// or about a datagram whose source is not one unique host (0/8, loopback, martians, multicast,
// limited broadcast: all in is_martian()) or whose destination is multicast or broadcast.
bool icmpv4_error_allowed(const OffendingIpv4& o, std::span<const std::uint8_t> b) {
  if (o.fragment_offset != 0) return false;
  if (o.src.is_martian() || o.src.is_unspecified()) return false;
  if (o.dst.is_multicast() || o.dst.is_limited_broadcast()) return false;
  if (o.protocol == net::kProtoIcmp) {
    // Without the type byte it cannot be shown not to be an error: refuse.
    if (o.length <= o.header_length) return false;
    if (is_icmpv4_error_type(b[o.header_length])) return false;
  }
  return true;
}

struct IcmpFields {
  std::uint8_t type;
  std::uint8_t code;
  std::uint32_t rest;
};

std::optional<IcmpFields> icmpv4_fields(const Verdict& v) {
  switch (v.icmp) {
    case IcmpError::kV4TimeExceeded:
      return IcmpFields{net::kIcmpTimeExceeded, net::kIcmpCodeTtlExceeded, 0};
    case IcmpError::kV4HostUnreachable:
      return IcmpFields{net::kIcmpDestUnreachable, net::kIcmpCodeHostUnreachable, 0};
    case IcmpError::kV4FragNeeded:  // RFC 1191 §4: next-hop MTU in the low-order 16 bits
      if (v.mtu > 0xFFFF) return std::nullopt;
      return IcmpFields{net::kIcmpDestUnreachable, net::kIcmpCodeFragmentationNeeded, v.mtu};
    case IcmpError::kV4ParameterProblem:  // RFC 792: the pointer is the first octet
      if (v.pointer > 0xFF) return std::nullopt;
      return IcmpFields{net::kIcmpParameterProblem, 0, v.pointer << 24};
    default:
      return std::nullopt;
  }
}

// Claims n bytes at the start of the empty `out`.
std::uint8_t* claim(PacketBuf& out, std::size_t n) {
  if (out.data == nullptr || out.len != 0 || n > out.tailroom) return nullptr;
  out.len = static_cast<std::uint32_t>(n);
  out.tailroom -= static_cast<std::uint32_t>(n);
  return out.data;
}

// Type, code, rest, quote, then the checksum over them plus `sum` (a pseudo-header or 0). The
// first 8 bytes of ICMPv4 and ICMPv6 have one layout, so the ICMPv4 view serves both.
void write_icmp(std::uint8_t* p, std::size_t icmp_length, const IcmpFields& f,
                std::span<const std::uint8_t> quote, std::uint32_t sum) {
  auto icmp = net::IcmpHeader::at({p, icmp_length});
  icmp->set_type(f.type);
  icmp->set_code(f.code);
  icmp->set_checksum(0);
  icmp->set_rest(f.rest);
  std::memcpy(p + kIcmpHeaderBytes, quote.data(), quote.size());
  icmp->set_checksum(net::checksum_fold(net::checksum_partial({p, icmp_length}, sum)));
}

// What the ICMPv6 builder needs of the offending IPv6 packet.
struct OffendingIpv6 {
  std::size_t length;  // the packet, without link-layer padding
  std::uint8_t next_header;
  net::Ipv6Address src;
  net::Ipv6Address dst;
};

std::optional<OffendingIpv6> read_ipv6(std::span<const std::uint8_t> b) {
  if (b.size() < kIpv6HeaderBytes || (b[0] >> 4) != 6) return std::nullopt;
  const std::size_t total = kIpv6HeaderBytes + net::load_be16(&b[4]);
  return OffendingIpv6{std::min(total, b.size()), b[6], net::Ipv6Address::from_bytes(&b[8]),
                       net::Ipv6Address::from_bytes(&b[24])};
}

// RFC 4443 §2.4 (e): no error about an ICMPv6 error message (type < 128, §2.1), or to a source
// that is not one unique node (multicast, unspecified); none about a packet sent to a
// multicast address except Parameter Problem code 2 (and Packet Too Big, not built here).
bool icmpv6_error_allowed(const OffendingIpv6& o, std::span<const std::uint8_t> b,
                          const Verdict& v) {
  if (o.src.is_multicast() || o.src.is_unspecified()) return false;
  const bool multicast_ok = v.icmp == IcmpError::kV6ParameterProblem && v.icmp_code == 2;
  if (o.dst.is_multicast() && !multicast_ok) return false;
  if (o.next_header == net::kProtoIcmpv6) {
    if (o.length <= kIpv6HeaderBytes) return false;  // no type byte: cannot tell, refuse
    if (b[kIpv6HeaderBytes] < net::kIcmpv6EchoRequest) return false;
  }
  return true;
}

std::optional<IcmpFields> icmpv6_fields(const Verdict& v) {
  switch (v.icmp) {
    case IcmpError::kV6AddrUnreachable:  // RFC 4443 §3.1 code 5: source address failed policy
      return IcmpFields{net::kIcmpv6DestUnreachable, 5, 0};
    case IcmpError::kV6ParameterProblem:  // RFC 4443 §3.4: 32-bit pointer
      return IcmpFields{net::kIcmpv6ParameterProblem, v.icmp_code, v.pointer};
    case IcmpError::kV6ReassemblyTimeExceeded:  // RFC 4443 §3.3 code 1
      return IcmpFields{net::kIcmpv6TimeExceeded, 1, 0};
    default:
      return std::nullopt;
  }
}

}  // namespace

bool build_icmpv4_error(const TepContext& tep, const Verdict& verdict,
                        std::span<const std::uint8_t> offending, PacketBuf& out) {
  const auto fields = icmpv4_fields(verdict);
  const auto o = read_ipv4(offending);
  if (!fields || !o || !icmpv4_error_allowed(*o, offending)) return false;
  // RFC 792 asks for the header + 8 bytes; RFC 1812 §4.3.2.3 allows more, up to 576 in all.
  const std::size_t quote_length =
      std::min(o->length, kIcmpv4MaxError - kIpv4HeaderBytes - kIcmpHeaderBytes);
  const std::size_t icmp_length = kIcmpHeaderBytes + quote_length;
  const std::size_t total = kIpv4HeaderBytes + icmp_length;
  std::uint8_t* p = claim(out, total);
  if (p == nullptr) return false;

  auto ip = net::Ipv4Header::at({p, total});
  ip->set_version_ihl(4, 5);
  ip->set_tos(kIcmpv4ErrorTos);
  ip->set_total_length(static_cast<std::uint16_t>(total));
  ip->set_id(0);
  ip->set_flags_fragment(0);  // DF clear: the error may be fragmented on its way
  ip->set_ttl(kIcmpv4ErrorTtl);
  ip->set_protocol(net::kProtoIcmp);
  ip->set_src(tep.tep_ipv4);
  ip->set_dst(o->src);
  net::ipv4_set_header_checksum(*ip);
  write_icmp(p + kIpv4HeaderBytes, icmp_length, *fields, offending.first(quote_length), 0);
  return true;
}

bool build_icmpv6_error(const TepContext& tep, const Verdict& verdict,
                        std::span<const std::uint8_t> offending, PacketBuf& out) {
  const auto fields = icmpv6_fields(verdict);
  const auto o = read_ipv6(offending);
  if (!fields || !o || tep.tep_ipv6.empty() || !icmpv6_error_allowed(*o, offending, verdict)) {
    return false;
  }
  // RFC 4443 §2.4 (c): as much of the invoking packet as fits the minimum MTU.
  const std::size_t quote_length =
      std::min(o->length, kIcmpv6MaxError - kIpv6HeaderBytes - kIcmpHeaderBytes);
  const std::size_t icmp_length = kIcmpHeaderBytes + quote_length;
  const std::size_t total = kIpv6HeaderBytes + icmp_length;
  std::uint8_t* p = claim(out, total);
  if (p == nullptr) return false;

  const net::Ipv6Address& src = tep.tep_ipv6[0];
  auto ip = net::Ipv6Header::at({p, total});
  ip->set_version_class_flow(6, 0, 0);
  ip->set_payload_length(static_cast<std::uint16_t>(icmp_length));
  ip->set_next_header(net::kProtoIcmpv6);
  ip->set_hop_limit(tep.hop_limit);
  ip->set_src(src);
  ip->set_dst(o->src);
  // RFC 4443 §2.3: the checksum covers the RFC 8200 §8.1 pseudo-header.
  const std::uint32_t pseudo = net::pseudo_header_sum_v6(src, o->src, net::kProtoIcmpv6,
                                                         static_cast<std::uint32_t>(icmp_length));
  write_icmp(p + kIpv6HeaderBytes, icmp_length, *fields, offending.first(quote_length), pseudo);
  return true;
}

}  // namespace dstm::dp
