// Writing the outer IPv6 header of an IPv4-in-IPv6 packet (RFC 2473 §3.1, next header 4), used
// by encapsulation and by every reply the TEP sends back into a tunnel.
#pragma once

#include <cstdint>

#include "net/net.h"
#include "packet/packet_buf.h"

namespace dstm::dp {

inline constexpr std::uint32_t kIpv6HeaderBytes = 40;

// Prepends a 40-byte IPv6 header (version 6, `traffic_class`, flow label 0, payload length =
// the current packet length, next header 4, `hop_limit`) in front of the IPv4 packet in `pkt`.
// False (no change) without 40 bytes of headroom or when the packet exceeds 65535 bytes.
inline bool push_ipv6_encap(PacketBuf& pkt, const net::Ipv6Address& src, const net::Ipv6Address& dst,
                            std::uint8_t hop_limit, std::uint8_t traffic_class) {
  if (pkt.len > 0xFFFF) return false;
  const auto payload = static_cast<std::uint16_t>(pkt.len);
  std::uint8_t* p = pkt.prepend(kIpv6HeaderBytes);
  if (p == nullptr) return false;
  auto h = net::Ipv6Header::at(pkt.bytes());
  h->set_version_class_flow(6, traffic_class, 0);
  h->set_payload_length(payload);
  h->set_next_header(net::kProtoIpv4InIpv6);
  h->set_hop_limit(hop_limit);
  h->set_src(src);
  h->set_dst(dst);
  return true;
}

}  // namespace dstm::dp
