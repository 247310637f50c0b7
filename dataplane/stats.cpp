#include "stats.h"

#include <rte_telemetry.h>

#include <cstdio>

namespace dstm::dp {
namespace {

const Runtime* g_telemetry_runtime = nullptr;  // telemetry callbacks take no user pointer

int telemetry_counters(const char*, const char*, rte_tel_data* d) {
  rte_tel_data_start_dict(d);
  CounterTotals t = sum_counters(*g_telemetry_runtime);
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    // Only non-zero counters, as dstmctl shows them (STYLE.md §9).
    if (t.packets[i] == 0) continue;
    std::string name(kCounterInfo[i].name);
    rte_tel_data_add_dict_u64(d, (name + "-packets").c_str(), t.packets[i]);
    rte_tel_data_add_dict_u64(d, (name + "-bytes").c_str(), t.bytes[i]);
  }
  return 0;
}

int telemetry_status(const char*, const char*, rte_tel_data* d) {
  const Runtime& rt = *g_telemetry_runtime;
  rte_tel_data_start_dict(d);
  rte_tel_data_add_dict_u64(d, "workers", rt.workers.size());
  rte_tel_data_add_dict_u64(d, "mappings", rt.table->size());
  rte_tel_data_add_dict_u64(d, "ipv6_port", rt.ipv6_side.port);
  rte_tel_data_add_dict_u64(d, "ipv4_port", rt.ipv4_side.port);
  rte_tel_data_add_dict_u64(d, "mbufs_available", rte_mempool_avail_count(rt.pool));
  return 0;
}

}  // namespace

CounterTotals sum_counters(const Runtime& rt) {
  CounterTotals t;
  auto add = [&t](const CounterBlock& block) {
    for (std::size_t i = 0; i < kCounterCount; ++i) {
      t.packets[i] += block.packets(i);
      t.bytes[i] += block.bytes(i);
    }
  };
  for (const auto& w : rt.workers) add(w->counters);
  add(rt.housekeeping_counters);
  return t;
}

std::string counters_json(const CounterTotals& totals, const RunSummary& run) {
  std::string out = "{\n  \"counters\": {\n";
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    std::string name(kCounterInfo[i].name);
    out += "    \"" + name + "-packets\": " + std::to_string(totals.packets[i]) + ",\n";
    out += "    \"" + name + "-bytes\": " + std::to_string(totals.bytes[i]);
    out += i + 1 < kCounterCount ? ",\n" : "\n";
  }
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.6f", run.forwarding_seconds);
  out += "  },\n  \"mappings\": " + std::to_string(run.mappings) + ",\n";
  out += "  \"mbufs_in_use\": " + std::to_string(run.mbufs_in_use) + ",\n";
  out += "  \"forwarding_seconds\": " + std::string(seconds) + "\n}\n";
  return out;
}

void register_telemetry(const Runtime& rt) {
  g_telemetry_runtime = &rt;
  rte_telemetry_register_cmd("/dstm/counters", telemetry_counters,
                             "Non-zero dataplane counters, packets and bytes. No parameters");
  rte_telemetry_register_cmd("/dstm/status", telemetry_status,
                             "Workers, mappings, ports and free mbufs. No parameters");
}

}  // namespace dstm::dp
