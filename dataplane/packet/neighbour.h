// The TEP answering for its own addresses on the wire: ARP requests for its IPv4 address on the
// internet side (RFC 826), neighbour solicitations for its IPv6 addresses (RFC 4861 §7.2.4) and
// ICMPv6 echo requests to them (RFC 4443 §4.2) on the node side. Each answer is written in place
// over the request. Resolving the gateways' MACs is packet/next_hop.h's job.
#pragma once

#include "net/net.h"
#include "packet/packet_buf.h"
#include "packet/tep_context.h"
#include "packet/verdict.h"

namespace dstm::dp {

// `pkt` starts at the ARP header. kReplyLocal (counter kInArpLocal): `pkt` is now the reply and
// `*reply_to` the MAC to send it to; else kDrop with kDropArpOther.
Verdict answer_arp(const TepContext& tep, const net::MacAddress& port_mac, PacketBuf& pkt,
                   net::MacAddress* reply_to);

// True when the IPv6 packet in `pkt` is ICMPv6 (next header 58, no extension headers) to a TEP
// address or to a multicast group, i.e. for answer_icmpv6() rather than decapsulation.
bool is_local_icmpv6(const TepContext& tep, const PacketBuf& pkt);

// `pkt` starts at the IPv6 header of a packet is_local_icmpv6() accepted. An NS for a TEP
// address becomes an NA (Router, Solicited unless DAD, Override; target link-layer option with
// `port_mac`), an echo request an echo reply: kReplyLocal, send back to the frame's source MAC.
// Anything else: kDrop with kDropIcmpv6Other.
Verdict answer_icmpv6(const TepContext& tep, const net::MacAddress& port_mac, PacketBuf& pkt);

}  // namespace dstm::dp
