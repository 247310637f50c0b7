// The outer IPv6 extension header chain (RFC 8200 §4). See decap_exthdr.h.
#include "packet/decap_exthdr.h"

#include "net/net.h"

namespace dstm::dp {
namespace {

// RFC 8200 §4.2 options, and RFC 2473 §4.1.1's Tunnel Encapsulation Limit that Linux ip6tnl
// sends by default (value 4). We decapsulate and never nest, so the limit is consumed unread.
constexpr std::uint8_t kOptPad1 = 0;
constexpr std::uint8_t kOptPadN = 1;
constexpr std::uint8_t kOptTunnelEncapLimit = 4;

// ICMPv6 Parameter Problem codes, RFC 4443 §3.4.
constexpr std::uint8_t kCodeErroneousField = 0;
constexpr std::uint8_t kCodeUnknownNextHeader = 1;
constexpr std::uint8_t kCodeUnknownOption = 2;

constexpr std::uint32_t kFragmentHeaderBytes = 8;         // RFC 8200 §4.5
constexpr std::uint16_t kFragmentOffsetAndMore = 0xFFF9;  // offset (13 bits) and M, not Res
constexpr std::uint32_t kIpv6DstOffset = 24;

bool is_extension_header(std::uint8_t next) {
  return next == net::kProtoHopByHop || next == net::kProtoIpv6Opts ||
         next == net::kProtoIpv6Route || next == net::kProtoIpv6Frag;
}

// RFC 8200 §4.2: the TLVs of a Hop-by-Hop or Destination Options header occupying
// ip6[start, end). Unrecognised types are handled by their two high-order "action" bits.
std::optional<Verdict> walk_options(const TepContext& tep, std::span<const std::uint8_t> ip6,
                                    std::uint32_t start, std::uint32_t end) {
  const bool dst_multicast = ip6[kIpv6DstOffset] == 0xFF;
  std::uint32_t i = start + 2;
  while (i < end) {
    const std::uint8_t type = ip6[i];
    if (type == kOptPad1) {
      ++i;
      continue;
    }
    // Every other option is type, length, data; one that overruns its header is malformed.
    if (i + 2 > end || i + 2 + ip6[i + 1] > end) return drop(Counter::kDropIpv6Exthdr);
    if (type != kOptPadN && type != kOptTunnelEncapLimit) {
      switch (type >> 6) {
        case 0:  // 00: skip over this option
          break;
        case 1:  // 01: discard the packet
          return drop(Counter::kDropIpv6Exthdr);
        case 2:  // 10: discard, ICMP Parameter Problem code 2 pointing at the option type
          return v6_parameter_problem(tep, Counter::kDropIpv6Exthdr, kCodeUnknownOption, i);
        default:  // 11: the same, unless the destination was multicast
          if (dst_multicast) return drop(Counter::kDropIpv6Exthdr);
          return v6_parameter_problem(tep, Counter::kDropIpv6Exthdr, kCodeUnknownOption, i);
      }
    }
    i += 2u + ip6[i + 1];
  }
  return std::nullopt;
}

// One extension header of `length` bytes at ip6[off]: nullopt to skip it, a verdict to refuse.
std::optional<Verdict> handle_header(const TepContext& tep, std::span<const std::uint8_t> ip6,
                                     std::uint8_t kind, std::uint32_t off, std::uint32_t length) {
  switch (kind) {
    case net::kProtoHopByHop:
    case net::kProtoIpv6Opts:
      return walk_options(tep, ip6, off, off + length);
    case net::kProtoIpv6Route: {
      // RFC 8200 §4.4: Segments Left 0 is ignored whatever the type. Otherwise we would have
      // to forward to the next segment, which a tunnel end point never does: RH0 is deprecated
      // (RFC 5095 §3: treat it as an unrecognised type) and no other type is implemented, so
      // discard with code 0 pointing at the Routing Type field.
      if (ip6[off + 3] == 0) return std::nullopt;
      return v6_parameter_problem(tep, Counter::kDropIpv6Exthdr, kCodeErroneousField, off + 2);
    }
    default: {  // Fragment, RFC 8200 §4.5
      // An atomic fragment (offset 0, M = 0) is processed as unfragmented (RFC 6946 §4,
      // case 27). Real fragments go to the reassembly stage (the walk stops here).
      const auto word = static_cast<std::uint16_t>((ip6[off + 2] << 8) | ip6[off + 3]);
      if ((word & kFragmentOffsetAndMore) == 0) return std::nullopt;
      return drop(Counter::kInIpv6FragNeedsReassembly);
    }
  }
}

}  // namespace

Verdict v6_parameter_problem(const TepContext& tep, Counter counter, std::uint8_t code,
                             std::uint32_t pointer) {
  Verdict v = drop(counter);
  if (tep.icmp.parameter_problem) {
    v.icmp = IcmpError::kV6ParameterProblem;
    v.icmp_code = code;
    v.pointer = pointer;
  }
  return v;
}

ExthdrWalk walk_extension_headers(const TepContext& tep, std::span<const std::uint8_t> ip6) {
  std::uint8_t next = ip6[6];
  std::uint32_t next_field = 6;  // offset of the next-header field that named `next`
  auto off = static_cast<std::uint32_t>(net::Ipv6Header::kSize);
  const auto size = static_cast<std::uint32_t>(ip6.size());
  for (unsigned count = 0;; ++count) {
    if (next == net::kProtoIpv4InIpv6) return {std::nullopt, off};
    // Case 5. No Next Header (RFC 8200 §4.7): nothing follows, nothing to complain about.
    if (next == net::kProtoNoNext) return {drop(Counter::kDropUnknownProtocolIpv6), 0};
    if (!is_extension_header(next)) {  // 41, 47, ...: not ours to decapsulate
      return {v6_parameter_problem(tep, Counter::kDropUnknownProtocolIpv6, kCodeUnknownNextHeader,
                                   next_field),
              0};
    }
    // RFC 8200 §4.3: Hop-by-Hop only immediately after the IPv6 header, else code 1.
    if (next == net::kProtoHopByHop && count != 0) {
      return {
          v6_parameter_problem(tep, Counter::kDropIpv6Exthdr, kCodeUnknownNextHeader, next_field),
          0};
    }
    if (count == kMaxExtensionHeaders || off + 2 > size) {
      return {drop(Counter::kDropIpv6Exthdr), 0};
    }
    const std::uint32_t length =
        next == net::kProtoIpv6Frag ? kFragmentHeaderBytes : (ip6[off + 1] + 1u) * 8u;
    if (off + length > size || off + length > kMaxHeaderChainBytes) {
      return {drop(Counter::kDropIpv6Exthdr), 0};
    }
    if (auto refused = handle_header(tep, ip6, next, off, length)) {
      if (next != net::kProtoIpv6Frag) return {refused, 0};
      return {refused, 0, off, next_field};  // a fragment: see ExthdrWalk
    }
    next_field = off;
    next = ip6[off];
    off += length;
  }
}

}  // namespace dstm::dp
