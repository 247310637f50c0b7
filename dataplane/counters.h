// The dataplane's counters: ids from counters.def, per-lcore blocks with one writer each,
// summed on read (STYLE.md §4).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace dstm::dp {

enum class Counter : std::uint16_t {
#define DSTM_COUNTER(id, name, description) id,
#include "counters.def"
#undef DSTM_COUNTER
  kCount
};
inline constexpr std::size_t kCounterCount = static_cast<std::size_t>(Counter::kCount);

struct CounterInfo {
  std::string_view name;
  std::string_view description;
};
inline constexpr std::array<CounterInfo, kCounterCount> kCounterInfo{{
#define DSTM_COUNTER(id, name, description) {name, description},
#include "counters.def"
#undef DSTM_COUNTER
}};

constexpr const CounterInfo& info(Counter c) { return kCounterInfo[static_cast<std::size_t>(c)]; }

// One per worker lcore, written only by it: a relaxed load + store (no locked read-modify-
// write, no shared cache line); readers on other threads and processes add the blocks up.
// The words themselves live in the stats segment (shmring/stats.h: one cache-line-aligned
// block per lcore), so publishing them costs the fast path nothing; bind() points the block
// at its lcore's words before the worker starts.
class CounterBlock {
 public:
  void bind(std::uint64_t* packets, std::uint64_t* bytes, std::uint64_t* rx, std::uint64_t* tx) {
    packets_ = packets;
    bytes_ = bytes;
    rx_ = rx;
    tx_ = tx;
  }
  void add(Counter c, std::uint64_t byte_count, std::uint64_t n = 1) {
    auto i = static_cast<std::size_t>(c);
    bump(packets_[i], n);
    bump(bytes_[i], byte_count);
  }
  void add_rx(std::uint64_t n) { bump(*rx_, n); }  // packets received (per burst)
  void add_tx(std::uint64_t n) { bump(*tx_, n); }  // packets handed to a TX buffer
  std::uint64_t packets(std::size_t i) const { return load(packets_[i]); }
  std::uint64_t bytes(std::size_t i) const { return load(bytes_[i]); }
  std::uint64_t rx() const { return load(*rx_); }
  std::uint64_t tx() const { return load(*tx_); }

 private:
  static void bump(std::uint64_t& word, std::uint64_t n) {
    std::atomic_ref<std::uint64_t> w(word);
    w.store(w.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  static std::uint64_t load(std::uint64_t& word) {
    return std::atomic_ref<std::uint64_t>(word).load(std::memory_order_relaxed);
  }
  std::uint64_t* packets_ = nullptr;
  std::uint64_t* bytes_ = nullptr;
  std::uint64_t* rx_ = nullptr;
  std::uint64_t* tx_ = nullptr;
};

}  // namespace dstm::dp
