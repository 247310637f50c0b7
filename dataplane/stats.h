// Reading the counters: summed over every worker's block, for --counters-json and telemetry.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "runtime.h"

namespace dstm::dp {

struct CounterTotals {
  std::array<std::uint64_t, kCounterCount> packets{};
  std::array<std::uint64_t, kCounterCount> bytes{};
};
CounterTotals sum_counters(const Runtime& rt);

struct RunSummary {
  std::size_t mappings = 0;
  std::int64_t mbufs_in_use = 0;     // after the ports are closed: must be 0
  double forwarding_seconds = 0;     // from the workers' launch to their stop (benchmarks)
};

// {"counters": {"in-ipv6-packets": N, "in-ipv6-bytes": N, ...}, "mappings": N,
//  "mbufs_in_use": N, "forwarding_seconds": S}: every counter, zeros included, in
// counters.def order.
std::string counters_json(const CounterTotals& totals, const RunSummary& run);

// Registers /dstm/counters and /dstm/status with DPDK telemetry (dpdk-telemetry.py).
void register_telemetry(const Runtime& rt);

}  // namespace dstm::dp
