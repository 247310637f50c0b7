// mapping_bench: the mapping table's lookup_bulk against DPDK's rte_hash in lock-free
// read/write-concurrency mode (RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF, rte_hash_lookup_bulk_data),
// on the same keys, in the same run (DESIGN.md, "Performance is designed in"). The table ends
// with the ratio ours / rte_hash per case.
//
// Cases: 32-key bursts; tables of 1K, 64K, 1M and 16M mappings; 100 %, 50 % and 0 % hits. A table of
// N mappings has a pool of 2N addresses, half of them mapped at random: a miss is a pool address
// with no lease, the DSTM case. Both sides copy the 16-byte value out (rte_hash stores a pointer
// to it), and our readers report quiescence once per burst, as the dataplane does.
//
// The .../writer cases repeat hit100 with a second thread, the table's only writer, which in
// alternate 10 ms phases replaces the values of random mapped keys at kWriterTarget updates/s
// (counter writer_updates_per_s: the rate it achieved) or only polls; counters
// writing_items_per_s, idle_items_per_s and kept (their ratio) say what the writes cost the
// readers. Ours: upsert with a new value, reclaim() every kReclaimEvery updates and whenever
// upsert says busy. rte_hash: the new value goes to a free record, rte_hash_add_key_data swaps
// the data pointer, and the old record goes through an rte_rcu_qsbr defer queue back to the free
// records (at most kHashSpares in flight); its reader reports quiescence per burst
// (rte_rcu_qsbr_quiescent) like ours.
//
// Both sides get transparent huge pages: the table asks for them itself, and EAL's memory (it
// runs --no-huge here) is advised before rte_hash allocates from it.
// The rte_rcu_qsbr defer queue (writer cases) is still experimental in DPDK 22.11.
#define ALLOW_EXPERIMENTAL_API 1
#include <benchmark/benchmark.h>
#include <rte_eal.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_memory.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>
#include <rte_lcore.h>
#include <sched.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "mapping/mapping.h"

namespace {

using dstm::mapping::Config;
using dstm::mapping::Ipv6Value;
using dstm::mapping::MappingTable;
using dstm::mapping::Pool;
using dstm::mapping::UpsertResult;

constexpr unsigned kBurst = 32;
constexpr std::size_t kStreamKeys = 1u << 20;    // keys a benchmark cycles through
constexpr std::uint32_t kPoolBase = 0x0A000000;  // 10.0.0.0
constexpr unsigned kReader = 0;

struct Size {
  const char* name;
  unsigned log2_entries;
};
constexpr Size kSizes[] = {{"1K", 10}, {"64K", 16}, {"1M", 20}, {"16M", 24}};
constexpr int kHitPercents[] = {100, 50, 0};
constexpr double kWriterTarget = 1.2e6;        // updates/s the writer paces itself to
constexpr unsigned kReclaimEvery = 64;         // our writer: reclaim() after this many upserts
constexpr std::uint32_t kHashSpares = 1u << 16;  // rte_hash: records for replaced values

// Everything for one table size. Only one exists at a time, to bound memory (~2.5 GB at 16M).
struct Fixture {
  unsigned log2_entries = 0;
  std::unique_ptr<MappingTable> table;
  rte_hash* hash = nullptr;
  std::vector<Ipv6Value> hash_values;  // rte_hash's data pointers point here
  std::vector<std::uint32_t> mapped, unmapped;
  std::map<int, std::vector<std::uint32_t>> streams;  // by hit percentage
  // rte_hash writer: a new value goes to a free record (hash_values or hash_spares); the record
  // it replaces goes through the defer queue and back to hash_free_records once its grace period
  // has passed. hash_pending: records in the defer queue. Writer thread only.
  std::vector<Ipv6Value> hash_spares;
  std::vector<Ipv6Value*> hash_free_records;
  std::uint32_t hash_pending = 0;

  ~Fixture() {
    if (hash != nullptr) rte_hash_free(hash);
  }
};

Ipv6Value value_for(std::uint32_t key) {
  Ipv6Value v;
  v.bytes[0] = 0x20;
  v.bytes[1] = 0x01;
  std::memcpy(&v.bytes[12], &key, sizeof key);
  return v;
}

std::unique_ptr<MappingTable> build_table(const Fixture& f) {
  Config c;
  c.pools = {Pool{kPoolBase, static_cast<std::uint8_t>(31 - f.log2_entries)}};
  c.max_entries = 2u << f.log2_entries;
  c.max_readers = 1;
  auto t = MappingTable::create(c);
  if (!t) {
    std::fprintf(stderr, "mapping table: %s\n", t.error().c_str());
    std::exit(1);
  }
  for (std::uint32_t k : f.mapped) {
    const UpsertResult r = (*t)->upsert(k, value_for(k));
    if (r != UpsertResult::inserted) {
      std::fprintf(stderr, "mapping upsert %08x: %s\n", k, std::string(to_string(r)).c_str());
      std::exit(1);
    }
  }
  (*t)->register_reader(kReader);
  (*t)->reader_online(kReader);
  return std::move(*t);
}

rte_hash* build_hash(Fixture& f) {
  const std::string name = "bench" + std::to_string(f.log2_entries);
  rte_hash_parameters p{};
  p.name = name.c_str();
  p.entries = 1u << f.log2_entries;
  p.key_len = sizeof(std::uint32_t);
  p.hash_func = rte_hash_crc;
  p.socket_id = SOCKET_ID_ANY;
  // EXT_TABLE: without it the cuckoo table may refuse keys before `entries` are in.
  p.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
  rte_hash* h = rte_hash_create(&p);
  if (h == nullptr) {
    std::fprintf(stderr, "rte_hash_create failed (EAL memory?)\n");
    std::exit(1);
  }
  f.hash_values.resize(f.mapped.size());
  for (std::size_t i = 0; i < f.mapped.size(); ++i) {
    f.hash_values[i] = value_for(f.mapped[i]);
    if (const int rc = rte_hash_add_key_data(h, &f.mapped[i], &f.hash_values[i]); rc != 0) {
      std::fprintf(stderr, "rte_hash_add_key_data: %s\n", std::strerror(-rc));
      std::exit(1);
    }
  }
  return h;
}

// The one live fixture; main() drops it before EAL goes away (rte_hash_free needs EAL).
std::unique_ptr<Fixture>& current_fixture() {
  static std::unique_ptr<Fixture> current;
  return current;
}

Fixture& fixture(unsigned log2_entries) {
  std::unique_ptr<Fixture>& current = current_fixture();
  if (current && current->log2_entries == log2_entries) return *current;
  current.reset();  // free the previous size first
  const auto t0 = std::chrono::steady_clock::now();
  auto f = std::make_unique<Fixture>();
  f->log2_entries = log2_entries;
  std::vector<std::uint32_t> pool(2u << log2_entries);
  std::iota(pool.begin(), pool.end(), kPoolBase);
  std::shuffle(pool.begin(), pool.end(), std::mt19937(42));
  f->mapped.assign(pool.begin(), pool.begin() + (1u << log2_entries));
  f->unmapped.assign(pool.begin() + (1u << log2_entries), pool.end());
  f->table = build_table(*f);
  f->hash = build_hash(*f);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "[built 2^%u mappings in both tables in %.1f s]\n", log2_entries, s);
  current = std::move(f);
  return *current;
}

const std::vector<std::uint32_t>& stream(Fixture& f, int hit_percent) {
  auto& keys = f.streams[hit_percent];
  if (!keys.empty()) return keys;
  std::mt19937 rng(static_cast<unsigned>(hit_percent) + 7);
  keys.resize(kStreamKeys);
  for (auto& k : keys) {
    const bool hit = static_cast<int>(rng() % 100) < hit_percent;
    const auto& from = hit ? f.mapped : f.unmapped;
    k = from[rng() % from.size()];
  }
  return keys;
}

// The reader side every benchmark shares: bursts of kBurst keys from the stream, `burst` doing
// one lookup of them (and the reader's quiescence report) and returning the hit mask. Reports
// items/s and the hit rate.
template <class Burst>
void read_bursts(benchmark::State& state, const std::vector<std::uint32_t>& keys, Burst&& burst) {
  std::size_t pos = 0;
  Ipv6Value out[kBurst];
  std::uint64_t total_hits = 0;
  for (auto _ : state) {
    const std::uint64_t hits = burst(&keys[pos], out);
    benchmark::DoNotOptimize(out);
    total_hits += static_cast<std::uint64_t>(__builtin_popcountll(hits));
    pos = (pos + kBurst) & (kStreamKeys - 1);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBurst));
  state.counters["hit%"] =
      100.0 * static_cast<double>(total_hits) /
      static_cast<double>(std::max<std::int64_t>(1, state.iterations() * kBurst));
}

// One rte_hash burst as a dataplane would do it: bulk lookup, then copy each hit's value.
std::uint64_t rte_hash_burst(const rte_hash* hash, const std::uint32_t* keys, Ipv6Value* out) {
  const void* key_ptrs[kBurst];
  void* data[kBurst];
  std::uint64_t hits = 0;
  for (unsigned i = 0; i < kBurst; ++i) key_ptrs[i] = &keys[i];
  rte_hash_lookup_bulk_data(hash, key_ptrs, kBurst, &hits, data);
  for (unsigned i = 0; i < kBurst; ++i) {
    if ((hits >> i) & 1u) out[i] = *static_cast<const Ipv6Value*>(data[i]);
  }
  return hits;
}

void bm_mapping(benchmark::State& state, unsigned log2_entries, int hit_percent) {
  Fixture& f = fixture(log2_entries);
  const MappingTable& table = *f.table;
  read_bursts(state, stream(f, hit_percent), [&table](const std::uint32_t* keys, Ipv6Value* out) {
    std::uint64_t hits = 0;
    table.lookup_bulk(keys, kBurst, out, &hits);
    table.quiescent(kReader);
    return hits;
  });
}

void bm_rte_hash(benchmark::State& state, unsigned log2_entries, int hit_percent) {
  Fixture& f = fixture(log2_entries);
  read_bursts(state, stream(f, hit_percent), [&f](const std::uint32_t* keys, Ipv6Value* out) {
    return rte_hash_burst(f.hash, keys, out);
  });
}

// ---- With a writer ------------------------------------------------------------------------
// The writer thread is there for the whole benchmark, as a dataplane's writer lcore is, and
// alternates with the reader's clock between two phases of kPhase each: writing, calling
// update() at kWriterTarget calls/s (a schedule restarted each phase), and idle, polling
// without writing, as the lcore polls an empty ring. The reader's rate in the writing phases
// over its rate in the idle ones is `kept`: what the writes cost the readers, measured in the
// same run on the same warm table (a separate run without the writer thread drifted by as
// much as the effect on the 2-vCPU VM these figures come from: lib/mapping/README.md, "Reader
// cost of a writer"). update() returns false when it could not update now (no free record);
// the writer then polls for 50 us before trying again.
constexpr auto kPhase = std::chrono::milliseconds(10);

struct WriterRun {
  std::atomic<bool> stop{false};
  std::atomic<bool> writing{false};
  std::uint64_t updates = 0;  // written by the writer thread, read after join()
  double writing_seconds = 0;
};

template <class Update>
void paced_writer(WriterRun& run, Update update) {
  using Clock = std::chrono::steady_clock;
  auto t0 = Clock::now();
  std::uint64_t done = 0;  // this phase
  bool was_writing = false;
  while (!run.stop.load(std::memory_order_acquire)) {
    const bool writing = run.writing.load(std::memory_order_acquire);
    if (writing != was_writing) {
      const auto now = Clock::now();
      if (was_writing) run.writing_seconds += std::chrono::duration<double>(now - t0).count();
      t0 = now;
      done = 0;
      was_writing = writing;
    }
    if (!writing) {
      rte_pause();
      continue;
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    const auto due = static_cast<std::uint64_t>(elapsed * kWriterTarget);
    bool stalled = done >= due;
    for (std::uint64_t i = 0, n = std::min<std::uint64_t>(due - std::min(due, done), 256);
         i < n && !stalled; ++i) {
      if (update()) {
        ++done;
        ++run.updates;
      } else {
        stalled = true;
      }
    }
    if (stalled) {
      const auto until = Clock::now() + std::chrono::microseconds(50);
      while (Clock::now() < until) rte_pause();
    }
  }
  if (was_writing) {
    run.writing_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
  }
}

// The writer's thread runs on the CPUs the reader's lcore does not: EAL pins the main thread
// (the reader) to its lcore's CPU and a std::thread inherits that, so without this the writer
// would share the reader's core and its time slices would be charged to the table.
void move_writer_off_reader_cpu() {
  const rte_cpuset_t reader = rte_lcore_cpuset(rte_get_main_lcore());
  cpu_set_t others;
  CPU_ZERO(&others);
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  for (long cpu = 0; cpu < cpus && cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &reader)) CPU_SET(cpu, &others);
  }
  if (CPU_COUNT(&others) == 0 || sched_setaffinity(0, sizeof others, &others) != 0) {
    std::fprintf(stderr, "mapping_bench: the writer shares the reader's CPU (one CPU only?)\n");
  }
}

// read_bursts() with the phases: counts the reader's bursts and time per phase and switches the
// writer every kPhase. Reports items/s over both phases (Google Benchmark's own), and the
// counters writing_items_per_s, idle_items_per_s and kept. Its own loop on purpose: folded into
// read_bursts() its counters lived in memory (DoNotOptimize) and kept at 64K read 1.13.
template <class Burst>
void read_bursts_phased(benchmark::State& state, const std::vector<std::uint32_t>& keys,
                        WriterRun& run, Burst&& burst) {
  using Clock = std::chrono::steady_clock;
  std::size_t pos = 0;
  Ipv6Value out[kBurst];
  double seconds[2] = {0, 0};   // [idle, writing]
  std::uint64_t bursts[2] = {0, 0};
  std::uint64_t total_hits = 0;
  bool writing = false;
  unsigned since_check = 0;
  auto phase_start = Clock::now();
  for (auto _ : state) {
    const std::uint64_t hits = burst(&keys[pos], out);
    benchmark::DoNotOptimize(out);
    total_hits += static_cast<std::uint64_t>(__builtin_popcountll(hits));
    pos = (pos + kBurst) & (kStreamKeys - 1);
    ++bursts[writing];
    if (++since_check < 256) continue;
    since_check = 0;
    const auto now = Clock::now();
    if (now - phase_start < kPhase) continue;
    seconds[writing] += std::chrono::duration<double>(now - phase_start).count();
    writing = !writing;
    run.writing.store(writing, std::memory_order_release);
    phase_start = Clock::now();
  }
  seconds[writing] += std::chrono::duration<double>(Clock::now() - phase_start).count();
  run.writing.store(false, std::memory_order_release);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBurst));
  state.counters["hit%"] =
      100.0 * static_cast<double>(total_hits) /
      static_cast<double>(std::max<std::int64_t>(1, state.iterations() * kBurst));
  const double idle_rate = seconds[0] > 0 ? static_cast<double>(bursts[0] * kBurst) / seconds[0] : 0;
  const double writing_rate =
      seconds[1] > 0 ? static_cast<double>(bursts[1] * kBurst) / seconds[1] : 0;
  state.counters["idle_items_per_s"] = idle_rate;
  state.counters["writing_items_per_s"] = writing_rate;
  state.counters["kept"] = idle_rate > 0 ? writing_rate / idle_rate : 0;
}

void report_writer(benchmark::State& state, const WriterRun& run) {
  state.counters["writer_updates_per_s"] =
      run.writing_seconds > 0 ? static_cast<double>(run.updates) / run.writing_seconds : 0.0;
}

// A new value for key: its usual value with an update number in bytes 2..5.
Ipv6Value updated_value(std::uint32_t key, std::uint32_t seq) {
  Ipv6Value v = value_for(key);
  std::memcpy(&v.bytes[2], &seq, sizeof seq);
  return v;
}

void bm_mapping_writer(benchmark::State& state, unsigned log2_entries) {
  Fixture& f = fixture(log2_entries);
  const auto& keys = stream(f, 100);
  MappingTable& table = *f.table;
  WriterRun run;
  std::thread writer([&run, &table, &mapped = f.mapped] {
    move_writer_off_reader_cpu();
    std::mt19937 rng(12345);
    std::uint32_t seq = 0;
    paced_writer(run, [&] {
      const std::uint32_t key = mapped[rng() % mapped.size()];
      const Ipv6Value v = updated_value(key, ++seq);
      UpsertResult r = table.upsert(key, v);
      if (r == UpsertResult::busy) {
        table.reclaim();
        r = table.upsert(key, v);
      }
      if (seq % kReclaimEvery == 0) table.reclaim();
      if (r == UpsertResult::busy) return false;
      if (r != UpsertResult::replaced && r != UpsertResult::unchanged) {
        std::fprintf(stderr, "mapping upsert %08x: %s\n", key, std::string(to_string(r)).c_str());
        std::abort();
      }
      return true;
    });
  });
  read_bursts_phased(state, keys, run, [&table](const std::uint32_t* burst_keys, Ipv6Value* out) {
    std::uint64_t hits = 0;
    table.lookup_bulk(burst_keys, kBurst, out, &hits);
    table.quiescent(kReader);
    return hits;
  });
  run.stop.store(true, std::memory_order_release);
  writer.join();
  report_writer(state, run);
}

// Defer-queue callback: a record whose grace period has passed is free again (writer thread,
// or the benchmark thread after the writer has been joined).
void return_records(void* p, void* e, unsigned n) {
  auto& f = *static_cast<Fixture*>(p);
  for (unsigned i = 0; i < n; ++i) {
    Ipv6Value* rec = nullptr;
    std::memcpy(&rec, static_cast<char*>(e) + i * sizeof rec, sizeof rec);
    f.hash_free_records.push_back(rec);
    --f.hash_pending;
  }
}

void bm_rte_hash_writer(benchmark::State& state, unsigned log2_entries) {
  Fixture& f = fixture(log2_entries);
  const auto& keys = stream(f, 100);
  if (f.hash_spares.empty()) {
    f.hash_spares.resize(kHashSpares);
    f.hash_free_records.reserve(f.hash_values.size() + kHashSpares);  // push never allocates
    for (Ipv6Value& rec : f.hash_spares) f.hash_free_records.push_back(&rec);
  }
  // One reader (this thread), reporting quiescence per burst.
  const std::size_t qsbr_size = rte_rcu_qsbr_get_memsize(1);
  auto* v = static_cast<rte_rcu_qsbr*>(rte_zmalloc("mbench_qsbr", qsbr_size, RTE_CACHE_LINE_SIZE));
  if (v == nullptr || rte_rcu_qsbr_init(v, 1) != 0 || rte_rcu_qsbr_thread_register(v, kReader) != 0) {
    state.SkipWithError("rte_rcu_qsbr setup failed");
    return;
  }
  rte_rcu_qsbr_thread_online(v, kReader);
  rte_rcu_qsbr_dq_parameters dqp{};
  dqp.name = "mbench";
  dqp.flags = RTE_RCU_QSBR_DQ_MT_UNSAFE;  // only the writer enqueues and reclaims
  dqp.size = kHashSpares;
  dqp.esize = sizeof(Ipv6Value*);
  dqp.trigger_reclaim_limit = 64;
  dqp.max_reclaim_size = 256;
  dqp.free_fn = return_records;
  dqp.p = &f;
  dqp.v = v;
  rte_rcu_qsbr_dq* dq = rte_rcu_qsbr_dq_create(&dqp);
  if (dq == nullptr) {
    state.SkipWithError("rte_rcu_qsbr_dq_create failed");
    rte_free(v);
    return;
  }
  WriterRun run;
  std::thread writer([&run, &f, dq] {
    move_writer_off_reader_cpu();
    std::mt19937 rng(12345);
    std::uint32_t seq = 0;
    paced_writer(run, [&] {
      // At most kHashSpares - 1 records in flight: the defer queue never fills.
      if (f.hash_free_records.empty() || f.hash_pending >= kHashSpares - 1) {
        rte_rcu_qsbr_dq_reclaim(dq, kHashSpares, nullptr, nullptr, nullptr);
        if (f.hash_free_records.empty() || f.hash_pending >= kHashSpares - 1) return false;
      }
      const std::uint32_t key = f.mapped[rng() % f.mapped.size()];
      Ipv6Value* rec = f.hash_free_records.back();
      f.hash_free_records.pop_back();
      *rec = updated_value(key, ++seq);
      void* old = nullptr;
      if (rte_hash_lookup_data(f.hash, &key, &old) < 0 ||
          rte_hash_add_key_data(f.hash, &key, rec) != 0) {
        std::fprintf(stderr, "rte_hash update of %08x failed\n", key);
        std::abort();
      }
      ++f.hash_pending;
      if (rte_rcu_qsbr_dq_enqueue(dq, &old) != 0) {
        std::fprintf(stderr, "rte_rcu_qsbr_dq_enqueue failed\n");
        std::abort();
      }
      return true;
    });
  });
  read_bursts_phased(state, keys, run, [&f, v](const std::uint32_t* burst_keys, Ipv6Value* out) {
    const std::uint64_t hits = rte_hash_burst(f.hash, burst_keys, out);
    rte_rcu_qsbr_quiescent(v, kReader);
    return hits;
  });
  run.stop.store(true, std::memory_order_release);
  writer.join();
  // With the reader offline every grace period has passed: all records go back.
  rte_rcu_qsbr_thread_offline(v, kReader);
  if (rte_rcu_qsbr_dq_delete(dq) != 0 || f.hash_pending != 0) {
    std::fprintf(stderr, "rte_rcu_qsbr_dq_delete: records still pending\n");
    std::abort();
  }
  rte_rcu_qsbr_thread_unregister(v, kReader);
  rte_free(v);
  report_writer(state, run);
}

// Console output as usual, then ours / rte_hash for every case of the run (for the /writer
// cases: the readers' rate while the writer writes), and the readers' kept share.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.run_type != Run::RT_Iteration || r.error_occurred) continue;
      auto it = r.counters.find("writing_items_per_s");
      if (it == r.counters.end()) it = r.counters.find("items_per_second");
      if (it == r.counters.end()) continue;
      Sums& sums = sums_[r.benchmark_name()];
      sums.rate += it->second.value;
      if (const auto kept = r.counters.find("kept"); kept != r.counters.end()) {
        sums.kept += kept->second.value;
      }
      ++sums.runs;
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\n%-22s %14s %14s %8s\n", "case", "mapping/s", "rte_hash/s", "ratio");
    for (const auto& [name, sums] : sums_) {
      if (name.rfind("MappingTable/", 0) != 0) continue;
      const std::string rest = name.substr(name.find('/'));
      const auto peer = sums_.find("RteHash" + rest);
      if (peer == sums_.end()) continue;
      const double ours = sums.rate / sums.runs;
      const double theirs = peer->second.rate / peer->second.runs;
      std::printf("%-22s %13.1fM %13.1fM %7.2fx\n", rest.c_str() + 1, ours / 1e6, theirs / 1e6,
                  ours / theirs);
    }
    // Readers' rate while the writer writes, as a share of their rate while it only polls.
    std::printf("\n%-22s %14s %14s\n", "readers kept", "mapping", "rte_hash");
    for (const auto& [name, sums] : sums_) {
      if (name.rfind("MappingTable/", 0) != 0 || sums.kept == 0) continue;
      const std::string rest = name.substr(name.find('/'));
      const auto peer = sums_.find("RteHash" + rest);
      std::printf("%-22s %13.1f%% %13.1f%%\n", rest.c_str() + 1, 100.0 * sums.kept / sums.runs,
                  peer == sums_.end() ? 0.0 : 100.0 * peer->second.kept / peer->second.runs);
    }
  }

 private:
  struct Sums {
    double rate = 0;
    double kept = 0;
    int runs = 0;
  };
  std::map<std::string, Sums> sums_;
};

bool init_eal(const char* argv0) {
  // No hugepages on the build machines; 2 GB covers rte_hash at 16M entries.
  const char* args[] = {
      argv0,           "--no-huge", "-m", "2048", "--no-shconf", "--no-pci", "--log-level=error",
      "--no-telemetry"};
  if (rte_eal_init(static_cast<int>(std::size(args)), const_cast<char**>(args)) < 0) return false;
  rte_memseg_list_walk(
      [](const rte_memseg_list* msl, void*) {
        madvise(msl->base_va, msl->len, MADV_HUGEPAGE);
        return 0;
      },
      nullptr);
  return true;
}

void register_all() {
  for (const Size& size : kSizes) {
    for (int hit : kHitPercents) {
      const std::string tail = std::string(size.name) + "/hit" + std::to_string(hit);
      benchmark::RegisterBenchmark(("MappingTable/" + tail).c_str(), bm_mapping, size.log2_entries,
                                   hit);
      benchmark::RegisterBenchmark(("RteHash/" + tail).c_str(), bm_rte_hash, size.log2_entries,
                                   hit);
    }
    // The same sizes with a writer: the suffix after the first '/' pairs the two sides.
    const std::string tail = std::string(size.name) + "/hit100/writer";
    benchmark::RegisterBenchmark(("MappingTable/" + tail).c_str(), bm_mapping_writer,
                                 size.log2_entries);
    benchmark::RegisterBenchmark(("RteHash/" + tail).c_str(), bm_rte_hash_writer,
                                 size.log2_entries);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (!init_eal(argv[0])) {
    std::fprintf(stderr, "rte_eal_init failed: no peer to compare with\n");
    return 1;
  }
  benchmark::Initialize(&argc, argv);
  register_all();
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  current_fixture().reset();
  rte_eal_cleanup();
  return 0;
}
