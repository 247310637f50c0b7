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
// write, no shared cache line); readers on other threads add the blocks up.
struct alignas(64) CounterBlock {
  std::array<std::atomic<std::uint64_t>, kCounterCount> packets{};
  std::array<std::atomic<std::uint64_t>, kCounterCount> bytes{};

  void add(Counter c, std::uint64_t byte_count, std::uint64_t n = 1) {
    auto i = static_cast<std::size_t>(c);
    packets[i].store(packets[i].load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    bytes[i].store(bytes[i].load(std::memory_order_relaxed) + byte_count, std::memory_order_relaxed);
  }
};

}  // namespace dstm::dp
