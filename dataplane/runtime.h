// The running dataplane: what every worker lcore reads (never writes, except its own counters
// and TX buffers) and what the main lcore owns.
#pragma once

#include <rte_ethdev.h>
#include <rte_mempool.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "config.h"
#include "counters.h"
#include "mapping/mapping.h"
#include "net/net.h"

namespace dstm::dp {

class Reassembler;  // packet/reassembly.h

inline constexpr unsigned kMaxBurst = 64;
inline constexpr std::uint16_t kTxBufferSize = 64;

// One side of the TEP (node side = IPv6, internet side = IPv4) as the workers see it.
struct Side {
  std::uint16_t port = 0;
  std::optional<std::uint16_t> vlan;
  net::MacAddress port_mac;
  net::MacAddress next_hop_mac;  // where everything leaving this side goes
};

// Per worker lcore: its queue, its counters, its TX buffers (STYLE.md §7).
struct alignas(64) WorkerContext {
  unsigned index = 0;        // also the table's reader id
  std::uint16_t queue = 0;   // RX/TX queue on every port
  CounterBlock counters;
  rte_eth_dev_tx_buffer* tx[RTE_MAX_ETHPORTS]{};
  std::uint64_t icmp_tokens = 0;     // token bucket for generated ICMP errors
  std::uint64_t icmp_refill_tsc = 0;
  Reassembler* reassembly = nullptr;  // outer IPv6 fragments; run_worker() owns it
};

struct Runtime {
  DataplaneConfig config;
  Side ipv6_side;
  Side ipv4_side;
  rte_mempool* pool = nullptr;
  std::unique_ptr<mapping::MappingTable> table;
  std::vector<std::unique_ptr<WorkerContext>> workers;
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> last_rx_tsc{0};  // any worker that received bumps it (relaxed)

  bool one_port() const { return ipv6_side.port == ipv4_side.port; }
};

// Worker main loop (worker.cpp); returns when rt.stop is set, TX flushed.
void run_worker(Runtime& rt, WorkerContext& w);

}  // namespace dstm::dp
