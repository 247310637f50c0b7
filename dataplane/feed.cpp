#include "feed.h"

#include <thread>
#include <vector>

namespace dstm::dp {

MappingFeed::MappingFeed(shmring::Segment& segment, mapping::MappingTable& table)
    : consumer_(segment), table_(table) {}

unsigned MappingFeed::poll(unsigned max) {
  return consumer_.drain(max, [this](const shmring::Record& r) { apply(r); });
}

void MappingFeed::apply(const shmring::Record& r) {
  switch (r.kind) {
    case shmring::Kind::kUpsert:
      if (collecting_) {
        shadow_[r.ipv4] = mapping::Ipv6Value{r.ipv6};
      } else {
        upsert(r.ipv4, mapping::Ipv6Value{r.ipv6});
      }
      return;
    case shmring::Kind::kErase:
      if (collecting_) {
        shadow_.erase(r.ipv4);
      } else if (table_.erase(r.ipv4)) {
        ++stats_.erases;
      }
      return;
    case shmring::Kind::kSnapshotBegin:  // a second Begin restarts the collection (shmring.h)
      shadow_.clear();
      collecting_ = true;
      return;
    case shmring::Kind::kSnapshotEnd:
      if (collecting_) finish_snapshot();
      return;
  }
}

// A replacement needs a spare record until the old one's grace period ends; workers report
// quiescence every burst, so reclaiming and retrying succeeds within microseconds. The record
// must not be dropped (the agent is waiting for it to be applied), so this waits — on the
// housekeeping thread only, never on a worker.
void MappingFeed::upsert(std::uint32_t ipv4, const mapping::Ipv6Value& ipv6) {
  for (;;) {
    const auto result = table_.upsert(ipv4, ipv6);
    if (result == mapping::UpsertResult::busy) {
      table_.reclaim();
      std::this_thread::yield();
      continue;
    }
    if (result == mapping::UpsertResult::full || result == mapping::UpsertResult::out_of_range) {
      ++stats_.refused;
    } else {
      ++stats_.upserts;
    }
    return;
  }
}

// The snapshot is the whole table (DESIGN.md flow 6): remove what it does not hold, then write
// what it does. Entries present in both are rewritten only when their value changed (the table
// answers `unchanged`), so live mappings never disappear during the swap.
void MappingFeed::finish_snapshot() {
  std::vector<std::uint32_t> stale;
  table_.for_each([this, &stale](std::uint32_t key, const mapping::Ipv6Value&) {
    if (shadow_.find(key) == shadow_.end()) stale.push_back(key);
  });
  for (std::uint32_t key : stale) {
    if (table_.erase(key)) ++stats_.erases;
  }
  for (const auto& [key, value] : shadow_) upsert(key, value);
  shadow_.clear();
  collecting_ = false;
  ++stats_.snapshots;
}

}  // namespace dstm::dp
