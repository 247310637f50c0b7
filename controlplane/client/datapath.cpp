// The TUN backend's packet checks: see datapath.h.
#include "datapath.h"

namespace dstm::client {

std::size_t ipv4_packet_length(std::span<const std::uint8_t> p) {
  if (p.size() < 20 || (p[0] >> 4) != 4) return 0;
  const std::size_t ihl = std::size_t{p[0] & 0x0Fu} * 4;
  const std::size_t total = (std::size_t{p[2]} << 8) | p[3];
  if (ihl < 20 || total < ihl || total > p.size()) return 0;
  return total;
}

Verdict check_outbound(std::span<const std::uint8_t> packet, net::Ipv4Address leased) {
  if (ipv4_packet_length(packet) == 0) return Verdict::kDropMalformed;
  if (net::Ipv4Address::from_bytes(&packet[12]) != leased) return Verdict::kDropWrongSource;
  return Verdict::kForward;
}

Verdict check_inbound(const net::Ipv6Address& outer_source, std::span<const std::uint8_t> inner,
                      const net::Ipv6Address& tep, net::Ipv4Address leased) {
  if (outer_source != tep) return Verdict::kDropNotFromTep;
  if (ipv4_packet_length(inner) == 0) return Verdict::kDropMalformed;
  if (net::Ipv4Address::from_bytes(&inner[16]) != leased) return Verdict::kDropWrongDestination;
  return Verdict::kForward;
}

}  // namespace dstm::client
