// The agent's end of the shared-memory ring (lib/shmring): a FIFO of records not yet pushed,
// pumped into the ring as room allows, so a full ring never loses an update and never makes
// the agent wait (issue #4: "the producer waits or falls back to a snapshot").
//
// Sequence numbers are known at enqueue time: the Producer stamps consecutive sequences and
// the FIFO is pushed in order, so the record enqueued with `pending` records before it will
// carry next_sequence() + pending. A caller waits for that sequence to be applied.
// A snapshot drops everything still pending (the snapshot carries the whole set, so it
// subsumes them) and bumps epoch(): waiters from an older epoch wait for snapshot_end().
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "mapping_store.h"
#include "shmring/shmring.h"
#include "util/expected.h"

namespace dstm::agent {

class RingFeed {
 public:
  // Attaches to the segment when it exists (the dataplane keeps its table across an agent
  // restart), else creates it with `capacity` slots. A segment of another layout is an error:
  // the operator removes it (/dev/shm/NAME) after stopping the dataplane.
  static Expected<std::unique_ptr<RingFeed>, std::string> open(const std::string& name,
                                                               std::uint32_t capacity);

  std::uint64_t enqueue_upsert(const Mapping& m);
  std::uint64_t enqueue_erase(net::Ipv4Address ipv4);
  std::uint64_t enqueue_snapshot(const MappingSet& set);

  // Pushes pending records while the ring has room; returns how many were pushed.
  std::size_t pump();
  // True once per dataplane restart (a new dataplane_generation): replay a snapshot.
  bool dataplane_restarted() { return producer_.generation_changed(); }
  void heartbeat() { producer_.heartbeat(); }

  std::uint64_t applied() const { return producer_.last_applied(); }
  bool is_applied(std::uint64_t seq) const { return producer_.last_applied() >= seq; }
  // The sequence of the last record enqueued (0 if none yet): "everything so far is live".
  std::uint64_t last_enqueued() const { return producer_.next_sequence() + pending_.size() - 1; }
  std::uint64_t epoch() const { return epoch_; }
  std::uint64_t snapshot_end() const { return snapshot_end_; }
  std::size_t pending() const { return pending_.size(); }

  std::uint64_t dataplane_generation() const { return producer_.dataplane_generation(); }
  std::uint64_t agent_generation() const { return producer_.agent_generation(); }
  std::uint64_t next_sequence() const { return producer_.next_sequence(); }
  // Milliseconds since the dataplane's last heartbeat; nullopt if it never wrote one.
  std::optional<std::uint64_t> dataplane_heartbeat_age_ms() const;
  const std::string& name() const { return segment_.name(); }

 private:
  RingFeed(shmring::Segment segment);
  std::uint64_t enqueue(const shmring::Record& r);

  shmring::Segment segment_;
  shmring::Producer producer_;  // after segment_: points into it
  std::deque<shmring::Record> pending_;
  std::uint64_t epoch_ = 0;
  std::uint64_t snapshot_end_ = 0;
};

}  // namespace dstm::agent
