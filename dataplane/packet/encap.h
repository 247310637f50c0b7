// Encapsulation (IPv4 world -> node), DESIGN.md flow 5 and TEP-BEHAVIOUR.md cases 35-39.
// Two steps like decap.h: encap_parse() gathers the IPv4 destination (the key), the caller
// looks the burst up at once, encap_finish() prepends the IPv6 header. No DPDK.
#pragma once

#include <cstdint>
#include <optional>

#include "net/net.h"
#include "packet/packet_buf.h"
#include "packet/tep_context.h"
#include "packet/verdict.h"

namespace dstm::dp {

struct EncapParse {
  std::optional<Verdict> early;  // decided already (drop / error / local echo): no lookup needed
  net::Ipv4Address inner_dst;    // the lookup key
};

// `pkt` starts at the IPv4 header. `hairpin`: the packet comes from decap_finish (TTL already
// decremented once, source is a pool address by design): skip those two checks.
// An echo request to tep_ipv4 (case 16) gives early = {kReplyLocal, in-icmpv4-echo-local}: parse
// cannot write (pkt is const), so encap_finish rewrites it into the reply in place; call
// encap_finish for it (binding is ignored) before sending it back.
EncapParse encap_parse(const TepContext& tep, const PacketBuf& pkt, bool hairpin = false);

// `binding`: the node's IPv6 address for inner_dst, nullptr when none. On kToIpv6Side the packet
// is IPv6 (src tep_ipv6[0], dst binding, next header 4, hop limit tep.hop_limit, traffic class
// = the IPv4 TOS, RFC 2473 §6.5 / RFC 6040 normal mode) with the inner TTL - 1 unless hairpin.
// An inner packet above tep.tunnel_mtu: DF set -> kDrop, drop-over-mtu-df, ICMPv4 3/4 with
// mtu = tunnel_mtu when the policy allows (case 37, RFC 2473 §7.2); DF clear -> encapsulated
// exactly as for kToIpv6Side but the verdict is kToIpv6SideFragment, out-ipv6-frag, with
// mtu = tunnel_mtu + 40 (the outer link MTU): the glue splits it with fragment_ipv6()
// (packet/fragment.h, case 38, RFC 8200 §4.5).
// On kDrop it is unchanged, so an ICMP error can quote it. With parsed.early set, returns it
// (after writing the echo reply for kReplyLocal). Ethernet padding past the IPv4 total length
// is trimmed on kToIpv6Side, kToIpv6SideFragment and kReplyLocal. No headroom for the outer
// header: kDrop, drop-encap-no-headroom. Precondition: tep.tep_ipv6 is not empty.
// `path_mtu`: the node's MTU learned from Packet Too Big (packet/ptb.h), 0 when none; the
// smaller of it and tep.tunnel_mtu is the MTU for everything above (RFC 8201 §4: a report only
// ever lowers it).
Verdict encap_finish(const TepContext& tep, PacketBuf& pkt, const EncapParse& parsed,
                     const net::Ipv6Address* binding, bool hairpin = false,
                     std::uint32_t path_mtu = 0);

}  // namespace dstm::dp
