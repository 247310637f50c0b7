// MappingTable: construction and the reader path. The writer path is in writer.cpp.
#include "mapping/mapping.h"

#include <algorithm>
#include <array>
#include <cassert>

namespace dstm::mapping {

using detail::kNoRecord;
using detail::kNoSlot;

Expected<std::unique_ptr<MappingTable>, std::string> MappingTable::create(const Config& config) {
  std::unique_ptr<MappingTable> table(new MappingTable());
  if (auto ok = table->init(config); !ok) return unexpected(ok.error());
  return table;
}

MappingTable::~MappingTable() = default;

Expected<void, std::string> MappingTable::init(const Config& config) {
  if (config.max_readers < 1 || config.max_readers > kMaxReaders) {
    return unexpected(std::string("max_readers must be 1..1024"));
  }
  if (config.max_entries > kMaxEntries) return unexpected(std::string("max_entries > 2^28"));
  if (config.spare_records < 1) return unexpected(std::string("spare_records must be >= 1"));
  if (auto ok = pools_.init(config.pools); !ok) return ok;
  const std::uint64_t slots = pools_.total_slots();
  if (slots + config.fallback_capacity > config.max_entries) {
    return unexpected("pools (" + std::to_string(slots) + " addresses) + fallback (" +
                      std::to_string(config.fallback_capacity) + ") exceed max_entries (" +
                      std::to_string(config.max_entries) + ")");
  }
  pool_slots_ = static_cast<std::uint32_t>(slots);
  spare_total_ = std::size_t{config.fallback_capacity} + config.spare_records;
  // Record 0 (all zeros, never written), one home record per slot, then the spares.
  const std::size_t records = 1 + static_cast<std::size_t>(slots) + spare_total_;
  states_ = detail::HugeArray<std::atomic<std::uint32_t>>(static_cast<std::size_t>(slots));
  records_ = detail::HugeArray<Ipv6Value>(records);
  qsbr_ = std::make_unique<detail::Qsbr>(config.max_readers);
  retired_ = detail::RetireRing(records - 1);  // every record but record 0
  if (!states_.ok() || !records_.ok() || !fallback_.init(config.fallback_capacity) ||
      !qsbr_->ok() || !retired_.ok()) {
    return unexpected(std::string("out of memory"));
  }
  free_spares_.reserve(spare_total_);
  // Pushed highest first so that the lowest spares are handed out first.
  for (std::size_t r = records - 1; r > slots; --r) {
    free_spares_.push_back(static_cast<std::uint32_t>(r));
  }
  displaced_.assign((static_cast<std::size_t>(slots) + 63) / 64, 0);
  return {};
}

bool MappingTable::register_reader(unsigned reader_id) const {
  return qsbr_->register_reader(reader_id);
}
void MappingTable::unregister_reader(unsigned reader_id) const {
  qsbr_->unregister_reader(reader_id);
}
void MappingTable::reader_online(unsigned reader_id) const {
  qsbr_->online(reader_id);
}
void MappingTable::reader_offline(unsigned reader_id) const {
  qsbr_->offline(reader_id);
}
void MappingTable::quiescent(unsigned reader_id) const {
  qsbr_->quiescent(reader_id);
}

bool MappingTable::lookup(std::uint32_t key, Ipv6Value* out) const {
  const std::uint32_t slot = pools_.slot_of(key);
  const std::uint32_t rec = slot != kNoSlot ? slot_record(slot) : fallback_.find(key);
  if (rec == kNoRecord) return false;
  *out = records_[rec];
  return true;
}

void MappingTable::lookup_bulk(const std::uint32_t* keys, unsigned n, Ipv6Value* out,
                               std::uint64_t* hit_mask) const {
  assert(n <= kMaxBurst);
  n = std::min(n, kMaxBurst);
  std::array<std::uint32_t, kMaxBurst> slots;  // NOLINT: written before read, below
  // Loop 1: addresses only. The home record's address does not depend on the state word, so
  // both are prefetched now and their misses overlap across the whole burst.
  for (unsigned i = 0; i < n; ++i) {
    slots[i] = pools_.slot_of(keys[i]);
    if (slots[i] == kNoSlot) continue;
    __builtin_prefetch(&states_[slots[i]]);
    __builtin_prefetch(&records_[home_of(slots[i])]);
  }
  // Loop 2: loads. A value displaced to a spare, or a fallback key, costs one more miss; both
  // are rare. A miss copies record 0 (all zeros), so hit and miss take the same path: with
  // hits and misses mixed, a branch here mispredicted so often that 50 % hits ran at less than
  // half the speed of 100 % (measured, README.md).
  std::uint64_t mask = 0;
  for (unsigned i = 0; i < n; ++i) {
    const std::uint32_t rec = slots[i] != kNoSlot ? slot_record(slots[i]) : fallback_.find(keys[i]);
    out[i] = records_[rec];
    mask |= std::uint64_t{rec != kNoRecord} << i;
  }
  *hit_mask = mask;
}

Stats MappingTable::stats() const {
  Stats s;
  s.size = size();
  s.fallback_size = fallback_.size();
  s.pool_slots = pools_.total_slots();
  s.spare_total = spare_total_;
  s.spare_free = free_spares_.size();
  s.retired = retired_.pending();
  s.homes_displaced = homes_displaced_;
  s.fallback_rebuilds = fallback_.rebuilds();
  return s;
}

}  // namespace dstm::mapping
