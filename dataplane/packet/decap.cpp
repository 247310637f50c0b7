// Decapsulation (node -> IPv4 world). See decap.h and TEP-BEHAVIOUR.md cases 1-33.
#include "packet/decap.h"

#include "packet/decap_exthdr.h"
#include "packet/ipv6_encap.h"

namespace dstm::dp {
namespace {

// IPv4 options, RFC 791 §3.1.
constexpr std::uint8_t kIpOptEnd = 0;
constexpr std::uint8_t kIpOptNop = 1;
constexpr std::uint8_t kIpOptLsrr = 131;
constexpr std::uint8_t kIpOptSsrr = 137;

// ECN codepoints, RFC 3168 §5.
constexpr std::uint8_t kNotEct = 0;
constexpr std::uint8_t kEct1 = 1;
constexpr std::uint8_t kEct0 = 2;
constexpr std::uint8_t kCe = 3;
constexpr std::uint8_t kEcnMask = 3;

constexpr std::uint8_t kEchoReplyTtl = 64;

Verdict pass(Action action, Counter counter) {
  Verdict v;
  v.action = action;
  v.counter = counter;
  return v;
}

Verdict with_icmp(Verdict v, bool enabled, IcmpError icmp, std::uint32_t pointer = 0) {
  if (enabled) {
    v.icmp = icmp;
    v.pointer = pointer;
  }
  return v;
}

// RFC 791 §3.1 / RFC 1812 §5.2.4 option TLVs (cases 17-19). `options` starts at byte 20 of the
// inner header. Source routes are refused outright (RFC 7126 §4.3-4.4): we would be the hop
// that makes a spoofed path look legitimate.
std::optional<Verdict> check_ipv4_options(const TepContext& tep,
                                          std::span<const std::uint8_t> options) {
  std::size_t i = 0;
  while (i < options.size()) {
    const std::uint8_t type = options[i];
    if (type == kIpOptEnd) break;  // End of Option List: the rest is padding
    if (type == kIpOptNop) {
      ++i;
      continue;
    }
    const auto length = i + 1 < options.size() ? options[i + 1] : std::uint8_t{0};
    if (length < 2 || i + length > options.size()) {
      // RFC 1812 §4.3.2.3 / RFC 792: Parameter Problem, pointer at the offending option.
      const auto pointer = static_cast<std::uint32_t>(net::Ipv4Header::kSize + i);
      return with_icmp(drop(Counter::kDropMalformedIpv4), tep.icmp.parameter_problem,
                       IcmpError::kV4ParameterProblem, pointer);
    }
    if (type == kIpOptLsrr || type == kIpOptSsrr) return drop(Counter::kDropIpv4SourceRoute);
    i += length;
  }
  return std::nullopt;
}

// The inner IPv4 header, RFC 1812 §5.2.2 (cases 8, 9, 12, 13, 17-19). `inner` ends where the
// outer payload ends.
std::optional<Verdict> check_inner(const TepContext& tep, const net::Ipv4Header& inner) {
  if (!inner.valid_basic()) return drop(Counter::kDropMalformedIpv4);
  if (!net::ipv4_header_checksum_valid(inner)) return drop(Counter::kDropBadChecksumIpv4);
  if (auto refused = check_ipv4_options(tep, inner.options())) return refused;
  // RFC 1812 §5.3.7: never forward to or from a martian, silently; a pool's directed
  // broadcast counts as one (case 13: it would otherwise hairpin to no lease or be flooded).
  if (tep.is_martian_destination(inner.dst()) || inner.src().is_martian()) {
    return drop(Counter::kDropMartianIpv4);
  }
  return std::nullopt;
}

// RFC 6040 §4.2's decapsulation table: the inner ECN field to forward, nullopt to drop.
std::optional<std::uint8_t> decapsulated_ecn(std::uint8_t outer, std::uint8_t inner) {
  if (outer == kCe) {
    if (inner == kNotEct) return std::nullopt;  // congestion the endpoint cannot understand
    return kCe;
  }
  if (outer == kEct1 && inner == kEct0) return kEct1;
  return inner;
}

void set_ecn(net::Ipv4Header& inner, std::uint8_t ecn) {
  const auto old_word = static_cast<std::uint16_t>((inner.bytes()[0] << 8) | inner.tos());
  inner.set_ecn(ecn);
  const auto new_word = static_cast<std::uint16_t>((inner.bytes()[0] << 8) | inner.tos());
  inner.set_checksum(net::checksum_update16(inner.checksum(), old_word, new_word));
}

// Removes the outer headers and anything past the inner total length: Ethernet padding of a
// minimum-size frame (case 7), or bytes the outer payload length covered but IPv4 did not.
void strip_outer(PacketBuf& pkt, std::uint32_t outer_bytes, std::uint16_t total_length) {
  pkt.adj(outer_bytes);
  pkt.trim(pkt.len - total_length);
}

// Case 16: an echo request to tep_ipv4 becomes an echo reply (RFC 792) tunnelled back to the
// node it came from, from the TEP address it was sent to. The TTL is not checked: RFC 1812
// §4.2.2.9 says a packet to the router itself is received even with TTL 0 or 1.
Verdict deliver_local(const TepContext& tep, PacketBuf& pkt, const DecapParse& parsed,
                      net::Ipv4Header inner) {
  auto icmp = net::IcmpHeader::at(inner.payload());
  const bool echo_request = inner.protocol() == net::kProtoIcmp && !inner.is_fragment() && icmp &&
                            icmp->type() == net::kIcmpEchoRequest && icmp->code() == 0;
  // Nothing else is served at tep_ipv4, and it is no destination to forward to: counted as a
  // non-forwardable destination (there is no dedicated "to the TEP itself" counter).
  if (!echo_request || !tep.answer_echo) return drop(Counter::kDropMartianIpv4);

  const net::Ipv6Address arrived_on = net::Ipv6Header::at(pkt.bytes())->dst();
  icmp->set_type(net::kIcmpEchoReply);
  icmp->set_checksum(net::checksum_update16(
      icmp->checksum(), static_cast<std::uint16_t>(net::kIcmpEchoRequest << 8), 0));
  const net::Ipv4Address requester = inner.src();
  inner.set_src(inner.dst());  // swapping the addresses leaves the header sum unchanged
  inner.set_dst(requester);
  const auto old_word = static_cast<std::uint16_t>((inner.ttl() << 8) | inner.protocol());
  inner.set_ttl(kEchoReplyTtl);
  const auto new_word = static_cast<std::uint16_t>((inner.ttl() << 8) | inner.protocol());
  inner.set_checksum(net::checksum_update16(inner.checksum(), old_word, new_word));

  strip_outer(pkt, parsed.outer_header_bytes, inner.total_length());
  // Cannot fail: stripping freed at least 40 bytes of headroom, and the packet only shrank.
  if (!push_ipv6_encap(pkt, arrived_on, parsed.outer_src, tep.hop_limit, 0)) {
    return drop(Counter::kDropMalformedIpv6);
  }
  return pass(Action::kReplyLocal, Counter::kInIcmpv4EchoLocal);
}

}  // namespace

DecapParse decap_parse(const TepContext& tep, const PacketBuf& pkt) {
  DecapParse out;
  const auto outer = net::Ipv6Header::at(pkt.bytes());
  // Case 6: truncated or inconsistent, silently (RFC 8200 §3 gives no ICMP for these).
  if (!outer || outer->version() != 6 ||
      outer->payload_length() > pkt.len - net::Ipv6Header::kSize) {
    out.early = drop(Counter::kDropMalformedIpv6);
    return out;
  }
  // Case 4: never decapsulate what was not sent to us (RFC 6169 §3.2: no open relay).
  if (!tep.is_tep_ipv6(outer->dst())) {
    out.early = drop(Counter::kDropIpv6NotLocal);
    return out;
  }
  out.outer_src = outer->src();
  const auto ip6 = pkt.bytes().first(net::Ipv6Header::kSize + outer->payload_length());
  const ExthdrWalk walk = walk_extension_headers(tep, ip6);
  if (walk.early) {
    out.early = walk.early;
    out.fragment_header = walk.fragment_header;
    out.fragment_next_field = walk.fragment_next_field;
    return out;
  }
  out.outer_header_bytes = walk.inner_offset;
  // Case 6: next header 4 with less than an IPv4 header behind it is an IPv6 problem.
  const auto inner = net::Ipv4Header::at(ip6.subspan(walk.inner_offset));
  if (!inner) {
    out.early = drop(Counter::kDropMalformedIpv6);
    return out;
  }
  out.inner_src = inner->src();
  out.inner_dst = inner->dst();
  out.early = check_inner(tep, *inner);
  return out;
}

Verdict decap_finish(const TepContext& tep, PacketBuf& pkt, const DecapParse& parsed,
                     const net::Ipv6Address* binding) {
  if (parsed.early) return *parsed.early;
  // Cases 2 and 3, DSTM draft §7 / RFC 7596 §6.2: decapsulate only for the exact pair (inner
  // source leased to this outer source), or the TEP is an open relay for spoofed IPv4.
  if (binding == nullptr || *binding != parsed.outer_src) {
    const Counter c =
        binding == nullptr ? Counter::kDropNoSourceSoftwire : Counter::kDropSpoofedInnerSrc;
    return with_icmp(drop(c), tep.icmp.source_unreachable, IcmpError::kV6AddrUnreachable);
  }
  const auto outer = net::Ipv6Header::at(pkt.bytes());
  if (!outer || pkt.len < parsed.outer_header_bytes + net::Ipv4Header::kSize) {
    return drop(Counter::kDropMalformedIpv6);  // not the packet decap_parse() accepted
  }
  auto inner = *net::Ipv4Header::at(pkt.bytes().subspan(parsed.outer_header_bytes));

  // Case 33, RFC 6040 §4.2.
  const auto ecn = decapsulated_ecn(outer->traffic_class() & kEcnMask, inner.ecn());
  if (!ecn) return drop(Counter::kDropEcnCeNotEct);
  if (inner.dst() == tep.tep_ipv4) return deliver_local(tep, pkt, parsed, inner);
  // Case 14: another node's lease; the encap stage looks up its binding (or drops, case 15).
  const bool hairpin = tep.in_pool(inner.dst());
  if (hairpin && !tep.hairpinning) return drop(Counter::kDropHairpinDisabled);
  // Case 10, RFC 1812 §5.3.1. The outer hop limit is not ours to check (case 11).
  if (inner.ttl() <= 1) {
    return with_icmp(drop(Counter::kDropTtlZeroIpv4), tep.icmp.time_exceeded,
                     IcmpError::kV4TimeExceeded);
  }

  if (*ecn != inner.ecn()) set_ecn(inner, *ecn);
  net::ipv4_decrement_ttl(inner);
  strip_outer(pkt, parsed.outer_header_bytes, inner.total_length());
  return hairpin ? pass(Action::kHairpin, Counter::kHairpinIpv4)
                 : pass(Action::kToIpv4Side, Counter::kOutIpv4);
}

}  // namespace dstm::dp
