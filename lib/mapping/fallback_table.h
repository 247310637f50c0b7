// FallbackTable: keys outside every pool (static mappings an operator adds by hand). Internal to
// lib/mapping. Open addressing with linear probing; the table holds record indices, never the
// IPv6 bytes, so an entry fits in one 64-bit atomic word.
//
// Entry word: low 32 bits the key, high 32 bits the state: 0 empty (ends a probe), 1 tombstone
// (a deleted key; probes pass over it), r + 1 the key's value is record r (records are numbered
// from 1). A reader loads the whole word at once, so it never pairs one key with another key's
// record.
//
// Why readers stay correct while the writer works:
// - A key occupies at most one entry, and entries never move under readers. Deleting leaves a
//   tombstone, so probes for other keys are not cut short.
// - Tombstones become empty only at the end of a cluster (the next entry is empty), where no
//   live key's probe sequence can pass through them.
// - When tombstones fill the table the writer rebuilds into the second table, publishes it with
//   one pointer, and does not touch the old one again until a grace period has passed.
// - A probe visits at most `slots` entries: readers never loop unboundedly.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "mapping/huge_array.h"
#include "mapping/qsbr.h"

namespace dstm::mapping::detail {

// Record numbers start at 1. Record 0 is the all-zero record that "no value" names, so a reader
// can copy records[number] without first testing for a miss.
inline constexpr std::uint32_t kNoRecord = 0;

class FallbackTable {
 public:
  FallbackTable() = default;  // capacity 0: no fallback
  FallbackTable(const FallbackTable&) = delete;
  FallbackTable& operator=(const FallbackTable&) = delete;
  // Once, before any reader exists. False when out of memory.
  bool init(std::uint32_t capacity);
  std::uint32_t capacity() const { return capacity_; }
  std::uint32_t size() const { return size_; }
  std::size_t slots() const { return tables_[0].size(); }
  std::size_t rebuilds() const { return rebuilds_; }

  // Reader: the record holding key's value, or kNoRecord. Lock-free, wait-free (bounded).
  std::uint32_t find(std::uint32_t key) const;

  // Writer: maps key to record (insert or replace). False (and nothing changed) only when a
  // rebuild is needed and the standby table may still have readers. The caller checks that an
  // insert stays within capacity().
  bool set(std::uint32_t key, std::uint32_t record, Qsbr& qsbr);
  // Writer: unmaps key; returns its record, or kNoRecord if it had none.
  std::uint32_t erase(std::uint32_t key);

  // Writer: calls fn(key, record) for every mapped key.
  template <class Fn>
  void for_each(Fn&& fn) const {
    const Word* t = writer_table();
    for (std::size_t i = 0; i < slots(); ++i) {
      const std::uint64_t e = t[i].load(std::memory_order_relaxed);  // writer's own data
      if (state_of(e) >= kFirstLive) fn(key_of(e), state_of(e) - 1);
    }
  }
  // Writer: unmaps every key, calling on_record(record) for each record it held.
  template <class Fn>
  void clear(Fn&& on_record) {
    Word* t = writer_table();
    for (std::size_t i = 0; i < slots(); ++i) {
      const std::uint64_t e = t[i].load(std::memory_order_relaxed);
      if (state_of(e) >= kFirstLive) on_record(state_of(e) - 1);
      // Relaxed: an empty word publishes nothing a reader could dereference.
      if (e != 0) t[i].store(0, std::memory_order_relaxed);
    }
    size_ = 0;
    used_ = 0;
  }

 private:
  using Word = std::atomic<std::uint64_t>;
  static constexpr std::uint32_t kEmpty = 0;
  static constexpr std::uint32_t kTombstone = 1;
  static constexpr std::uint32_t kFirstLive = 2;  // record 1's state

  static constexpr std::uint64_t pack(std::uint32_t key, std::uint32_t state) {
    return (std::uint64_t{state} << 32) | key;
  }
  static constexpr std::uint32_t key_of(std::uint64_t e) { return static_cast<std::uint32_t>(e); }
  static constexpr std::uint32_t state_of(std::uint64_t e) {
    return static_cast<std::uint32_t>(e >> 32);
  }

  std::size_t home_of(std::uint32_t key) const;
  std::size_t next(std::size_t i) const { return (i + 1) & (slots() - 1); }
  Word* writer_table() { return tables_[active_index_].data(); }
  const Word* writer_table() const { return tables_[active_index_].data(); }
  std::size_t probe(std::uint32_t key, std::size_t* reusable) const;
  bool insert_new(std::uint32_t key, std::uint32_t record, std::size_t reusable, Qsbr& qsbr);
  void trim_cluster_end(std::size_t i);
  bool rebuild(Qsbr& qsbr);

  HugeArray<Word> tables_[2];
  // The table readers probe. Written by the writer (release) after a rebuild.
  std::atomic<const Word*> active_{nullptr};
  unsigned active_index_ = 0;
  unsigned shift_ = 64;              // 64 - log2(slots), for Fibonacci hashing
  std::uint64_t standby_token_ = 0;  // grace period of the table last retired
  std::uint32_t capacity_ = 0;
  std::uint32_t size_ = 0;    // live keys
  std::size_t used_ = 0;      // live keys + tombstones
  std::size_t max_used_ = 0;  // rebuild once used_ would pass this
  std::size_t rebuilds_ = 0;
};

}  // namespace dstm::mapping::detail
