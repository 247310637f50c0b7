// The TUN backend's packet checks (DSTM draft §3 and §7): what the client may send into the
// tunnel and what it may accept out of it. Pure functions over bytes, so tests reach them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "net/net.h"

namespace dstm::client {

enum class Verdict { kForward, kDropMalformed, kDropNotFromTep, kDropWrongDestination, kDropWrongSource };

// From the TUN, towards the TEP: an IPv4 packet whose source is the leased address (the TEP
// would drop any other as spoofed, draft §7; dropping it here keeps the count local).
Verdict check_outbound(std::span<const std::uint8_t> packet, net::Ipv4Address leased);

// From the raw socket (the IPv6 payload after next header 4), towards the TUN: the outer source
// must be the TEP, and the inner packet an IPv4 packet for the leased address; anything else
// is someone injecting into our tunnel.
Verdict check_inbound(const net::Ipv6Address& outer_source, std::span<const std::uint8_t> inner,
                      const net::Ipv6Address& tep, net::Ipv4Address leased);

// Length of the IPv4 packet at the front of `packet` (its total length), or 0 when it is not
// a well-formed IPv4 header (version, IHL, total length within the buffer).
std::size_t ipv4_packet_length(std::span<const std::uint8_t> packet);

}  // namespace dstm::client
