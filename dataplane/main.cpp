// dstm-dataplane: the DSTM tunnel end point on DPDK (README "dstm-dataplane").
//
// Order matters to operators: the configuration and the mappings are read and checked before
// rte_eal_init, so a bad file fails with file:line:key and never touches a port.
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pdump.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "args.h"
#include "config.h"
#include "mappings_file.h"
#include "ports.h"
#include "learning.h"
#include "resolver.h"
#include "runtime.h"
#include "shm_control.h"
#include "stats.h"

namespace {

using namespace dstm;
using namespace dstm::dp;

std::atomic<bool>* g_stop = nullptr;

void on_signal(int) {
  if (g_stop != nullptr) g_stop->store(true, std::memory_order_relaxed);
}

int fail(const std::string& message) {
  std::fprintf(stderr, "dstm-dataplane: %s\n", message.c_str());
  return 1;
}

dstm::Expected<void, std::string> build_table(Runtime& rt, const std::vector<StaticMapping>& preload) {
  mapping::Config mc;
  for (const auto& p : rt.config.tep.pools) mc.pools.push_back({p.network().to_host(), p.length()});
  mc.max_entries = rt.config.table.capacity;
  mc.fallback_capacity = rt.config.table.fallback;
  mc.max_readers = static_cast<unsigned>(rt.workers.size());
  auto table = mapping::MappingTable::create(mc);
  if (!table) return dstm::unexpected("mapping table: " + table.error());
  rt.table = std::move(table.value());
  for (const auto& m : preload) {
    auto r = rt.table->upsert(m.ipv4.to_host(), mapping::Ipv6Value{m.ipv6.bytes()});
    if (r == mapping::UpsertResult::full || r == mapping::UpsertResult::out_of_range) {
      return dstm::unexpected("mappings line " + std::to_string(m.line) + ": " + m.ipv4.to_string() +
                              ": " + std::string(mapping::to_string(r)));
    }
  }
  return {};
}

// Once a second: forget the per-node MTUs older than tep.path_mtu_expiry (packet/path_mtu.h).
void age_path_mtus(Runtime& rt, std::uint16_t& last_s) {
  const std::uint16_t now = seconds_now();
  if (now == last_s) return;
  last_s = now;
  rt.path_mtu->age(now, rt.config.tep.path_mtu_expiry_s);
}

// The main lcore's job while workers forward (it is the mapping table's one writer): apply the
// agent's updates (shm_control.h), reclaim table records, resolve the next hops, age the path
// MTUs, install learned mappings and watch for idleness. It sleeps only when no update waits.
void housekeeping(Runtime& rt, const Args& args, ShmControl& shm, NextHopResolvers& resolvers,
                  Learner& learner) {
  const std::uint64_t hz = rte_get_tsc_hz();
  const std::uint64_t start = rte_rdtsc();
  std::uint16_t path_mtu_aged_s = seconds_now();
  while (!rt.stop.load(std::memory_order_relaxed)) {
    if (!shm_control_round(rt, shm)) rte_delay_us_sleep(shm_idle_sleep_us(rt, shm));
    rt.table->reclaim();
    poll_next_hops(rt, resolvers);
    age_path_mtus(rt, path_mtu_aged_s);
    poll_learning(rt, learner);
    if (args.exit_when_idle_ms) {
      const std::uint64_t last = std::max(start, rt.last_rx_tsc.load(std::memory_order_relaxed));
      if ((rte_rdtsc() - last) * 1000 / hz >= *args.exit_when_idle_ms) rt.stop.store(true);
    }
  }
}

int worker_main(void* arg) {
  auto* pair = static_cast<std::pair<Runtime*, WorkerContext*>*>(arg);
  run_worker(*pair->first, *pair->second);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> eal_argv{argv[0]};
  std::vector<std::string> app_words;
  bool after = false;
  for (int i = 1; i < argc; ++i) {
    if (!after && std::string_view(argv[i]) == "--") {
      after = true;
    } else if (after) {
      app_words.emplace_back(argv[i]);
    } else {
      eal_argv.push_back(argv[i]);
    }
  }
  auto args = parse_args(app_words);
  if (!args) return fail(args.error() + "\n" + kUsage);
  if (args->help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  Runtime rt;
  auto config = load_config(args->config_path);
  if (!config) return fail(config.error());
  rt.config = std::move(config.value());
  std::vector<StaticMapping> preload;
  if (args->mappings_path) {
    auto m = load_mappings(*args->mappings_path);
    if (!m) return fail(m.error());
    preload = std::move(m.value());
  }

  int eal_rc = rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data());
  if (eal_rc < 0) return fail(std::string("EAL initialisation failed: ") + rte_strerror(rte_errno));

  std::vector<unsigned> worker_lcores;
  unsigned lcore;
  RTE_LCORE_FOREACH_WORKER(lcore) { worker_lcores.push_back(lcore); }
  const unsigned nworkers = worker_lcores.empty() ? 1 : static_cast<unsigned>(worker_lcores.size());
  for (unsigned i = 0; i < nworkers; ++i) {
    rt.workers.push_back(std::make_unique<WorkerContext>());
    rt.workers.back()->index = i;
    rt.workers.back()->queue = static_cast<std::uint16_t>(i);
  }
  rt.ipv6_side.port = rt.config.ipv6_side.port;
  rt.ipv6_side.vlan = rt.config.ipv6_side.vlan;
  rt.ipv4_side.port = rt.config.ipv4_side.port;
  rt.ipv4_side.vlan = rt.config.ipv4_side.vlan;

  const unsigned mbufs = 8191 + nworkers * 2048;
  rt.pool = rte_pktmbuf_pool_create("dstm_mbufs", mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                    static_cast<int>(rte_socket_id()));
  if (rt.pool == nullptr) return fail(std::string("mbuf pool: ") + rte_strerror(rte_errno));
  if (auto t = build_table(rt, preload); !t) return fail(t.error());
  // After the static preload, before any port forwards: what the agent queued is live at once.
  // Workers' counters go to the stats segment (worker i on worker_lcores[i], or the main lcore).
  auto shm = start_shm_control(rt, worker_lcores.empty() ? std::vector<unsigned>{rte_lcore_id()} : worker_lcores);
  if (!shm) return fail(shm.error());
  rt.path_mtu = std::make_unique<PathMtuCache>();
  if (auto p = start_ports(rt, static_cast<std::uint16_t>(nworkers)); !p) return fail(p.error());
  if (auto n = init_next_hops(rt); !n) return fail(n.error());
  if (auto l = init_learning(rt); !l) return fail(l.error());
  register_telemetry(rt);
  // dpdk-dumpcap / dpdk-pdump attach as secondary processes, which needs a shared runtime
  // (hugepages, no --no-shconf); without one there is nothing to attach to, so stay quiet.
  if (rte_pdump_init() != 0 && rte_eal_has_hugepages()) {
    std::fprintf(stderr, "dstm-dataplane: packet capture unavailable: %s\n", rte_strerror(rte_errno));
  }
  std::printf("dstm-dataplane: %u worker(s), %zu mapping(s), node side port %u (%s), internet side port %u (%s)\n",
              nworkers, rt.table->size(), rt.ipv6_side.port, rt.ipv6_side.port_mac.to_string().c_str(),
              rt.ipv4_side.port, rt.ipv4_side.port_mac.to_string().c_str());
  std::fflush(stdout);

  g_stop = &rt.stop;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::vector<std::pair<Runtime*, WorkerContext*>> launch;
  for (auto& w : rt.workers) launch.emplace_back(&rt, w.get());
  // The first ARP request / solicitation is queued before any worker runs, so it leaves first.
  NextHopResolvers resolvers;
  poll_next_hops(rt, resolvers);
  Learner learner(*rt.table, rt.config.learn_rate);
  const std::uint64_t launched_tsc = rte_rdtsc();
  if (worker_lcores.empty()) {
    // One lcore: it forwards, and a plain thread does the housekeeping (the table's writer).
    std::thread keeper([&] { housekeeping(rt, *args, *shm, resolvers, learner); });
    run_worker(rt, *rt.workers.front());
    keeper.join();
  } else {
    for (unsigned i = 0; i < worker_lcores.size(); ++i) {
      rte_eal_remote_launch(worker_main, &launch[i], worker_lcores[i]);
    }
    housekeeping(rt, *args, *shm, resolvers, learner);
    rte_eal_mp_wait_lcore();
  }
  drain_next_hops(rt);
  free_learning(rt);

  const double forwarding_seconds =
      static_cast<double>(rte_rdtsc() - launched_tsc) / static_cast<double>(rte_get_tsc_hz());
  stop_ports(rt);
  const auto in_use = static_cast<std::int64_t>(mbufs) - static_cast<std::int64_t>(rte_mempool_avail_count(rt.pool));
  const CounterTotals totals = sum_counters(rt);
  if (args->counters_json_path) {
    std::ofstream out(*args->counters_json_path);
    out << counters_json(totals, RunSummary{rt.table->size(), in_use, forwarding_seconds});
    if (!out) std::fprintf(stderr, "dstm-dataplane: cannot write %s\n", args->counters_json_path->c_str());
  }
  if (in_use != 0) std::fprintf(stderr, "dstm-dataplane: %lld mbuf(s) not returned to the pool\n", static_cast<long long>(in_use));
  rt.table.reset();
  rte_mempool_free(rt.pool);
  rte_eal_cleanup();
  return in_use == 0 ? 0 : 3;
}
