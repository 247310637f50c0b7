// Decapsulation (node -> IPv4 world), DESIGN.md flow 4 and TEP-BEHAVIOUR.md cases 1-33.
// Two steps so a burst needs one bulk lookup: decap_parse() on every packet gathers the inner
// IPv4 source (the key); the caller looks all keys up at once; decap_finish() applies the
// binding check and rewrites. No DPDK: runs on PacketBuf.
#pragma once

#include <cstdint>
#include <optional>

#include "net/net.h"
#include "packet/packet_buf.h"
#include "packet/tep_context.h"
#include "packet/verdict.h"

namespace dstm::dp {

struct DecapParse {
  std::optional<Verdict> early;        // decided already (drop / error): no lookup needed
  net::Ipv4Address inner_src;          // the lookup key
  net::Ipv4Address inner_dst;
  net::Ipv6Address outer_src;
  std::uint32_t outer_header_bytes = 0;  // IPv6 header + extension headers before the IPv4 header
  // Non-zero for a real outer fragment (early is then in-ipv6-frag-needs-reassembly): the
  // offsets of its Fragment header and of the next-header field naming it. The glue hands such
  // a packet to the reassembly stage (packet/reassembly.h) instead of finishing it.
  std::uint32_t fragment_header = 0;
  std::uint32_t fragment_next_field = 0;
};

// `pkt` starts at the outer IPv6 header (Ethernet/VLAN already removed) and ends where the frame
// ended (Ethernet padding included: case 7 is trimmed by decap_finish to the payload length).
DecapParse decap_parse(const TepContext& tep, const PacketBuf& pkt);

// `binding`: the IPv6 address the inner source is leased to, nullptr when none. On kToIpv4Side
// and kHairpin the packet has become the inner IPv4 packet with TTL - 1 and the checksum
// updated (RFC 1812 §5.3.1), ECN combined per RFC 6040 §4.2; on kReplyLocal it is an echo reply
// already encapsulated back to the node. On kDrop it is unchanged, so an ICMP error can quote it.
Verdict decap_finish(const TepContext& tep, PacketBuf& pkt, const DecapParse& parsed,
                     const net::Ipv6Address* binding);

}  // namespace dstm::dp
