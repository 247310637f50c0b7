#include "mapping/fallback_table.h"

#include <algorithm>
#include <bit>

namespace dstm::mapping::detail {

namespace {

constexpr std::size_t kNpos = ~std::size_t{0};
constexpr std::size_t kMinSlots = 16;

}  // namespace

bool FallbackTable::init(std::uint32_t capacity) {
  capacity_ = capacity;
  if (capacity == 0) return true;
  // Live keys fill at most half the table and tombstones at most another quarter, so probes
  // stay short and there is always an empty entry to end them.
  const std::size_t slots = std::bit_ceil(std::max(kMinSlots, 2 * std::size_t{capacity}));
  tables_[0] = HugeArray<Word>(slots);
  tables_[1] = HugeArray<Word>(slots);
  if (!tables_[0].ok() || !tables_[1].ok()) return false;
  shift_ = 64u - static_cast<unsigned>(std::countr_zero(slots));
  max_used_ = slots / 4 * 3;
  // Relaxed: no reader exists yet; the table is handed to readers after construction.
  active_.store(tables_[0].data(), std::memory_order_relaxed);
  return true;
}

std::size_t FallbackTable::home_of(std::uint32_t key) const {
  // Fibonacci hashing: the top bits of key * 2^64/phi spread consecutive keys apart.
  return static_cast<std::size_t>((std::uint64_t{key} * 0x9E3779B97F4A7C15ull) >> shift_);
}

std::uint32_t FallbackTable::find(std::uint32_t key) const {
  // Acquire: pairs with the release in rebuild(), so the entries copied into a new table are
  // visible before its address is.
  const Word* t = active_.load(std::memory_order_acquire);
  if (t == nullptr) return kNoRecord;
  std::size_t i = home_of(key);
  for (std::size_t n = 0; n < slots(); ++n, i = next(i)) {
    // Acquire: pairs with the writer's release store of the word, so the record's bytes,
    // written before the word, are visible once the word names the record.
    const std::uint64_t e = t[i].load(std::memory_order_acquire);
    const std::uint32_t st = state_of(e);
    if (st == kEmpty) return kNoRecord;
    if (key_of(e) == key) return st == kTombstone ? kNoRecord : st - 1;
  }
  return kNoRecord;
}

// Writer: the index of key's entry (live or tombstone), or kNpos. *reusable receives the first
// tombstone on the probe path, else the empty entry that ended it, else kNpos.
std::size_t FallbackTable::probe(std::uint32_t key, std::size_t* reusable) const {
  const Word* t = writer_table();
  *reusable = kNpos;
  std::size_t i = home_of(key);
  for (std::size_t n = 0; n < slots(); ++n, i = next(i)) {
    // Relaxed: this thread is the only writer; it reads back its own stores.
    const std::uint64_t e = t[i].load(std::memory_order_relaxed);
    const std::uint32_t st = state_of(e);
    if (st == kEmpty) {
      if (*reusable == kNpos) *reusable = i;
      return kNpos;
    }
    if (key_of(e) == key) return i;
    if (st == kTombstone && *reusable == kNpos) *reusable = i;
  }
  return kNpos;
}

bool FallbackTable::set(std::uint32_t key, std::uint32_t record, Qsbr& qsbr) {
  if (slots() == 0) return false;
  std::size_t reusable = kNpos;
  const std::size_t own = probe(key, &reusable);
  if (own == kNpos) return insert_new(key, record, reusable, qsbr);
  Word& w = writer_table()[own];
  if (state_of(w.load(std::memory_order_relaxed)) == kTombstone) ++size_;
  // Release: the record's bytes, written by the caller, become visible with the word.
  w.store(pack(key, record + 1), std::memory_order_release);
  return true;
}

bool FallbackTable::insert_new(std::uint32_t key, std::uint32_t record, std::size_t reusable,
                               Qsbr& qsbr) {
  if (reusable != kNpos) {
    Word& w = writer_table()[reusable];
    const bool was_empty = state_of(w.load(std::memory_order_relaxed)) == kEmpty;
    if (!was_empty || used_ < max_used_) {
      w.store(pack(key, record + 1), std::memory_order_release);  // as in set()
      used_ += was_empty ? 1 : 0;
      ++size_;
      return true;
    }
  }
  if (!rebuild(qsbr)) return false;
  // The fresh table has no tombstones and used_ == size_ < capacity <= slots / 2.
  probe(key, &reusable);
  writer_table()[reusable].store(pack(key, record + 1), std::memory_order_release);
  ++used_;
  ++size_;
  return true;
}

std::uint32_t FallbackTable::erase(std::uint32_t key) {
  if (slots() == 0) return kNoRecord;
  std::size_t reusable = kNpos;
  const std::size_t own = probe(key, &reusable);
  if (own == kNpos) return kNoRecord;
  Word& w = writer_table()[own];
  const std::uint32_t st = state_of(w.load(std::memory_order_relaxed));
  if (st == kTombstone) return kNoRecord;
  // Release, like every publication by the writer; a tombstone itself names no record.
  w.store(pack(key, kTombstone), std::memory_order_release);
  --size_;
  trim_cluster_end(own);
  return st - 1;
}

// Tombstones at the end of a cluster (the next entry is empty) lie on no live key's probe path:
// a key sits at the first free entry of its path, and its path holds no empty entry before it.
// Turning them back into empty entries keeps rebuilds rare.
void FallbackTable::trim_cluster_end(std::size_t i) {
  Word* t = writer_table();
  if (state_of(t[next(i)].load(std::memory_order_relaxed)) != kEmpty) return;
  const std::size_t mask = slots() - 1;
  for (std::size_t n = 0; n < slots(); ++n, i = (i + mask) & mask) {
    if (state_of(t[i].load(std::memory_order_relaxed)) != kTombstone) return;
    // Relaxed: an empty word publishes nothing a reader could dereference.
    t[i].store(0, std::memory_order_relaxed);
    --used_;
  }
}

// Copies the live keys into the standby table and hands it to readers. The standby table is
// written only once the grace period of its retirement has passed: no reader still probes it.
bool FallbackTable::rebuild(Qsbr& qsbr) {
  if (!qsbr.passed(standby_token_)) return false;
  const Word* from = writer_table();
  Word* to = tables_[active_index_ ^ 1u].data();
  const std::size_t mask = slots() - 1;
  // Relaxed stores into the standby table: readers see them through the release below.
  for (std::size_t i = 0; i < slots(); ++i) to[i].store(0, std::memory_order_relaxed);
  for (std::size_t i = 0; i < slots(); ++i) {
    const std::uint64_t e = from[i].load(std::memory_order_relaxed);
    if (state_of(e) < kFirstLive) continue;
    std::size_t j = home_of(key_of(e));
    while (to[j].load(std::memory_order_relaxed) != 0) j = (j + 1) & mask;
    to[j].store(e, std::memory_order_relaxed);
  }
  // Release: pairs with the acquire in find(); the copied entries are visible with the address.
  active_.store(to, std::memory_order_release);
  active_index_ ^= 1u;
  // Readers may probe the old table until each has reported quiescence once more.
  standby_token_ = qsbr.start();
  used_ = size_;
  ++rebuilds_;
  return true;
}

}  // namespace dstm::mapping::detail
