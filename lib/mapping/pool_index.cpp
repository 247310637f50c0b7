#include "mapping/pool_index.h"

#include <algorithm>

namespace dstm::mapping::detail {

namespace {

std::uint64_t pool_size(const Pool& p) {
  return std::uint64_t{1} << (32 - p.prefix_len);
}

std::string check_pool(const Pool& p) {
  if (p.prefix_len < 1 || p.prefix_len > 32) return "pool " + pool_text(p) + ": prefix length";
  const std::uint64_t host_bits = pool_size(p) - 1;
  if ((p.base & host_bits) != 0) return "pool " + pool_text(p) + ": host bits set in the base";
  return {};
}

}  // namespace

std::string pool_text(const Pool& p) {
  std::string s;
  for (int shift = 24; shift >= 0; shift -= 8) {
    s += std::to_string((p.base >> shift) & 0xFFu);
    s += shift != 0 ? "." : "/";
  }
  return s + std::to_string(p.prefix_len);
}

Expected<void, std::string> PoolIndex::init(const std::vector<Pool>& pools) {
  if (pools.size() > kMaxPools) return unexpected(std::string("more than 64 pools"));
  std::vector<Pool> sorted = pools;
  std::sort(sorted.begin(), sorted.end(),
            [](const Pool& a, const Pool& b) { return a.base < b.base; });
  std::uint64_t next_free = 0;  // first address after the previous pool
  std::uint64_t total = 0;
  count_ = 0;
  for (const Pool& p : sorted) {
    if (std::string err = check_pool(p); !err.empty()) return unexpected(std::move(err));
    if (count_ > 0 && p.base < next_free) {
      return unexpected("pool " + pool_text(p) + " overlaps another pool");
    }
    ranges_[count_++] = PoolRange{p.base, static_cast<std::uint32_t>(pool_size(p)),
                                  static_cast<std::uint32_t>(total)};
    next_free = std::uint64_t{p.base} + pool_size(p);
    total += pool_size(p);
    if (total > kMaxEntries) return unexpected(std::string("pools exceed kMaxEntries"));
  }
  total_slots_ = static_cast<std::size_t>(total);
  build_directory();
  return {};
}

void PoolIndex::build_directory() {
  directory_.fill(kNone);
  for (std::size_t i = 0; i < count_; ++i) {
    const PoolRange& r = ranges_[i];
    const std::uint32_t first = r.base >> 16;
    const std::uint32_t last = (r.base + (r.size - 1)) >> 16;
    for (std::uint32_t b = first; b <= last; ++b) {
      directory_[b] = directory_[b] == kNone ? static_cast<std::uint8_t>(i) : kSearch;
    }
  }
}

std::uint32_t PoolIndex::search(std::uint32_t key) const {
  const PoolRange* begin = ranges_.data();
  const PoolRange* end = begin + count_;
  // The last pool whose base is <= key is the only one that can hold it.
  const PoolRange* it = std::upper_bound(
      begin, end, key, [](std::uint32_t k, const PoolRange& r) { return k < r.base; });
  return it == begin ? kNoSlot : (it - 1)->slot_of(key);
}

}  // namespace dstm::mapping::detail
