#include "shm_control.h"

#include <sys/prctl.h>

#include <cstdio>

#include <rte_lcore.h>

#include "counters.h"

namespace dstm::dp {
namespace {

void log_line(std::string_view text) {
  std::fprintf(stderr, "dstm-dataplane: %.*s\n", static_cast<int>(text.size()), text.data());
}

// counters.def is the one source of truth; the segment carries a copy for readers.
shmring::StatsLayout stats_layout(const Runtime& rt, const std::vector<unsigned>& worker_lcores) {
  shmring::StatsLayout layout;
  for (const CounterInfo& c : kCounterInfo) layout.counters.push_back({std::string(c.name), std::string(c.description)});
  for (unsigned id : worker_lcores) layout.lcores.push_back(id);
  // The last block is the main lcore's housekeeping (learning counters; no rx/tx of its own).
  layout.lcores.push_back(rte_get_main_lcore());
  for (const auto& p : rt.config.tep.pools) {
    layout.pools.push_back({p.network().to_host(), static_cast<std::uint8_t>(p.length())});
  }
  layout.mapping_capacity = rt.config.table.capacity;
  return layout;
}

void publish_status(const Runtime& rt, ShmControl& shm) {
  shmring::StatsHeader& h = shm.stats->header();
  const std::uint64_t now = shmring::monotonic_ms();
  h.mappings.store(rt.table->size(), std::memory_order_relaxed);
  if (shm.channel) {
    h.dataplane_generation.store(shm.channel->generation(), std::memory_order_relaxed);
    h.last_applied_sequence.store(shm.channel->last_applied(), std::memory_order_relaxed);
  }
  h.heartbeat_ms.store(now, std::memory_order_relaxed);
}

}  // namespace

Expected<ShmControl, std::string> start_shm_control(Runtime& rt, const std::vector<unsigned>& worker_lcores) {
  ShmControl shm;
  const ControlConfig& cc = rt.config.control;
  const shmring::StatsLayout layout = stats_layout(rt, worker_lcores);
  auto stats = cc.enabled() ? shmring::StatsWriter::create(cc.stats_shm(), layout)
                            : shmring::StatsWriter::create_private(layout);
  if (!stats) return unexpected(stats.error());
  shm.stats = std::make_unique<shmring::StatsWriter>(std::move(stats.value()));
  if (rt.workers.size() + 1 != shm.stats->lcore_count()) {
    return unexpected(std::string("stats: one block per worker and one for housekeeping expected"));
  }
  for (std::uint32_t i = 0; i < rt.workers.size(); ++i) {
    const shmring::LcoreWords words = shm.stats->lcore(i);
    rt.workers[i]->counters.bind(words.packets, words.bytes, words.rx_packets, words.tx_packets);
  }
  const shmring::LcoreWords hk = shm.stats->lcore(static_cast<std::uint32_t>(rt.workers.size()));
  rt.housekeeping_counters.bind(hk.packets, hk.bytes, hk.rx_packets, hk.tx_packets);
  if (cc.enabled()) {
    // A sleep of poll_us would otherwise end up to 50 us late (the default timer slack). The
    // housekeeping thread inherits this value in the one-lcore layout.
    ::prctl(PR_SET_TIMERSLACK, 1000UL);
    shm.channel = std::make_unique<ControlChannel>(cc.shm, cc.batch, *rt.table, log_line);
    const std::uint64_t taken = shm.channel->start();
    if (shm.channel->attached()) {
      log_line("applied " + std::to_string(taken) + " queued record(s) before forwarding; " +
               std::to_string(rt.table->size()) + " mapping(s)");
    }
  }
  publish_status(rt, shm);
  return shm;
}

bool shm_control_round(Runtime& rt, ShmControl& shm) {
  const bool more = shm.channel && shm.channel->poll() >= shm.channel->batch();
  publish_status(rt, shm);
  return more;
}

unsigned shm_idle_sleep_us(const Runtime& rt, const ShmControl& shm) {
  return shm.channel ? rt.config.control.poll_us : 1000;
}

}  // namespace dstm::dp
