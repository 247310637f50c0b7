// A set of free pool indices as a hierarchical bitmap (internal to lib/lease).
//
// Level 0 holds one bit per pool address (set = free); each bit of level k+1 says "word i of
// level k is not zero". Finding the next free address from a cursor touches at most two words
// per level, so it costs O(log64 n): 4 levels for a /8, never a scan of the whole pool. A /12
// (2^20 addresses) takes 128 KiB at level 0 and about 2 KiB above it.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace dstm::lease::detail {

class FreeSet {
 public:
  // `size` indices, none of them free.
  explicit FreeSet(std::uint64_t size = 0);

  std::uint64_t size() const { return size_; }
  bool test(std::uint64_t i) const;
  void set(std::uint64_t i);    // mark free
  void reset(std::uint64_t i);  // mark taken
  // The first free index at or after `start`, wrapping round to 0 once; nullopt when none.
  std::optional<std::uint64_t> find_from(std::uint64_t start) const;

 private:
  std::optional<std::uint64_t> next_at(std::size_t level, std::uint64_t pos) const;

  std::uint64_t size_ = 0;
  std::vector<std::vector<std::uint64_t>> levels_;
};

}  // namespace dstm::lease::detail
