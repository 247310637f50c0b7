// What the packet stages need to know about this TEP: its addresses, pools and policies. Built
// once from the configuration (dataplane/config.h); read-only on the fast path.
#pragma once

#include <cstdint>
#include <vector>

#include "net/net.h"

namespace dstm::dp {

struct IcmpPolicy {
  bool time_exceeded = true;      // ICMPv4 11/0 for TTL 0/1
  bool host_unreachable = true;   // ICMPv4 3/1 for a pool address without a lease
  bool frag_needed = true;        // ICMPv4 3/4 (always sensible: PMTUD depends on it)
  bool source_unreachable = false;  // ICMPv6 1/5 for a node whose source fails the binding check
  bool parameter_problem = true;  // ICMPv6 4/x and ICMPv4 12/0
  bool packet_too_big = true;     // honour ICMPv6 2/0 from the node path (case 34); false ignores it
  bool reassembly_time_exceeded = true;  // ICMPv6 3/1 when a datagram with fragment 0 times out
};

struct TepContext {
  std::vector<net::Ipv6Address> tep_ipv6;  // outer destinations we decapsulate for; [0] is our encap source
  net::Ipv4Address tep_ipv4;               // answers echo; source of ICMPv4 errors
  std::vector<net::Ipv4Prefix> pools;      // DSTM address pools (leases live here)
  std::uint32_t tunnel_mtu = 1460;         // largest inner IPv4 packet we encapsulate (link MTU - 40)
  std::uint8_t hop_limit = 64;             // outer hop limit on encapsulation
  bool hairpinning = true;                 // node-to-node through the TEP (RFC 7596 §6)
  bool answer_echo = true;                 // ICMPv4 echo to tep_ipv4 (case 16)
  std::uint16_t path_mtu_expiry_s = 600;   // a learned per-node MTU lasts this long (Linux: 10 min)
  IcmpPolicy icmp;

  bool is_tep_ipv6(const net::Ipv6Address& a) const {
    for (const auto& t : tep_ipv6) {
      if (t == a) return true;
    }
    return false;
  }
  bool in_pool(net::Ipv4Address a) const {
    for (const auto& p : pools) {
      if (p.contains(a)) return true;
    }
    return false;
  }
  // The directed broadcast address of a pool (its last address; /31 and /32 have none, RFC
  // 3021): never a unicast lease, never forwarded (RFC 1812 §5.3.7, §4.2.3.1 / case 13).
  bool is_pool_broadcast(net::Ipv4Address a) const {
    for (const auto& p : pools) {
      if (p.length() <= 30 && a == p.last()) return true;
    }
    return false;
  }
  // A destination the TEP never forwards to, on either path: martian blocks (multicast
  // included) and the pools' directed broadcasts (cases 12 and 13).
  bool is_martian_destination(net::Ipv4Address a) const {
    return a.is_martian() || is_pool_broadcast(a);
  }
};

}  // namespace dstm::dp
