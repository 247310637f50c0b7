// lib/mapping under concurrency: one writer churns add / replace / delete / clear over a small
// key set while two readers check every answer. Also run under ThreadSanitizer (README.md).
#include <array>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "mapping/mapping.h"
#include "mapping_test_util.h"

namespace dstm::mapping {
namespace {

using test::ipv4;
using test::make_value;

constexpr std::size_t kPoolKeys = 16;      // 10.0.0.0/28
constexpr std::size_t kFallbackKeys = 12;  // more than the fallback holds: `full` happens
constexpr std::size_t kKeys = kPoolKeys + kFallbackKeys;
constexpr std::uint32_t kNeverMapped = ipv4(10, 0, 0, 200);
constexpr auto kRunTime = std::chrono::milliseconds(1500);

struct Shared {
  std::array<std::uint32_t, kKeys> keys{};
  // Highest version the writer has tried to map for each key; stored (release) before the
  // upsert publishes it, so a reader that sees a version finds it <= this (acquire).
  std::array<std::atomic<std::uint64_t>, kKeys> max_version{};
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> checked{0};
  std::atomic<std::uint64_t> hits{0};
  std::atomic<std::uint64_t> failures{0};
  std::mutex first_failure_mutex;  // test bookkeeping only, off the table's paths
  std::string first_failure;
};

void fail(Shared& s, const std::string& what) {
  if (s.failures.fetch_add(1) == 0) {
    std::lock_guard<std::mutex> lock(s.first_failure_mutex);
    s.first_failure = what;
  }
}

struct ReaderCounts {
  std::uint64_t checked = 0;
  std::uint64_t hits = 0;
};

// Absent, or whole, of the right key, and a version the writer really wrote for it.
void check_answer(Shared& s, ReaderCounts& n, std::size_t key_index, bool hit, const Ipv6Value& v) {
  ++n.checked;
  if (!hit) return;
  ++n.hits;
  if (key_index == kKeys) return fail(s, "hit for a key never mapped");
  const test::Decoded d = test::decode(v);
  const std::uint64_t max = s.max_version[key_index].load(std::memory_order_acquire);
  if (!d.intact) return fail(s, "torn value");
  if (d.key != s.keys[key_index]) return fail(s, "another key's value");
  if (d.version < 1 || d.version > max) return fail(s, "a version never written");
}

void reader(const MappingTable& t, Shared& s, unsigned id) {
  if (!t.register_reader(id)) return fail(s, "register_reader");
  t.reader_online(id);
  test::Rng rng(100 + id);
  std::array<std::uint32_t, 32> keys{};
  std::array<std::size_t, 32> index{};
  std::array<Ipv6Value, 32> out{};
  ReaderCounts n;  // counted locally: shared counters would bounce a cache line per answer
  while (!s.stop.load(std::memory_order_relaxed)) {
    for (std::size_t i = 0; i < keys.size(); ++i) {
      index[i] = rng() % (kKeys + 1);
      keys[i] = index[i] == kKeys ? kNeverMapped : s.keys[index[i]];
    }
    std::uint64_t mask = 0;
    t.lookup_bulk(keys.data(), 32, out.data(), &mask);
    for (std::size_t i = 0; i < keys.size(); ++i)
      check_answer(s, n, index[i], (mask >> i) & 1u, out[i]);
    Ipv6Value one;
    check_answer(s, n, index[0], t.lookup(keys[0], &one), one);
    t.quiescent(id);  // the burst is done: nothing read above is held any more
  }
  t.reader_offline(id);
  t.unregister_reader(id);
  s.checked.fetch_add(n.checked);
  s.hits.fetch_add(n.hits);
}

struct WriterCounts {
  std::map<UpsertResult, std::uint64_t> upserts;
  std::uint64_t erases = 0, clears = 0, mismatches = 0;
};

void writer(MappingTable& t, Shared& s, WriterCounts& counts) {
  test::Rng rng(1);
  std::map<std::uint32_t, Ipv6Value> expect;  // what the table must hold, seen by the writer
  const auto deadline = std::chrono::steady_clock::now() + kRunTime;
  for (std::uint64_t op = 0; std::chrono::steady_clock::now() < deadline; ++op) {
    const std::size_t i = rng() % kKeys;
    const std::uint32_t k = s.keys[i];
    const unsigned dice = rng() % 4096;
    if (dice < 2500) {
      const std::uint64_t version = s.max_version[i].load(std::memory_order_relaxed) + 1;
      s.max_version[i].store(version, std::memory_order_release);
      const UpsertResult r = t.upsert(k, make_value(k, version));
      ++counts.upserts[r];
      if (r == UpsertResult::inserted || r == UpsertResult::replaced)
        expect[k] = make_value(k, version);
      // Readers have not reported since the spares were retired. On a machine with fewer cores
      // than threads they may not be running at all: give them the CPU, as the dataplane's
      // update thread would back off.
      if (r == UpsertResult::busy) std::this_thread::sleep_for(std::chrono::microseconds(20));
    } else if (dice < 4095) {
      counts.erases += t.erase(k) ? 1 : 0;
      expect.erase(k);
    } else {
      t.clear();
      expect.clear();
      ++counts.clears;
    }
    if (op % 4 == 0) t.reclaim();
    Ipv6Value v;
    const auto it = expect.find(k);
    const bool hit = t.lookup(k, &v);
    if (hit != (it != expect.end()) || (hit && !(v == it->second))) ++counts.mismatches;
  }
}

TEST_CASE("readers see absent or a value the key had, whole, while one writer churns",
          "[mapping][stress]") {
  Config c;
  c.pools = {Pool{ipv4(10, 0, 0, 0), 28}};
  c.fallback_capacity = 8;
  c.spare_records = 8;  // small, so that `busy` and the return-home path are exercised
  c.max_readers = 2;
  auto created = MappingTable::create(c);
  REQUIRE(created);
  MappingTable& t = **created;
  Shared s;
  for (std::size_t i = 0; i < kPoolKeys; ++i)
    s.keys[i] = ipv4(10, 0, 0, 0) + static_cast<std::uint32_t>(i);
  for (std::size_t i = 0; i < kFallbackKeys; ++i) {
    s.keys[kPoolKeys + i] = ipv4(198, 51, 100, 0) + static_cast<std::uint32_t>(i);
  }

  WriterCounts counts;
  std::thread r0(reader, std::cref(t), std::ref(s), 0u);
  std::thread r1(reader, std::cref(t), std::ref(s), 1u);
  writer(t, s, counts);
  s.stop.store(true);
  r0.join();
  r1.join();

  INFO("first failure: " << s.first_failure);
  CHECK(s.failures.load() == 0);
  CHECK(counts.mismatches == 0);
  CHECK(s.checked.load() > 0);
  CHECK(s.hits.load() > 0);
  CHECK(counts.upserts[UpsertResult::replaced] > 0);
  CHECK(counts.upserts[UpsertResult::full] > 0);
  WARN("checked " << s.checked.load() << " answers (" << s.hits.load()
                  << " hits); upserts: " << counts.upserts[UpsertResult::inserted] << " inserted, "
                  << counts.upserts[UpsertResult::replaced] << " replaced, "
                  << counts.upserts[UpsertResult::busy] << " busy, " << counts.erases << " erases, "
                  << counts.clears << " clears");

  // Readers are gone: every retired record must come back.
  for (std::uint32_t k : s.keys) t.erase(k);
  for (int round = 0; round < 8 && t.stats().retired != 0; ++round) t.reclaim(1u << 20);
  const Stats st = t.stats();
  CHECK(st.size == 0);
  CHECK(st.retired == 0);
  CHECK(st.homes_displaced == 0);
  CHECK(st.spare_free == st.spare_total);
}

}  // namespace
}  // namespace dstm::mapping
