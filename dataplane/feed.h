// The dataplane's side of the control-plane feed (DESIGN.md flows 1, 3, 6): applies the
// dstm-agent's update records from lib/shmring to the mapping table. Runs on the table's one
// writer (the housekeeping thread), never on a worker; bounded work per poll().
#pragma once

#include <cstdint>
#include <unordered_map>

#include "mapping/mapping.h"
#include "shmring/shmring.h"

namespace dstm::dp {

struct FeedStats {
  std::uint64_t upserts = 0;
  std::uint64_t erases = 0;
  std::uint64_t snapshots = 0;  // completed snapshot swaps
  std::uint64_t refused = 0;    // upserts the table refused (full / out of range): logged by the caller
};

class MappingFeed {
 public:
  // Attaching as the Consumer bumps the segment's dataplane generation: a running agent sees it
  // and replays its whole mapping set as a snapshot.
  MappingFeed(shmring::Segment& segment, mapping::MappingTable& table);

  // Applies at most `max` records; returns how many were taken off the ring.
  unsigned poll(unsigned max = 1024);
  const FeedStats& stats() const { return stats_; }
  std::uint64_t generation() const { return consumer_.generation(); }
  // "This dataplane is alive" for the agent (relaxed, informational; monotonic ms).
  void heartbeat(std::uint64_t now_ms) { consumer_.heartbeat(now_ms); }

 private:
  void apply(const shmring::Record& record);
  void upsert(std::uint32_t ipv4, const mapping::Ipv6Value& ipv6);
  void finish_snapshot();

  shmring::Consumer consumer_;
  mapping::MappingTable& table_;
  std::unordered_map<std::uint32_t, mapping::Ipv6Value> shadow_;  // the snapshot being received
  bool collecting_ = false;
  FeedStats stats_;
};

}  // namespace dstm::dp
