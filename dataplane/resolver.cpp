#include "resolver.h"

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "l2.h"

namespace dstm::dp {
namespace {

constexpr unsigned kControlRingSize = 64;  // a handful of frames per second at most

std::uint64_t now_ms() { return rte_get_timer_cycles() * 1000 / rte_get_timer_hz(); }

// Builds the request for `side` (ARP on the IPv4 side, NS on the IPv6 side) and queues it.
void send_request(Runtime& rt, Side& side, bool ipv6, NextHopResolver::Send how) {
  rte_ring* ring = rt.workers.front()->control;
  rte_mbuf* m = rte_pktmbuf_alloc(rt.pool);
  if (m == nullptr || ring == nullptr) {
    rte_pktmbuf_free(m);
    return;
  }
  PacketBuf pkt{rte_pktmbuf_mtod(m, std::uint8_t*), 0, rte_pktmbuf_headroom(m), rte_pktmbuf_tailroom(m)};
  const bool unicast = how == NextHopResolver::Send::kUnicast;
  const NextHopState known = side.next_hop.load();
  net::MacAddress dst;
  bool built;
  std::uint16_t ethertype;
  if (ipv6) {
    const net::Ipv6Address& gw = rt.config.ipv6_gateway;
    built = build_neighbour_solicitation(side.port_mac, rt.config.tep.tep_ipv6.front(), gw, unicast, pkt);
    dst = unicast ? known.mac : ipv6_multicast_mac(solicited_node_multicast(gw));
    ethertype = net::kEtherTypeIpv6;
  } else {
    built = build_arp_request(side.port_mac, rt.config.tep.tep_ipv4, rt.config.ipv4_gateway, pkt);
    dst = unicast ? known.mac : net::MacAddress::broadcast();  // RFC 1122 §2.3.2.1 unicast poll
    ethertype = net::kEtherTypeArp;
  }
  const std::uint32_t l3_bytes = pkt.len;
  if (!built || !push_l2(pkt, side, ethertype, dst)) {
    rte_pktmbuf_free(m);
    return;
  }
  m->data_off = static_cast<std::uint16_t>(pkt.data - static_cast<std::uint8_t*>(m->buf_addr));
  m->data_len = static_cast<std::uint16_t>(pkt.len);
  m->pkt_len = pkt.len;
  m->port = side.port;
  m->l2_len = static_cast<std::uint16_t>(pkt.len - l3_bytes) & 0x7F;  // so the worker counts L3 bytes
  if (rte_ring_sp_enqueue(ring, m) != 0) rte_pktmbuf_free(m);  // worker 0 stalled: next time
}

void poll_side(Runtime& rt, Side& side, bool ipv6, NextHopResolver& resolver, std::uint64_t now) {
  if (!side.resolve) return;
  const std::uint64_t word = side.next_hop.load_raw();
  const NextHopResolver::Step step = resolver.poll(word, now);
  if (step.invalidate) side.next_hop.invalidate_if_unchanged(word);
  if (step.send != NextHopResolver::Send::kNothing) send_request(rt, side, ipv6, step.send);
}

}  // namespace

dstm::Expected<void, std::string> init_next_hops(Runtime& rt) {
  rt.ipv6_side.resolve = !rt.config.ipv6_gateway_mac.has_value();
  rt.ipv4_side.resolve = !rt.config.ipv4_gateway_mac.has_value();
  if (rt.config.ipv6_gateway_mac) rt.ipv6_side.next_hop.publish(*rt.config.ipv6_gateway_mac);
  if (rt.config.ipv4_gateway_mac) rt.ipv4_side.next_hop.publish(*rt.config.ipv4_gateway_mac);
  if (!rt.ipv6_side.resolve && !rt.ipv4_side.resolve) return {};
  rte_ring* ring = rte_ring_create("dstm_control0", kControlRingSize, static_cast<int>(rte_socket_id()),
                                   RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (ring == nullptr) return dstm::unexpected(std::string("control ring: ") + rte_strerror(rte_errno));
  rt.workers.front()->control = ring;
  return {};
}

void poll_next_hops(Runtime& rt, NextHopResolvers& resolvers) {
  const std::uint64_t now = now_ms();
  poll_side(rt, rt.ipv6_side, true, resolvers.ipv6, now);
  poll_side(rt, rt.ipv4_side, false, resolvers.ipv4, now);
}

void drain_next_hops(Runtime& rt) {
  rte_ring* ring = rt.workers.front()->control;
  if (ring == nullptr) return;
  void* m = nullptr;
  while (rte_ring_sc_dequeue(ring, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
  rte_ring_free(ring);
  rt.workers.front()->control = nullptr;
}

}  // namespace dstm::dp
