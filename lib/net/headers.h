// All header views and protocol constants. See header_view.h for how a view works.
#pragma once

#include "net/ethernet.h"    // EthernetHeader, VlanTag, ArpHeader
#include "net/ip_headers.h"  // Ipv4Header, Ipv6Header
#include "net/l4_headers.h"  // IcmpHeader, Icmpv6Header, UdpHeader
#include "net/protocols.h"   // kEtherType*, kProto*, kIcmp*, kIcmpv6*, kArp*
