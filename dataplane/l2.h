// Ethernet/802.1Q on the way in (which side a frame belongs to) and on the way out.
#pragma once

#include <cstdint>
#include <optional>

#include "packet/packet_buf.h"
#include "runtime.h"

namespace dstm::dp {

enum class Ingress : std::uint8_t {
  kNodeSide, kInternetSide, kInternetArp, kMisplacedNodePort, kMisplacedInternetPort
};

// Classifies a frame that arrived on `port` and strips its L2 header from `pkt` (which then
// starts at L3). With one port for both sides, the VLAN (or, without VLANs, the EtherType)
// tells the sides apart.
Ingress classify_and_strip(const Runtime& rt, std::uint16_t port, PacketBuf& pkt);

// Prepends Ethernet (+ 802.1Q when the side has a VLAN) towards `dst`. False without headroom.
bool push_l2(PacketBuf& pkt, const Side& side, std::uint16_t ethertype, const net::MacAddress& dst);

}  // namespace dstm::dp
