// The Internet checksum (RFC 1071): full computation, pseudo-headers, and incremental update
// (RFC 1624).
//
// Sums are "partial": a 32-bit ones'-complement accumulator that is neither folded to 16 bits
// nor complemented. Chain them (pseudo-header, then header, then payload), then call
// checksum_fold() once. Every partial sum returned here is at most 0xFFFF, so chaining any
// number of them cannot overflow.
#pragma once

#include <cstdint>
#include <span>

#include "net/address.h"
#include "net/ip_headers.h"

namespace dstm::net {

// Adds the bytes as big-endian 16-bit words to `sum` (ones'-complement, end-around carry).
// An odd final byte is padded with a zero byte (RFC 1071 §4.1). Only the last chunk of a
// chained computation may have odd length, or the later words would be misaligned.
std::uint32_t checksum_partial(std::span<const std::uint8_t> bytes, std::uint32_t sum = 0);

// Folds the carries into 16 bits and complements: the value for the checksum field.
constexpr std::uint16_t checksum_fold(std::uint32_t sum) {
  while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

// checksum_fold(checksum_partial(bytes)). Over data that contains its own correct checksum
// field this is 0, which is how a receiver verifies it.
std::uint16_t internet_checksum(std::span<const std::uint8_t> bytes);

// The pseudo-headers TCP, UDP (RFC 768) and ICMPv6 put in front of their checksum.
// IPv4: source, destination, zero, protocol, upper-layer length (16 bits).
std::uint32_t pseudo_header_sum_v4(Ipv4Address src, Ipv4Address dst, std::uint8_t protocol,
                                   std::uint16_t length);
// IPv6, RFC 8200 §8.1: source, destination, upper-layer length (32 bits), three zero bytes,
// next header. Use the final destination when a routing header is present.
std::uint32_t pseudo_header_sum_v6(const Ipv6Address& src, const Ipv6Address& dst,
                                   std::uint8_t next_header, std::uint32_t length);

// Incremental update when one 16-bit field changes from old_field to new_field, RFC 1624 §3
// eqn. 3:  HC' = ~(~HC + ~m + m').
//
// Why not RFC 1141's eqn. 2, HC' = HC + ~m' + m (done in ones'-complement arithmetic)? Ones'
// complement has two zeros, 0x0000 and 0xFFFF, and an end-around-carry sum of operands that
// are not all zero never yields 0x0000. A full computation complements the sum last, so it
// can store 0x0000 (when the data sum is 0xFFFF) but never 0xFFFF. Eqn. 2 sums last, so where
// the right answer is 0x0000 it produces 0xFFFF instead (RFC 1624 §4's example: HC 0xDD2F,
// m 0x5555 -> m' 0x3285 gives 0xFFFF, the correct value is 0x0000). Eqn. 3 sums first and
// complements last, exactly like the full computation, so the two always agree.
std::uint16_t checksum_update16(std::uint16_t old_checksum, std::uint16_t old_field,
                                std::uint16_t new_field);
// The same for a 32-bit field at an even offset (e.g. an IPv4 address): two 16-bit updates.
std::uint16_t checksum_update32(std::uint16_t old_checksum, std::uint32_t old_field,
                                std::uint32_t new_field);

// IPv4 header checksum (RFC 791 §3.1) over header_length() bytes. False when the IHL is below
// 5 or the header does not fit the view.
bool ipv4_header_checksum_valid(const Ipv4Header& header);
// Recomputes and stores the header checksum. Precondition: the IHL is right (valid_basic()
// or a header the caller built); otherwise only the part inside the span is summed.
void ipv4_set_header_checksum(Ipv4Header header);
// Forwarding step of RFC 1812 §5.3.1: TTL minus one, checksum updated incrementally (RFC 1624)
// over the TTL/protocol word. Precondition: ttl() > 0. Returns the new TTL.
std::uint8_t ipv4_decrement_ttl(Ipv4Header header);

}  // namespace dstm::net
