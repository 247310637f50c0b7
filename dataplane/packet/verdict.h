// What a packet stage decided: where the packet goes, which counter it counts in, and which
// ICMP error (if any) the glue should build from the ORIGINAL packet before freeing it.
#pragma once

#include <cstdint>

#include "counters.h"

namespace dstm::dp {

enum class Action : std::uint8_t {
  kDrop,          // free the packet (counted in `counter`)
  kToIpv4Side,    // send the (now IPv4) packet to the internet-side next hop
  kToIpv6Side,    // send the (now IPv4-in-IPv6) packet to the node-side next hop
  kToIpv6SideFragment,  // the packet is IPv4-in-IPv6 but larger than the outer link MTU (`mtu`)
                        // and its inner DF is clear: split it with fragment_ipv6(pkt, mtu, ...)
                        // (packet/fragment.h, RFC 2473 §7.2, RFC 8200 §4.5) and send each
                        // fragment as kToIpv6Side; counter kOutIpv6Fragment (per fragment sent)
  kHairpin,       // decapsulated packet whose destination is a pool address: run encap on it
  kReplyLocal,    // the packet was rewritten in place into a reply (echo); send it back out
                  // the side it came from
};

enum class IcmpError : std::uint8_t {
  kNone,
  kV4TimeExceeded,       // ICMPv4 11/0 to the inner source (RFC 1812 §5.3.1)
  kV4HostUnreachable,    // ICMPv4 3/1: pool address without a lease (RFC 7596 §6.2)
  kV4FragNeeded,         // ICMPv4 3/4 with next-hop MTU = `mtu` (RFC 1191, RFC 2473 §7.2)
  kV4ParameterProblem,   // ICMPv4 12/0, pointer = `pointer`
  kV6AddrUnreachable,    // ICMPv6 1/5 source policy failed (RFC 4443 §3.1, RFC 7596 §6.2)
  kV6ParameterProblem,   // ICMPv6 4/`code`, pointer = `pointer` (RFC 4443 §3.4)
  kV6ReassemblyTimeExceeded,  // ICMPv6 3/1 quoting fragment 0 (RFC 8200 §4.5, RFC 4443 §3.3)
};

// ICMPv6 errors quote the outer IPv6 packet and go to the node side; the rest are ICMPv4.
constexpr bool is_icmpv6(IcmpError e) {
  return e == IcmpError::kV6AddrUnreachable || e == IcmpError::kV6ParameterProblem ||
         e == IcmpError::kV6ReassemblyTimeExceeded;
}

struct Verdict {
  Action action = Action::kDrop;
  Counter counter = Counter::kDropMalformedIpv6;
  IcmpError icmp = IcmpError::kNone;
  std::uint8_t icmp_code = 0;   // for kV6ParameterProblem: 0 erroneous field, 1 unknown next
                                // header, 2 unrecognized option
  std::uint32_t pointer = 0;    // parameter problem pointer (octets into the offending packet)
  std::uint32_t mtu = 0;        // for kV4FragNeeded: the tunnel MTU to report; for
                                // kToIpv6SideFragment: the outer link MTU to fragment to
};

constexpr Verdict drop(Counter c) { return Verdict{Action::kDrop, c, IcmpError::kNone, 0, 0, 0}; }

}  // namespace dstm::dp
