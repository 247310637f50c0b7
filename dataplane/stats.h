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

// {"counters": {"in-ipv6-packets": N, "in-ipv6-bytes": N, ...}, "mappings": N,
//  "mbufs_in_use": N}: every counter, zeros included, in counters.def order.
std::string counters_json(const CounterTotals& totals, std::size_t mappings, std::int64_t mbufs_in_use);

// Registers /dstm/counters and /dstm/status with DPDK telemetry (dpdk-telemetry.py).
void register_telemetry(const Runtime& rt);

}  // namespace dstm::dp
