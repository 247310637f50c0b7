#include "packet/path_mtu.h"

namespace dstm::dp {

std::optional<std::uint16_t> PathMtuCache::lookup(std::uint32_t ipv4, std::uint16_t now_s,
                                                  std::uint16_t expiry_s) const {
  const unsigned h = home(ipv4);
  for (unsigned i = 0; i < kProbe; ++i) {
    const std::uint64_t w = slots_[(h + i) % kSlots].load(std::memory_order_relaxed);
    if (w != 0 && key_of(w) == ipv4 && age_of(w, now_s) < expiry_s) return mtu_of(w);
  }
  return std::nullopt;
}

void PathMtuCache::update(std::uint32_t ipv4, std::uint16_t mtu, std::uint16_t now_s,
                          std::uint16_t expiry_s) {
  used_.store(true, std::memory_order_relaxed);
  const std::uint64_t fresh = pack(ipv4, mtu, now_s);
  const unsigned h = home(ipv4);
  if (auto live = lookup(ipv4, now_s, expiry_s); live && *live <= mtu) return;
  unsigned oldest = h % kSlots;
  std::uint16_t oldest_age = 0;
  for (unsigned i = 0; i < kProbe; ++i) {
    auto& slot = slots_[(h + i) % kSlots];
    std::uint64_t w = slot.load(std::memory_order_relaxed);
    // A failed CAS reloads w: another writer took or changed this slot; look at it again.
    while (w == 0 || key_of(w) == ipv4 || age_of(w, now_s) >= expiry_s) {
      if (w != 0 && key_of(w) == ipv4 && age_of(w, now_s) < expiry_s && mtu_of(w) <= mtu) return;
      if (slot.compare_exchange_weak(w, fresh, std::memory_order_relaxed)) return;
    }
    if (age_of(w, now_s) >= oldest_age) {
      oldest_age = age_of(w, now_s);
      oldest = (h + i) % kSlots;
    }
  }
  // Every probed slot holds another live node: replace the oldest (one try; it is a cache).
  std::uint64_t w = slots_[oldest].load(std::memory_order_relaxed);
  if (key_of(w) != ipv4) slots_[oldest].compare_exchange_strong(w, fresh, std::memory_order_relaxed);
}

unsigned PathMtuCache::age(std::uint16_t now_s, std::uint16_t expiry_s) {
  unsigned removed = 0;
  for (auto& slot : slots_) {
    std::uint64_t w = slot.load(std::memory_order_relaxed);
    if (w != 0 && age_of(w, now_s) >= expiry_s && slot.compare_exchange_strong(w, 0, std::memory_order_relaxed)) {
      ++removed;
    }
  }
  return removed;
}

}  // namespace dstm::dp
