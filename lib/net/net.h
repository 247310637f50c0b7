// dstm::net — addresses, prefixes, header views and checksums. No DPDK: everything here
// works on plain byte spans so that it is unit-tested without EAL (STYLE.md §2).
//
//   address.h      Ipv4Address, Ipv6Address, ipv4_mapped(), ipv4_from_mapped()
//   prefix.h       Ipv4Prefix, Ipv6Prefix
//   mac_address.h  MacAddress
//   headers.h      EthernetHeader, VlanTag, ArpHeader, Ipv4Header, Ipv6Header, IcmpHeader,
//                  Icmpv6Header, UdpHeader, and the protocol constants (protocols.h)
//   checksum.h     Internet checksum, pseudo-headers, RFC 1624 incremental update
//   byte_order.h   load_be16/32, store_be16/32
#pragma once

#include "net/address.h"
#include "net/byte_order.h"
#include "net/checksum.h"
#include "net/headers.h"
#include "net/mac_address.h"
#include "net/prefix.h"
