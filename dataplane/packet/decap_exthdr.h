// The outer IPv6 extension header chain in front of the inner IPv4 header (RFC 8200 §4,
// TEP-BEHAVIOUR.md cases 5 and 27-32). Part of decap_parse(); no DPDK.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "packet/tep_context.h"
#include "packet/verdict.h"

namespace dstm::dp {

// Bounds on the chain we walk (TEP-BEHAVIOUR.md case 32, RFC 9098 on oversized chains).
inline constexpr unsigned kMaxExtensionHeaders = 8;
inline constexpr std::uint32_t kMaxHeaderChainBytes = 256;  // fixed header + extension headers

struct ExthdrWalk {
  std::optional<Verdict> early;    // the chain was refused, or it is a fragment (below)
  std::uint32_t inner_offset = 0;  // where the inner IPv4 header starts (when not refused)
  // A real fragment (not atomic): early is set to an in-ipv6-frag-needs-reassembly verdict and
  // these locate its Fragment header and the next-header field that named it, for the
  // reassembly stage (packet/reassembly.h). 0 otherwise (no Fragment header can be at 0).
  std::uint32_t fragment_header = 0;
  std::uint32_t fragment_next_field = 0;
};

// `ip6`: the outer IPv6 packet, fixed header included, already cut to 40 + payload length.
// Skips Hop-by-Hop (first only), Destination Options, Routing headers with Segments Left 0
// and atomic fragments, and stops at next header 4 or at a real Fragment header (everything
// before it walked and accepted). ICMPv6 pointers are offsets into `ip6`.
ExthdrWalk walk_extension_headers(const TepContext& tep, std::span<const std::uint8_t> ip6);

// An ICMPv6 Parameter Problem drop (RFC 4443 §3.4), or a silent drop when the policy is off.
Verdict v6_parameter_problem(const TepContext& tep, Counter counter, std::uint8_t code,
                             std::uint32_t pointer);

}  // namespace dstm::dp
