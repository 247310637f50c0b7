// ICMP errors the TEP originates (RFC 792, RFC 4443, RFC 1812 §4.3.2), built into a fresh
// buffer from the offending packet. Rate limiting and policy are the caller's.
#pragma once

#include <cstdint>
#include <span>

#include "packet/packet_buf.h"
#include "packet/tep_context.h"
#include "packet/verdict.h"

namespace dstm::dp {

// Builds an ICMPv4 error (verdict.icmp is one of the kV4* kinds) about the IPv4 packet
// `offending`, from tep.tep_ipv4 to offending's source, quoting its header + 8 bytes (RFC 792;
// more is allowed by RFC 1812 §4.3.2.3 up to 576 bytes total). `out` is empty (len 0) with
// enough tailroom. Returns false — and builds nothing — where RFC 1812 §4.3.2.7 forbids an
// error: about an ICMP error, a non-first fragment, a broadcast/multicast/martian source.
bool build_icmpv4_error(const TepContext& tep, const Verdict& verdict,
                        std::span<const std::uint8_t> offending, PacketBuf& out);

// Builds an ICMPv6 error (kV6*) about the IPv6 packet `offending`, from tep.tep_ipv6[0] to its
// source, quoting as much as fits in 1280 bytes (RFC 4443 §2.4 (c)). False where §2.4 (e)
// forbids one (about an ICMPv6 error, to a multicast or unspecified source).
bool build_icmpv6_error(const TepContext& tep, const Verdict& verdict,
                        std::span<const std::uint8_t> offending, PacketBuf& out);

}  // namespace dstm::dp
