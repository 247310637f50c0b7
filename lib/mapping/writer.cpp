// MappingTable: the writer path (one thread). Every store a reader can see is a release store of
// a state word or a fallback entry, made after the record it names is complete; a record is
// written only while no reader can reach it (never mapped, or retired and its grace period over).
#include <cassert>

#include "mapping/mapping.h"

namespace dstm::mapping {

using detail::kNoRecord;
using detail::kNoSlot;

std::uint32_t MappingTable::writer_slot_record(std::uint32_t slot) const {
  // Relaxed: only this thread stores states; it reads back its own stores.
  return states_[slot].load(std::memory_order_relaxed);
}

UpsertResult MappingTable::upsert(std::uint32_t key, const Ipv6Value& value) {
  const std::uint32_t slot = pools_.slot_of(key);
  if (slot == kNoSlot && fallback_.capacity() == 0) return UpsertResult::out_of_range;
  auto once = [&] {
    return slot != kNoSlot ? upsert_pool(slot, value) : upsert_fallback(key, value);
  };
  const UpsertResult r = once();
  if (r != UpsertResult::busy) return r;
  // No spare was free. reclaim() may free some; it may also move values home, so the attempt
  // starts again from the slot's current state.
  reclaim();
  return once();
}

UpsertResult MappingTable::upsert_pool(std::uint32_t slot, const Ipv6Value& value) {
  const std::uint32_t old = writer_slot_record(slot);
  if (old != kNoRecord && records_[old] == value) return UpsertResult::unchanged;
  // The home record takes the value when it is free: the slot is unmapped and no reader can
  // still hold the home's last value. Otherwise a spare carries the value until reclaim()
  // brings it home.
  std::uint32_t rec = home_of(slot);
  if (old != kNoRecord || displaced(slot)) {
    rec = take_spare();
    if (rec == kNoRecord) return UpsertResult::busy;
  }
  records_[rec] = value;
  // Release: a reader that acquires this state sees the record written just above.
  states_[slot].store(rec, std::memory_order_release);
  if (old == kNoRecord) {
    size_.store(size() + 1, std::memory_order_relaxed);
    return UpsertResult::inserted;
  }
  retire(old);
  return UpsertResult::replaced;
}

UpsertResult MappingTable::upsert_fallback(std::uint32_t key, const Ipv6Value& value) {
  const std::uint32_t old = fallback_.find(key);
  if (old != kNoRecord && records_[old] == value) return UpsertResult::unchanged;
  if (old == kNoRecord && fallback_.size() >= fallback_.capacity()) return UpsertResult::full;
  const std::uint32_t rec = take_spare();
  if (rec == kNoRecord) return UpsertResult::busy;
  records_[rec] = value;
  // set() publishes with a release store of the entry, after the record written above.
  if (!fallback_.set(key, rec, *qsbr_)) {
    free_spares_.push_back(rec);  // never published: free again at once
    return UpsertResult::busy;
  }
  if (old == kNoRecord) {
    size_.store(size() + 1, std::memory_order_relaxed);
    return UpsertResult::inserted;
  }
  retire(old);
  return UpsertResult::replaced;
}

bool MappingTable::erase(std::uint32_t key) {
  const std::uint32_t slot = pools_.slot_of(key);
  std::uint32_t old = kNoRecord;
  if (slot != kNoSlot) {
    old = writer_slot_record(slot);
    if (old == kNoRecord) return false;
    // Release, like every publication by the writer; 0 names no record.
    states_[slot].store(0, std::memory_order_release);
  } else {
    old = fallback_.erase(key);
    if (old == kNoRecord) return false;
  }
  retire(old);
  size_.store(size() - 1, std::memory_order_relaxed);
  return true;
}

void MappingTable::clear() {
  const auto slots = static_cast<std::uint32_t>(pools_.total_slots());
  for (std::uint32_t slot = 0; slot < slots; ++slot) {
    const std::uint32_t old = writer_slot_record(slot);
    if (old == kNoRecord) continue;
    states_[slot].store(0, std::memory_order_release);  // as in erase()
    retire(old);
  }
  fallback_.clear([this](std::uint32_t rec) { retire(rec); });
  size_.store(0, std::memory_order_relaxed);
}

void MappingTable::for_each(const std::function<void(std::uint32_t, const Ipv6Value&)>& fn) const {
  for (std::size_t i = 0; i < pools_.count(); ++i) {
    const detail::PoolRange& r = pools_.range(i);
    for (std::uint32_t offset = 0; offset < r.size; ++offset) {
      // Writer thread only (the fallback's table choice is writer state); the acquire load is
      // more than the writer needs and costs nothing on x86.
      const std::uint32_t rec = slot_record(r.first_slot + offset);
      if (rec != kNoRecord) fn(r.base + offset, records_[rec]);
    }
  }
  fallback_.for_each([&](std::uint32_t key, std::uint32_t rec) { fn(key, records_[rec]); });
}

std::uint32_t MappingTable::reclaim(std::uint32_t budget) {
  retired_.close_batch(*qsbr_);
  return retired_.drain(*qsbr_, budget, [this](std::uint32_t rec) { release(rec); });
}

std::uint32_t MappingTable::take_spare() {
  if (free_spares_.empty()) return kNoRecord;
  const std::uint32_t rec = free_spares_.back();
  free_spares_.pop_back();
  return rec;
}

// The record is unreachable now; readers may hold it until the grace period ends.
void MappingTable::retire(std::uint32_t record) {
  if (is_home(record)) set_displaced(record - 1, true);
  retired_.push(record);
}

// The record's grace period has passed: no reader holds it.
void MappingTable::release(std::uint32_t record) {
  if (!is_home(record)) {
    free_spares_.push_back(record);  // capacity reserved in init(): never allocates
    return;
  }
  set_displaced(record - 1, false);
  return_home(record - 1);
}

// The home record of slot is free again. If the slot's value sits in a spare, copy it home and
// retire the spare: readers see the same value from either record.
void MappingTable::return_home(std::uint32_t slot) {
  const std::uint32_t cur = writer_slot_record(slot);
  if (cur == kNoRecord) return;
  assert(cur != home_of(slot));  // the home was displaced, so the value cannot be there
  records_[home_of(slot)] = records_[cur];
  // Release: a reader that acquires this state sees the home record written just above.
  states_[slot].store(home_of(slot), std::memory_order_release);
  retire(cur);
}

void MappingTable::set_displaced(std::uint32_t slot, bool on) {
  std::uint64_t& word = displaced_[slot / 64];
  const std::uint64_t bit = std::uint64_t{1} << (slot % 64);
  if (((word & bit) != 0) == on) return;
  word ^= bit;
  homes_displaced_ = on ? homes_displaced_ + 1 : homes_displaced_ - 1;
}

}  // namespace dstm::mapping
