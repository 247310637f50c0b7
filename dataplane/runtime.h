// The running dataplane: what every worker lcore reads (never writes, except its own counters
// and TX buffers) and what the main lcore owns.
#pragma once

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "config.h"
#include "counters.h"
#include "mapping/mapping.h"
#include "net/net.h"
#include "packet/next_hop.h"
#include "packet/path_mtu.h"

namespace dstm::dp {

class Reassembler;  // packet/reassembly.h

inline constexpr unsigned kMaxBurst = 64;
inline constexpr std::uint16_t kTxBufferSize = 64;

// One side of the TEP (node side = IPv6, internet side = IPv4) as the workers see it.
struct Side {
  std::uint16_t port = 0;
  std::optional<std::uint16_t> vlan;
  net::MacAddress port_mac;
  // Where everything leaving this side goes: the gateway's MAC, static (config) or learned
  // from ARP / ND (packet/next_hop.h); workers load it once per burst.
  NextHopWord next_hop;
  bool resolve = false;  // no static MAC: the main lcore resolves it, workers learn it
};

// Per worker lcore: its queue, its counters, its TX buffers (STYLE.md §7).
struct alignas(64) WorkerContext {
  unsigned index = 0;        // also the table's reader id
  std::uint16_t queue = 0;   // RX/TX queue on every port
  CounterBlock counters;
  rte_eth_dev_tx_buffer* tx[RTE_MAX_ETHPORTS]{};
  std::uint64_t icmp_tokens = 0;     // token bucket for generated ICMP errors
  std::uint64_t icmp_refill_tsc = 0;
  // Frames the main lcore originates (ARP requests, neighbour solicitations), complete with
  // L2 and m->port set, for this worker to transmit on its own queue: the main lcore owns no
  // TX queue. Single producer (main), single consumer (this worker); only worker 0 has one.
  rte_ring* control = nullptr;
  // Learning mode (learn.h): this worker's requests to the main lcore, single producer (this
  // worker), single consumer (main); nullptr when learning is off.
  rte_ring* learn = nullptr;
  Reassembler* reassembly = nullptr;  // outer IPv6 fragments; run_worker() owns it
};

struct Runtime {
  DataplaneConfig config;
  Side ipv6_side;
  Side ipv4_side;
  rte_mempool* pool = nullptr;
  std::unique_ptr<mapping::MappingTable> table;
  std::unique_ptr<PathMtuCache> path_mtu;  // per-node MTUs from Packet Too Big (any worker writes)
  std::vector<std::unique_ptr<WorkerContext>> workers;
  CounterBlock housekeeping_counters;  // written only by the main lcore (housekeeping)
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> last_rx_tsc{0};  // any worker that received bumps it (relaxed)

  bool one_port() const { return ipv6_side.port == ipv4_side.port; }
};

// The clock of PathMtuCache: whole TSC seconds modulo 2^16, the same on every lcore.
inline std::uint16_t seconds_now() {
  return static_cast<std::uint16_t>(rte_get_tsc_cycles() / rte_get_tsc_hz());
}

// Worker main loop (worker.cpp); returns when rt.stop is set, TX flushed.
void run_worker(Runtime& rt, WorkerContext& w);

}  // namespace dstm::dp
