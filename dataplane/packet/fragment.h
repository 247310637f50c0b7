// Outer IPv6 fragmentation for encapsulated packets (TEP-BEHAVIOUR.md case 38): the glue calls
// this for Action::kToIpv6SideFragment. No DPDK: each fragment is written into a PacketBuf the
// caller allocated (one mbuf each).
#pragma once

#include <cstdint>

#include "packet/packet_buf.h"

namespace dstm::dp {

inline constexpr std::uint32_t kIpv6FragmentHeaderBytes = 8;  // RFC 8200 §4.5
inline constexpr std::uint32_t kIpv6MinimumMtu = 1280;        // RFC 8200 §5

// RFC 2473 §7.2 / RFC 8200 §4.5: an encapsulated packet larger than the outer link MTU whose inner
// IPv4 packet allows fragmentation (DF=0) is sent as outer IPv6 fragments.
// `whole` is a complete IPv6 packet (40-byte header, next header 4, no extension headers) of
// length > mtu. Writes the fragments into `out[0..n)`, each an empty PacketBuf (len 0) with enough
// tailroom, and returns n, or 0 when it cannot (too many fragments for `out_count`, mtu < 1280,
// a buffer too small). Each fragment: a copy of the IPv6 header with payload length fixed and next
// header 44, an 8-byte Fragment header (next header 4, offset in 8-octet units, M flag on all but
// the last, the given 32-bit identification), then its slice of the payload; every fragment but
// the last carries a multiple of 8 bytes and the fragments are as large as `mtu` allows.
//
// Also 0 when `whole` is not such a packet (shorter than 40 bytes, version not 6, next header
// not 4, payload length field not whole.len - 40) or is not larger than `mtu` (RFC 8021: no
// atomic fragments). On 0 nothing in `out` was touched; `whole` is never modified. A fragment
// i needs 48 + its slice bytes of tailroom; out[i].headroom is left for the glue's L2 header.
// `identification` is the caller's (RFC 8200 §4.5, RFC 7739: not predictable per destination).
unsigned fragment_ipv6(const PacketBuf& whole, std::uint32_t mtu, std::uint32_t identification,
                       PacketBuf* out, unsigned out_count);

}  // namespace dstm::dp
