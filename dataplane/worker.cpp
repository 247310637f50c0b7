// The worker lcore loop: RX a burst per port, classify, run the packet stages with one bulk
// table lookup per burst, and hand every packet to exactly one place: a TX buffer, free
// (counted), or the worker's reassembly table (outer fragments, packet/reassembly.h). No locks,
// no allocation except mbufs from the pool (ICMP errors, reassembled datagrams), no syscalls.
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_random.h>
#include <rte_ring_elem.h>

#include <algorithm>

#include "l2.h"
#include "packet/decap.h"
#include "packet/encap.h"
#include "packet/fragment.h"
#include "packet/icmp.h"
#include "packet/ipv6_encap.h"
#include "packet/neighbour.h"
#include "packet/next_hop.h"
#include "packet/ptb.h"
#include "learn.h"
#include "packet/reassembly.h"
#include "runtime.h"

namespace dstm::dp {
namespace {

PacketBuf view_of(rte_mbuf* m) {
  return PacketBuf{rte_pktmbuf_mtod(m, std::uint8_t*), rte_pktmbuf_data_len(m),
                   rte_pktmbuf_headroom(m), rte_pktmbuf_tailroom(m)};
}

void commit(rte_mbuf* m, const PacketBuf& b) {
  m->data_off = static_cast<std::uint16_t>(b.data - static_cast<std::uint8_t*>(m->buf_addr));
  m->data_len = static_cast<std::uint16_t>(b.len);
  m->pkt_len = b.len;
}

class Burst final : public ReassemblySink {
 public:
  Burst(Runtime& rt, WorkerContext& w) : rt_(rt), w_(w), tep_(rt.config.tep) { load_next_hops(); }

  // The gateways' MACs for this burst (one atomic load each; next_hop.h).
  void load_next_hops() {
    next_hop6_ = rt_.ipv6_side.next_hop.load();
    next_hop4_ = rt_.ipv4_side.next_hop.load();
  }

  void drop(rte_mbuf* m, Counter c, std::uint32_t bytes) {
    w_.counters.add(c, bytes);
    rte_pktmbuf_free(m);
  }

  // Sends an L3 packet out of `side` (adding L2 towards `dst`, by default the side's next
  // hop), counting it in `c`.
  void send(rte_mbuf* m, PacketBuf& pkt, const Side& side, std::uint16_t ethertype, Counter c,
            const net::MacAddress* dst = nullptr) {
    const std::uint32_t l3_bytes = pkt.len;
    if (dst == nullptr) {
      const NextHopState& gateway = &side == &rt_.ipv6_side ? next_hop6_ : next_hop4_;
      if (!gateway.valid) return drop(m, Counter::kDropNextHopUnresolved, l3_bytes);
      dst = &gateway.mac;
    }
    if (!push_l2(pkt, side, ethertype, *dst)) return drop(m, Counter::kDropMalformedIpv4, l3_bytes);
    commit(m, pkt);
    w_.counters.add(c, l3_bytes);
    w_.counters.add_tx(1);
    rte_eth_tx_buffer(side.port, w_.queue, w_.tx[side.port], m);
  }

  // An IPv4 packet the TEP originates (ICMP error) goes where its destination is: into a
  // tunnel when it is a leased pool address, else to the internet side.
  void route_ipv4(rte_mbuf* m, PacketBuf& pkt, Counter c) {
    auto ip = net::Ipv4Header::at(pkt.bytes());
    const net::Ipv4Address dst = ip->dst();
    if (!tep_.in_pool(dst)) return send(m, pkt, rt_.ipv4_side, net::kEtherTypeIpv4, c);
    mapping::Ipv6Value v;
    if (!rt_.table->lookup(dst.to_host(), &v)) return drop(m, Counter::kDropNoDestSoftwire, pkt.len);
    if (!push_ipv6_encap(pkt, tep_.tep_ipv6.front(), net::Ipv6Address(v.bytes), tep_.hop_limit, 0)) {
      return drop(m, Counter::kDropMalformedIpv4, pkt.len);
    }
    send(m, pkt, rt_.ipv6_side, net::kEtherTypeIpv6, c);
  }

  bool take_icmp_token() {
    const std::uint64_t now = rte_rdtsc();
    const std::uint64_t hz = rte_get_tsc_hz();
    const auto& rate = rt_.config.icmp_rate;
    if (rate.per_second == 0) return false;  // policy: no ICMP errors at all
    const std::uint64_t per_worker = std::max<std::uint64_t>(1, rate.per_second / rt_.workers.size());
    const std::uint64_t elapsed = now - w_.icmp_refill_tsc;
    const std::uint64_t fresh = elapsed * per_worker / hz;
    if (fresh > 0) {
      w_.icmp_tokens = std::min<std::uint64_t>(rate.burst, w_.icmp_tokens + fresh);
      w_.icmp_refill_tsc = now;
    }
    if (w_.icmp_tokens == 0) return false;
    --w_.icmp_tokens;
    return true;
  }

  // Builds and sends the ICMP error a verdict asks for, quoting `offending` (not yet freed).
  void icmp_error(const Verdict& v, std::span<const std::uint8_t> offending) {
    if (v.icmp == IcmpError::kNone) return;
    if (!take_icmp_token()) return w_.counters.add(Counter::kDropIcmpRateLimited, 0);
    rte_mbuf* m = rte_pktmbuf_alloc(rt_.pool);
    if (m == nullptr) return w_.counters.add(Counter::kDropIcmpRateLimited, 0);
    PacketBuf out = view_of(m);
    out.len = 0;
    const bool v6 = is_icmpv6(v.icmp);
    const bool built = v6 ? build_icmpv6_error(tep_, v, offending, out) : build_icmpv4_error(tep_, v, offending, out);
    if (!built) return drop(m, Counter::kDropIcmpRateLimited, 0);
    if (v6) return send(m, out, rt_.ipv6_side, net::kEtherTypeIpv6, Counter::kOutIcmpv6Error);
    route_ipv4(m, out, Counter::kOutIcmpv4Error);
  }

  // RFC 2473 §7.2: the encapsulated packet (DF clear inside) exceeds the link MTU: send it as
  // outer fragments, each in an mbuf of its own, with an unpredictable identification (RFC 7739).
  void send_fragments(rte_mbuf* m, PacketBuf& pkt, const Verdict& v) {
    constexpr unsigned kMaxFragments = 8;
    rte_mbuf* frags[kMaxFragments];
    PacketBuf views[kMaxFragments];
    const unsigned need = (pkt.len + v.mtu - 1) / (v.mtu - 48) + 1;
    const unsigned count = std::min(need, kMaxFragments);
    if (rte_pktmbuf_alloc_bulk(rt_.pool, frags, count) != 0) return drop(m, Counter::kDropOverMtuDf, pkt.len);
    for (unsigned i = 0; i < count; ++i) {
      views[i] = view_of(frags[i]);  // a fresh mbuf: empty, all room after its headroom
    }
    const unsigned made = fragment_ipv6(pkt, v.mtu, static_cast<std::uint32_t>(rte_rand()), views, count);
    for (unsigned i = 0; i < count; ++i) {
      if (i < made) {
        send(frags[i], views[i], rt_.ipv6_side, net::kEtherTypeIpv6, Counter::kOutIpv6Fragment);
      } else {
        rte_pktmbuf_free(frags[i]);
      }
    }
    if (made == 0) return drop(m, Counter::kDropOverMtuDf, pkt.len);
    rte_pktmbuf_free(m);
  }

  // Case 34: an ICMPv6 Packet Too Big about one of our tunnel packets (packet/ptb.h).
  void packet_too_big(rte_mbuf* m, const PacketBuf& pkt) {
    const PtbParse parsed = ptb_parse(tep_, pkt);
    mapping::Ipv6Value value{};
    const bool bound = !parsed.early && rt_.table->lookup(parsed.client.to_host(), &value);
    const net::Ipv6Address binding(value.bytes);
    const Verdict v = ptb_finish(tep_, parsed, bound ? &binding : nullptr);
    if (v.counter == Counter::kInIcmpv6Ptb) {
      rt_.path_mtu->update(parsed.client.to_host(), parsed.mtu, seconds_now(), tep_.path_mtu_expiry_s);
      icmp_error(v, pkt.bytes().subspan(parsed.inner_offset));
    }
    drop(m, v.counter, pkt.len);
  }

  // Learning mode (learn.h): an unmapped pool source asks the main lcore to install it. The
  // packet itself is still dropped: only an installed mapping forwards, so the install rate
  // limit also bounds what unprovisioned sources can send.
  void request_learn(const DecapParse& parsed, Verdict& v) {
    if (!tep_.in_pool(parsed.inner_src) || tep_.is_pool_broadcast(parsed.inner_src)) return;
    LearnRequest r;
    r.ipv4 = parsed.inner_src.to_host();
    r.ipv6 = parsed.outer_src.bytes();
    if (rte_ring_sp_enqueue_elem(w_.learn, &r, sizeof r) != 0) v.counter = Counter::kDropLearnRingFull;
  }

  // `reassembled`: the packets came out of the reassembly table (a fragment among them is not
  // reassembled twice).
  void from_nodes(rte_mbuf** pkts, PacketBuf* bufs, unsigned n, bool reassembled = false);
  void from_internet(rte_mbuf** pkts, PacketBuf* bufs, unsigned n, bool hairpin);

  // ReassemblySink: how the reassembly table (packet/reassembly.h) frees, counts and delivers.
  void count(Counter c, std::uint32_t bytes) override { w_.counters.add(c, bytes); }
  void send_icmp(const Verdict& v, std::span<const std::uint8_t> offending) override {
    icmp_error(v, offending);
  }
  void release(void* handle) override { rte_pktmbuf_free(static_cast<rte_mbuf*>(handle)); }
  void* allocate(PacketBuf& out) override {
    rte_mbuf* m = rte_pktmbuf_alloc(rt_.pool);
    if (m != nullptr) out = view_of(m);  // fresh: empty, all the data room after the headroom
    return m;
  }
  void deliver(void* handle, const PacketBuf& pkt) override {
    auto* m = static_cast<rte_mbuf*>(handle);
    if (nreassembled_ == kMaxBurst) return drop(m, Counter::kDropIpv6FragNoRoom, pkt.len);
    reassembled_[nreassembled_] = m;
    reassembled_bufs_[nreassembled_++] = pkt;
  }

 private:
  void offer_fragment(rte_mbuf* m, const PacketBuf& pkt, const DecapParse& parsed,
                      bool reassembled) {
    w_.counters.add(Counter::kInIpv6FragNeedsReassembly, pkt.len);
    if (reassembled || w_.reassembly == nullptr) {
      return drop(m, Counter::kDropIpv6FragInvalid, pkt.len);  // no fragments inside fragments
    }
    const FragmentIn f{m, pkt, parsed.fragment_header, parsed.fragment_next_field};
    w_.reassembly->offer(f, rte_rdtsc(), *this);
  }
  void finish_encap(rte_mbuf* m, PacketBuf& pkt, const EncapParse& parsed, const net::Ipv6Address* binding, bool hairpin);

  Runtime& rt_;
  WorkerContext& w_;
  const TepContext& tep_;
  NextHopState next_hop6_;
  NextHopState next_hop4_;
  rte_mbuf* reassembled_[kMaxBurst];  // delivered by the reassembly table during from_nodes()
  PacketBuf reassembled_bufs_[kMaxBurst];
  unsigned nreassembled_ = 0;
};

// ARP / ND from a gateway whose MAC is resolved dynamically: publish what it says (RFC 826
// merge, RFC 4861 §7.2.3/§7.2.5). True when the packet is consumed (counted, freed); false
// when it must still go to answer_arp() / answer_icmpv6() (a request aimed at the TEP).
bool hear_gateway_arp(Runtime& rt, Burst& burst, rte_mbuf* m, const PacketBuf& pkt) {
  if (!rt.ipv4_side.resolve) return false;
  const auto mac = hear_arp(pkt, rt.config.ipv4_gateway);
  if (!mac) return false;
  rt.ipv4_side.next_hop.publish(*mac);
  burst.load_next_hops();
  auto arp = net::ArpHeader::at(pkt.bytes());
  if (arp->op() == net::kArpOpRequest && arp->tpa() == rt.config.tep.tep_ipv4) return false;
  burst.drop(m, Counter::kInArpNextHop, pkt.len);
  return true;
}

bool hear_gateway_nd(Runtime& rt, Burst& burst, rte_mbuf* m, const PacketBuf& pkt) {
  if (!rt.ipv6_side.resolve) return false;
  const auto heard = hear_neighbour(pkt, rt.config.ipv6_gateway);
  if (!heard) return false;
  // §7.2.5: an advertisement without the Override flag does not replace a different MAC.
  const NextHopState now = rt.ipv6_side.next_hop.load();
  if (heard->override_flag || !now.valid || now.mac == heard->mac) {
    rt.ipv6_side.next_hop.publish(heard->mac);
    burst.load_next_hops();
  }
  if (!heard->advertisement) return false;
  burst.drop(m, Counter::kInNdNextHop, pkt.len);
  return true;
}

void Burst::from_nodes(rte_mbuf** pkts, PacketBuf* bufs, unsigned n, bool reassembled) {
  DecapParse parsed[kMaxBurst];
  std::uint32_t keys[kMaxBurst];
  unsigned nkeys = 0;
  for (unsigned i = 0; i < n; ++i) {  // loop 1: parse, gather keys
    parsed[i] = decap_parse(tep_, bufs[i]);
    if (!parsed[i].early) keys[nkeys++] = parsed[i].inner_src.to_host();
  }
  mapping::Ipv6Value values[kMaxBurst];
  std::uint64_t hits = 0;
  if (nkeys > 0) rt_.table->lookup_bulk(keys, nkeys, values, &hits);
  rte_mbuf* hairpin[kMaxBurst];
  PacketBuf hairpin_bufs[kMaxBurst];
  unsigned nhairpin = 0;
  unsigned k = 0;
  for (unsigned i = 0; i < n; ++i) {  // loop 2: bind, rewrite, dispatch
    if (parsed[i].fragment_header != 0) {  // an outer fragment: the reassembly table takes it
      offer_fragment(pkts[i], bufs[i], parsed[i], reassembled);
      continue;
    }
    Verdict v;
    if (parsed[i].early) {
      v = *parsed[i].early;
    } else {
      const net::Ipv6Address bound(values[k].bytes);
      v = decap_finish(tep_, bufs[i], parsed[i], ((hits >> k) & 1u) ? &bound : nullptr);
      ++k;
      if (v.counter == Counter::kDropNoSourceSoftwire && w_.learn != nullptr) request_learn(parsed[i], v);
    }
    switch (v.action) {
      case Action::kToIpv4Side:
        send(pkts[i], bufs[i], rt_.ipv4_side, net::kEtherTypeIpv4, v.counter);
        break;
      case Action::kReplyLocal:
        send(pkts[i], bufs[i], rt_.ipv6_side, net::kEtherTypeIpv6, v.counter);
        break;
      case Action::kHairpin:
        w_.counters.add(v.counter, bufs[i].len);
        hairpin[nhairpin] = pkts[i];
        hairpin_bufs[nhairpin++] = bufs[i];
        break;
      case Action::kToIpv6Side:  // not decap outcomes
      case Action::kToIpv6SideFragment:
      case Action::kDrop: {
        // ICMPv4 errors quote the inner packet (TTL: RFC 1812 §5.3.1); ICMPv6 the outer one.
        auto whole = bufs[i].bytes();
        icmp_error(v, is_icmpv6(v.icmp) ? whole
                                        : whole.subspan(std::min<std::size_t>(parsed[i].outer_header_bytes, whole.size())));
        drop(pkts[i], v.counter, bufs[i].len);
        break;
      }
    }
  }
  if (nhairpin > 0) from_internet(hairpin, hairpin_bufs, nhairpin, true);
  if (nreassembled_ > 0 && !reassembled) {  // whole datagrams now: decapsulate them as usual
    rte_mbuf* whole[kMaxBurst];
    PacketBuf whole_bufs[kMaxBurst];
    const unsigned nwhole = nreassembled_;
    std::copy_n(reassembled_, nwhole, whole);
    std::copy_n(reassembled_bufs_, nwhole, whole_bufs);
    nreassembled_ = 0;
    from_nodes(whole, whole_bufs, nwhole, true);
  }
}

void Burst::finish_encap(rte_mbuf* m, PacketBuf& pkt, const EncapParse& parsed,
                         const net::Ipv6Address* binding, bool hairpin) {
  std::uint32_t path_mtu = 0;
  if (binding != nullptr && rt_.path_mtu->used()) {  // nothing to look up until a PTB came
    path_mtu = rt_.path_mtu->lookup(parsed.inner_dst.to_host(), seconds_now(), tep_.path_mtu_expiry_s).value_or(0);
  }
  Verdict v = encap_finish(tep_, pkt, parsed, binding, hairpin, path_mtu);
  switch (v.action) {
    case Action::kToIpv6Side: return send(m, pkt, rt_.ipv6_side, net::kEtherTypeIpv6, v.counter);
    case Action::kReplyLocal: return send(m, pkt, rt_.ipv4_side, net::kEtherTypeIpv4, v.counter);
    case Action::kToIpv4Side: return send(m, pkt, rt_.ipv4_side, net::kEtherTypeIpv4, v.counter);
    case Action::kToIpv6SideFragment: return send_fragments(m, pkt, v);
    case Action::kHairpin:
    case Action::kDrop:
      icmp_error(v, pkt.bytes());
      return drop(m, v.counter, pkt.len);
  }
}

void Burst::from_internet(rte_mbuf** pkts, PacketBuf* bufs, unsigned n, bool hairpin) {
  EncapParse parsed[kMaxBurst];
  std::uint32_t keys[kMaxBurst];
  unsigned which[kMaxBurst];
  unsigned nkeys = 0;
  for (unsigned i = 0; i < n; ++i) {
    parsed[i] = encap_parse(tep_, bufs[i], hairpin);
    if (!parsed[i].early) {
      keys[nkeys] = parsed[i].inner_dst.to_host();
      which[nkeys++] = i;
    } else if (parsed[i].early->action == Action::kReplyLocal) {
      finish_encap(pkts[i], bufs[i], parsed[i], nullptr, hairpin);
    } else {
      icmp_error(*parsed[i].early, bufs[i].bytes());
      drop(pkts[i], parsed[i].early->counter, bufs[i].len);
    }
  }
  mapping::Ipv6Value values[kMaxBurst];
  std::uint64_t hits = 0;
  if (nkeys > 0) rt_.table->lookup_bulk(keys, nkeys, values, &hits);
  for (unsigned k = 0; k < nkeys; ++k) {
    const unsigned i = which[k];
    const net::Ipv6Address bound(values[k].bytes);
    finish_encap(pkts[i], bufs[i], parsed[i], ((hits >> k) & 1u) ? &bound : nullptr, hairpin);
  }
}

// Receives one burst on `port` and runs it through the stages; returns packets received.
unsigned poll_port(Runtime& rt, WorkerContext& w, std::uint16_t port) {
  rte_mbuf* pkts[kMaxBurst];
  const auto n = rte_eth_rx_burst(port, w.queue, pkts, static_cast<std::uint16_t>(rt.config.burst_size));
  if (n == 0) return 0;
  Burst burst(rt, w);
  rte_mbuf* node[kMaxBurst];
  PacketBuf node_bufs[kMaxBurst];
  rte_mbuf* inet[kMaxBurst];
  PacketBuf inet_bufs[kMaxBurst];
  unsigned nn = 0, ni = 0;
  const TepContext& tep = rt.config.tep;
  for (unsigned i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    PacketBuf pkt = view_of(m);
    if (m->nb_segs != 1) {  // jumbo chains: not handled on the fast path yet
      burst.drop(m, Counter::kDropMalformedIpv6, m->pkt_len);
      continue;
    }
    const PacketBuf frame = pkt;  // the L2 header, for the rare local answers below
    switch (classify_and_strip(rt, port, pkt)) {
      case Ingress::kNodeSide:
        w.counters.add(Counter::kInIpv6, pkt.len);
        if (is_local_icmpv6(tep, pkt)) {  // ND and ping for the TEP itself, not for decap
          if (hear_gateway_nd(rt, burst, m, pkt)) break;
          if (is_packet_too_big(pkt)) {
            burst.packet_too_big(m, pkt);
            break;
          }
          Verdict v = answer_icmpv6(tep, rt.ipv6_side.port_mac, pkt);
          if (v.action == Action::kReplyLocal) {
            // classify_and_strip() found an Ethernet header, so the frame has one.
            const net::MacAddress sender = net::EthernetHeader::at(frame.bytes())->src();
            burst.send(m, pkt, rt.ipv6_side, net::kEtherTypeIpv6, v.counter, &sender);
          } else {
            burst.drop(m, v.counter, pkt.len);
          }
          break;
        }
        node[nn] = m;
        node_bufs[nn++] = pkt;
        break;
      case Ingress::kInternetArp: {
        if (hear_gateway_arp(rt, burst, m, pkt)) break;
        net::MacAddress reply_to;
        Verdict v = answer_arp(tep, rt.ipv4_side.port_mac, pkt, &reply_to);
        if (v.action == Action::kReplyLocal) {
          burst.send(m, pkt, rt.ipv4_side, net::kEtherTypeArp, v.counter, &reply_to);
        } else {
          burst.drop(m, v.counter, pkt.len);
        }
        break;
      }
      case Ingress::kInternetSide:
        w.counters.add(Counter::kInIpv4, pkt.len);
        inet[ni] = m;
        inet_bufs[ni++] = pkt;
        break;
      case Ingress::kMisplacedNodePort: burst.drop(m, Counter::kDropMisplacedNotIpv6, pkt.len); break;
      case Ingress::kMisplacedInternetPort: burst.drop(m, Counter::kDropMisplacedNotIpv4, pkt.len); break;
    }
  }
  if (nn > 0) burst.from_nodes(node, node_bufs, nn);
  if (ni > 0) burst.from_internet(inet, inet_bufs, ni, false);
  return n;
}

// Transmits the frames the main lcore queued for this worker (next_hop.h: ARP requests and
// neighbour solicitations); they are complete frames for m->port.
void send_control_frames(WorkerContext& w) {
  constexpr unsigned kMaxControl = 8;
  rte_mbuf* frames[kMaxControl];
  const unsigned n = rte_ring_sc_dequeue_burst(w.control, reinterpret_cast<void**>(frames), kMaxControl, nullptr);
  for (unsigned i = 0; i < n; ++i) {
    w.counters.add(Counter::kOutNextHopProbe, frames[i]->pkt_len - frames[i]->l2_len);
    rte_eth_tx_buffer(frames[i]->port, w.queue, w.tx[frames[i]->port], frames[i]);
  }
}

void flush(Runtime& rt, WorkerContext& w) {
  rte_eth_tx_buffer_flush(rt.ipv6_side.port, w.queue, w.tx[rt.ipv6_side.port]);
  if (!rt.one_port()) rte_eth_tx_buffer_flush(rt.ipv4_side.port, w.queue, w.tx[rt.ipv4_side.port]);
}

// The worker's own reassembly table, sized once here (packet/reassembly.h): a reassembled
// packet must fit the data room of one mbuf from the pool, and all the tables together hold at
// most a quarter of the pool, so that a fragment flood cannot starve RX of mbufs.
ReassemblyLimits reassembly_limits(const Runtime& rt) {
  ReassemblyLimits limits;
  limits.capacity = rt.config.reassembly.capacity;
  limits.max_fragments = static_cast<std::uint32_t>(rt.pool->size / (4 * rt.workers.size()));
  limits.timeout = rt.config.reassembly.timeout_ms * rte_get_tsc_hz() / 1000;
  limits.max_packet = rte_pktmbuf_data_room_size(rt.pool) - RTE_PKTMBUF_HEADROOM;
  limits.seed = rte_rand();
  return limits;
}

}  // namespace

void run_worker(Runtime& rt, WorkerContext& w) {
  Reassembler reassembly(rt.config.tep, reassembly_limits(rt));
  w.reassembly = &reassembly;
  rt.table->register_reader(w.index);
  rt.table->reader_online(w.index);
  w.icmp_tokens = rt.config.icmp_rate.burst;
  w.icmp_refill_tsc = rte_rdtsc();
  while (!rt.stop.load(std::memory_order_relaxed)) {
    if (w.control != nullptr) send_control_frames(w);
    unsigned received = poll_port(rt, w, rt.ipv6_side.port);
    if (!rt.one_port()) received += poll_port(rt, w, rt.ipv4_side.port);
    if (!reassembly.empty()) {
      Burst burst(rt, w);
      reassembly.reap(rte_rdtsc(), burst);  // RFC 8200 §4.5 timeout, ICMPv6 3/1
    }
    // Each burst is a quiescent point: no table record is held across it.
    rt.table->quiescent(w.index);
    if (received > 0) {
      w.counters.add_rx(received);
      rt.last_rx_tsc.store(rte_rdtsc(), std::memory_order_relaxed);
    } else {
      flush(rt, w);  // idle: push out what the buffers hold instead of waiting for them to fill
    }
  }
  {
    Burst burst(rt, w);
    reassembly.clear(burst);  // every mbuf back to the pool before the exit check
  }
  w.reassembly = nullptr;
  flush(rt, w);
  rt.table->reader_offline(w.index);
  rt.table->unregister_reader(w.index);
}

}  // namespace dstm::dp
