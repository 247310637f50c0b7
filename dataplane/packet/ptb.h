// ICMPv6 Packet Too Big from the node path (TEP-BEHAVIOUR.md case 34; RFC 2473 §8, RFC 8201,
// RFC 5927; Linux ip4ip6_err). A router between the TEP and a node reports that an
// encapsulated packet did not fit: the TEP lowers that node's tunnel MTU (packet/path_mtu.h)
// and, when the quoted inner packet had DF set, tells its IPv4 sender with ICMPv4 3/4.
// Two steps like decap: ptb_parse() finds the node's IPv4 lease (the key), the caller looks
// its binding up, ptb_finish() checks the quote against it. No DPDK.
#pragma once

#include <cstdint>
#include <optional>

#include "net/net.h"
#include "packet/packet_buf.h"
#include "packet/tep_context.h"
#include "packet/verdict.h"

namespace dstm::dp {

struct PtbParse {
  std::optional<Verdict> early;  // decided already: no lookup needed
  net::Ipv4Address client;       // the quoted inner destination: a node's lease (the key)
  net::Ipv6Address node;         // the quoted outer destination: must be that lease's binding
  std::uint16_t mtu = 0;         // the node's new tunnel MTU: max(1280, reported) - 40
  bool inner_df = false;         // the quoted inner packet had DF set
  std::uint32_t inner_offset = 0;  // where the quoted inner IPv4 packet starts in pkt
};

// True when the IPv6 packet in `pkt` (is_local_icmpv6() accepted it) is ICMPv6 type 2.
bool is_packet_too_big(const PacketBuf& pkt);

// Validates the message and the quote. Early drops: policy off, not for a TEP address, bad
// checksum, code ≠ 0 (drop-icmpv6-other); a quote that is not T -> node with next header 4
// and an IPv4 header behind it (drop-icmpv6-bad-quote). Ethernet padding is ignored.
PtbParse ptb_parse(const TepContext& tep, const PacketBuf& pkt);

// `binding`: the IPv6 address parsed.client is leased to, nullptr when none. Always kDrop (the
// message is consumed): counter in-icmpv6-ptb when the quote matches the binding — the caller
// then records parsed.mtu — with icmp = kV4FragNeeded and mtu = parsed.mtu when the inner
// packet had DF and the frag_needed policy allows (the error quotes pkt from
// parsed.inner_offset); else drop-icmpv6-bad-quote.
Verdict ptb_finish(const TepContext& tep, const PtbParse& parsed, const net::Ipv6Address* binding);

}  // namespace dstm::dp
