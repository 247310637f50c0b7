// PoolIndex: which configured pool holds an IPv4 address, and that address's slot. Internal to
// lib/mapping.
//
// Slots are numbered pool after pool (pools sorted by base), so slot = first_slot + (key - base)
// and a pool of 2^n addresses owns 2^n consecutive slots. Finding the pool is one load from a
// 64 KiB directory indexed by the key's /16 (it stays in L2): the entry names the only pool that
// meets that /16, or says "none", or (several pools narrower than /16 share it) "search", which
// falls back to a binary search over at most kMaxPools sorted pools.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mapping/types.h"
#include "util/expected.h"

namespace dstm::mapping::detail {

inline constexpr std::uint32_t kNoSlot = 0xFFFFFFFFu;

struct PoolRange {
  std::uint32_t base = 0;
  std::uint32_t size = 0;  // 2^(32 - prefix_len); prefix_len >= 1 keeps it in 32 bits
  std::uint32_t first_slot = 0;

  std::uint32_t slot_of(std::uint32_t key) const {
    const std::uint32_t offset = key - base;  // wraps for keys below base: then >= size
    return offset < size ? first_slot + offset : kNoSlot;
  }
};

class PoolIndex {
 public:
  // Validates the pools (at most kMaxPools; prefix length 1..32; no host bits; no overlap)
  // and builds the directory. The total is checked against max_entries by the caller.
  Expected<void, std::string> init(const std::vector<Pool>& pools);

  std::uint32_t slot_of(std::uint32_t key) const {
    const std::uint8_t d = directory_[key >> 16];
    if (d < kMaxPools) return ranges_[d].slot_of(key);
    return d == kNone ? kNoSlot : search(key);
  }

  std::size_t total_slots() const { return total_slots_; }
  std::size_t count() const { return count_; }
  const PoolRange& range(std::size_t i) const { return ranges_[i]; }

 private:
  static constexpr std::uint8_t kNone = 0xFF;
  static constexpr std::uint8_t kSearch = 0xFE;
  static_assert(kMaxPools < kSearch);

  std::uint32_t search(std::uint32_t key) const;
  void build_directory();

  std::array<PoolRange, kMaxPools> ranges_{};  // sorted by base
  std::size_t count_ = 0;
  std::size_t total_slots_ = 0;
  std::array<std::uint8_t, 1u << 16> directory_{};
};

// "10.1.0.0/16", for error messages (lib/net is not a dependency of this library).
std::string pool_text(const Pool& pool);

}  // namespace dstm::mapping::detail
