// mapping_bench: the mapping table's lookup_bulk against DPDK's rte_hash in lock-free
// read/write-concurrency mode (RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF, rte_hash_lookup_bulk_data),
// on the same keys, in the same run (DESIGN.md, "Performance is designed in"). The table ends
// with the ratio ours / rte_hash per case.
//
// Cases: 32-key bursts; tables of 64K, 1M and 16M mappings; 100 %, 50 % and 0 % hits. A table of
// N mappings has a pool of 2N addresses, half of them mapped at random: a miss is a pool address
// with no lease, the DSTM case. Both sides copy the 16-byte value out (rte_hash stores a pointer
// to it), and our readers report quiescence once per burst, as the dataplane does.
//
// Both sides get transparent huge pages: the table asks for them itself, and EAL's memory (it
// runs --no-huge here) is advised before rte_hash allocates from it.
#include <benchmark/benchmark.h>
#include <rte_eal.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_memory.h>
#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <string>
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
constexpr Size kSizes[] = {{"64K", 16}, {"1M", 20}, {"16M", 24}};
constexpr int kHitPercents[] = {100, 50, 0};

// Everything for one table size. Only one exists at a time, to bound memory (~2.5 GB at 16M).
struct Fixture {
  unsigned log2_entries = 0;
  std::unique_ptr<MappingTable> table;
  rte_hash* hash = nullptr;
  std::vector<Ipv6Value> hash_values;  // rte_hash's data pointers point here
  std::vector<std::uint32_t> mapped, unmapped;
  std::map<int, std::vector<std::uint32_t>> streams;  // by hit percentage

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

void bm_mapping(benchmark::State& state, unsigned log2_entries, int hit_percent) {
  Fixture& f = fixture(log2_entries);
  const auto& keys = stream(f, hit_percent);
  const MappingTable& table = *f.table;
  std::size_t pos = 0;
  Ipv6Value out[kBurst];
  std::uint64_t hits = 0, total_hits = 0;
  for (auto _ : state) {
    table.lookup_bulk(&keys[pos], kBurst, out, &hits);
    table.quiescent(kReader);
    benchmark::DoNotOptimize(out);
    total_hits += static_cast<std::uint64_t>(__builtin_popcountll(hits));
    pos = (pos + kBurst) & (kStreamKeys - 1);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBurst));
  state.counters["hit%"] =
      100.0 * static_cast<double>(total_hits) /
      static_cast<double>(std::max<std::int64_t>(1, state.iterations() * kBurst));
}

void bm_rte_hash(benchmark::State& state, unsigned log2_entries, int hit_percent) {
  Fixture& f = fixture(log2_entries);
  const auto& keys = stream(f, hit_percent);
  std::size_t pos = 0;
  Ipv6Value out[kBurst];
  const void* key_ptrs[kBurst];
  void* data[kBurst];
  std::uint64_t hits = 0, total_hits = 0;
  for (auto _ : state) {
    for (unsigned i = 0; i < kBurst; ++i) key_ptrs[i] = &keys[pos + i];
    rte_hash_lookup_bulk_data(f.hash, key_ptrs, kBurst, &hits, data);
    for (unsigned i = 0; i < kBurst; ++i) {
      if ((hits >> i) & 1u) out[i] = *static_cast<const Ipv6Value*>(data[i]);
    }
    benchmark::DoNotOptimize(out);
    total_hits += static_cast<std::uint64_t>(__builtin_popcountll(hits));
    pos = (pos + kBurst) & (kStreamKeys - 1);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBurst));
  state.counters["hit%"] =
      100.0 * static_cast<double>(total_hits) /
      static_cast<double>(std::max<std::int64_t>(1, state.iterations() * kBurst));
}

// Console output as usual, then ours / rte_hash for every case of the run.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.run_type != Run::RT_Iteration || r.error_occurred) continue;
      const auto it = r.counters.find("items_per_second");
      if (it == r.counters.end()) continue;
      auto& [sum, n] = rates_[r.benchmark_name()];
      sum += it->second.value;
      ++n;
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\n%-22s %14s %14s %8s\n", "case", "mapping/s", "rte_hash/s", "ratio");
    for (const auto& [name, rate] : rates_) {
      if (name.rfind("MappingTable/", 0) != 0) continue;
      const std::string rest = name.substr(name.find('/'));
      const auto peer = rates_.find("RteHash" + rest);
      if (peer == rates_.end()) continue;
      const double ours = rate.first / rate.second;
      const double theirs = peer->second.first / peer->second.second;
      std::printf("%-22s %13.1fM %13.1fM %7.2fx\n", rest.c_str() + 1, ours / 1e6, theirs / 1e6,
                  ours / theirs);
    }
  }

 private:
  std::map<std::string, std::pair<double, int>> rates_;
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
