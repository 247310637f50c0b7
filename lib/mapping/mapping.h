// dstm::mapping — the TEP's IPv4 -> IPv6 mapping table: every worker lcore reads it lock-free,
// one writer (the dataplane's update thread) applies the agent's updates.
//
// Design (the measurements behind it are in lib/mapping/README.md):
//
// - DSTM hands out addresses from configured pools (CIDR prefixes), so the table is indexed by
//   pool offset, not hashed. Each pool address owns a slot: a 4-byte state word (the number of
//   the record holding its value; 0 = unmapped) and a 16-byte home record, record slot + 1.
//   A lookup is a 64 KiB directory load (which pool), then the state word and the home record,
//   whose addresses both follow from the key alone: lookup_bulk prefetches both for the whole
//   burst in its first loop, so the two cache misses overlap instead of chaining. Record 0 is
//   all zeros, so a miss copies it and the second loop does not branch on hit or miss.
//   Measured with 32-key bursts against rte_hash's lookup_bulk_data (lock-free mode): 4-11x
//   when keys hit (64K to 16M mappings), 1.06-3x when they all miss (README.md).
// - Records are immutable while reachable: a new value goes to a free record, then one release
//   store of the state word publishes it. A reader loads the state with acquire and copies the
//   record, so it sees the old value or the new one, whole, never a mix, never another key's.
// - A replaced or erased record is retired and reused only after an rte_rcu_qsbr grace period:
//   every online reader has called quiescent() (once per burst) or gone offline since. While a
//   slot's home record waits, the slot's value lives in a spare record; once the grace period
//   ends, reclaim() copies it back home and retires the spare, so steady state keeps every value
//   at home and spares are only needed for updates in flight (Config::spare_records).
// - Keys outside every pool go to a small open-addressing fallback (Config::fallback_capacity)
//   whose 64-bit entries pair key and record index in one atomic word (fallback_table.h).
// - Readers never block, never retry and never allocate; a fallback probe is bounded by its
//   table size. The writer never waits for readers either: when no spare is free it returns
//   UpsertResult::busy and the caller calls reclaim() and retries later.
//
// Memory per pool address: 4 (state) + 16 (home record) + 4 (its place in the retire ring)
// + 1/8 (displaced-home bit) = 24.1 bytes, whether mapped or not: a /8 pool (16M addresses)
// takes 405 MB, a /12 (1M) 25 MB, a /16 64K addresses 1.6 MB. Each spare or fallback record
// adds 24 bytes, and each fallback key 32..64 bytes of table (two tables, at most half full).
//
// Threads: reader functions may run on any number of threads, each with its own reader id,
// registered once. Writer functions run on one thread at a time.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mapping/fallback_table.h"
#include "mapping/huge_array.h"
#include "mapping/pool_index.h"
#include "mapping/qsbr.h"
#include "mapping/retire_ring.h"
#include "mapping/types.h"
#include "util/expected.h"

namespace dstm::mapping {

class MappingTable {
 public:
  static constexpr unsigned kMaxBurst = 64;
  static constexpr std::uint32_t kDefaultReclaimBudget = 1024;

  // Validates the configuration and allocates everything up front (no allocation afterwards).
  static Expected<std::unique_ptr<MappingTable>, std::string> create(const Config& config);
  ~MappingTable();
  MappingTable(const MappingTable&) = delete;
  MappingTable& operator=(const MappingTable&) = delete;

  // ---- Readers -------------------------------------------------------------------------------
  // A reader thread registers its id once, goes online, then looks up in bursts and reports
  // quiescent() after each burst, when it holds nothing it read from the table. Before it blocks
  // or sleeps it goes offline, so that the writer's grace periods do not wait for it.
  bool register_reader(unsigned reader_id) const;  // false: id >= max_readers
  void unregister_reader(unsigned reader_id) const;
  void reader_online(unsigned reader_id) const;
  void reader_offline(unsigned reader_id) const;
  void quiescent(unsigned reader_id) const;

  // The value mapped to key (host-order IPv4) into *out; false (and *out untouched) if none.
  bool lookup(std::uint32_t key, Ipv6Value* out) const;
  // The same for a burst of n <= kMaxBurst keys: bit i of *hit_mask is set when keys[i] is
  // mapped, and out[i] then holds its value; out[i] of a miss holds all zeros (::). Two loops:
  // slots and prefetches first, loads second.
  void lookup_bulk(const std::uint32_t* keys, unsigned n, Ipv6Value* out,
                   std::uint64_t* hit_mask) const;

  // ---- Writer (one thread) -------------------------------------------------------------------
  UpsertResult upsert(std::uint32_t key, const Ipv6Value& value);
  bool erase(std::uint32_t key);  // false: key was not mapped
  void clear();
  std::size_t size() const { return size_.load(std::memory_order_relaxed); }
  // Calls fn(key, value) for every mapping: pools in address order, then the fallback.
  void for_each(const std::function<void(std::uint32_t, const Ipv6Value&)>& fn) const;
  // Starts a grace period for what was retired since the last call and frees up to budget
  // records whose grace period has passed. Never waits. Call it each time round the update
  // loop. Returns how many records it freed.
  std::uint32_t reclaim(std::uint32_t budget = kDefaultReclaimBudget);
  bool in_pools(std::uint32_t key) const { return pools_.slot_of(key) != detail::kNoSlot; }
  Stats stats() const;

 private:
  MappingTable() = default;
  Expected<void, std::string> init(const Config& config);

  // Record numbers: 0 is the all-zero record ("no value"), slot + 1 is the slot's home record,
  // pool_slots_ + 1 onwards are the spares.
  static std::uint32_t home_of(std::uint32_t slot) { return slot + 1; }
  bool is_home(std::uint32_t record) const { return record != 0 && record <= pool_slots_; }
  // The record holding slot's value, or 0. Acquire: pairs with the writer's release store of
  // the state, so the record's bytes, written before that store, are visible here.
  std::uint32_t slot_record(std::uint32_t slot) const {
    return states_[slot].load(std::memory_order_acquire);
  }
  std::uint32_t writer_slot_record(std::uint32_t slot) const;
  UpsertResult upsert_pool(std::uint32_t slot, const Ipv6Value& value);
  UpsertResult upsert_fallback(std::uint32_t key, const Ipv6Value& value);
  std::uint32_t take_spare();
  void retire(std::uint32_t record);
  void release(std::uint32_t record);
  void return_home(std::uint32_t slot);
  bool displaced(std::uint32_t slot) const { return (displaced_[slot / 64] >> (slot % 64)) & 1u; }
  void set_displaced(std::uint32_t slot, bool on);

  detail::PoolIndex pools_;
  // Per pool slot: the number of the record holding the value, 0 when unmapped. Readers load it
  // with acquire; the writer publishes with release.
  detail::HugeArray<std::atomic<std::uint32_t>> states_;
  // Record 0 (all zeros), the home records (one per slot), then the spares (fallback values
  // and values displaced from home while a grace period runs). Plain memory: a record is never
  // written while a reader can reach it.
  detail::HugeArray<Ipv6Value> records_;
  detail::FallbackTable fallback_;
  std::unique_ptr<detail::Qsbr> qsbr_;
  detail::RetireRing retired_;
  // Writer-only bookkeeping.
  std::vector<std::uint32_t> free_spares_;  // reserved up front: push/pop never allocate
  std::vector<std::uint64_t> displaced_;    // bit per slot: home record awaits a grace period
  std::size_t homes_displaced_ = 0;
  std::size_t spare_total_ = 0;
  std::uint32_t pool_slots_ = 0;
  // Relaxed: a count the writer keeps and other threads may read for statistics; it orders
  // nothing.
  std::atomic<std::size_t> size_{0};
};

}  // namespace dstm::mapping
