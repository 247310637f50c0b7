// Producer (agent) and Consumer (dataplane) over the segment's SP/SC rte_ring.
//
// Memory ordering, in one place:
//  - Records: rte_ring's SP enqueue stores prod.tail with release after copying the record;
//    the SC dequeue loads prod.tail with acquire before copying it out (and the mirror image
//    for cons.tail), so a dequeued record is always complete. The checksum is a second line
//    of defence against a producer killed between its head and tail updates (repaired below).
//  - last_applied_sequence: the consumer's release store after apply() returned; the
//    producer's acquire load in wait_applied, so "applied" implies the table write is visible.
//  - generations: fetch_add(acq_rel) by the starting side, acquire loads by the other side.
//  - heartbeats and next_sequence: relaxed; nothing is published through them.
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <algorithm>
#include <thread>

#include "shmring/shmring.h"

namespace dstm::shmring {

Producer::Producer(Segment& segment) : segment_(&segment), ring_(segment.ring()) {
  Header& h = segment.header();
  agent_generation_ = h.agent_generation.fetch_add(1, std::memory_order_acq_rel) + 1;
  // A producer killed inside an enqueue leaves prod.head ahead of prod.tail; the slots in
  // between were never published (the consumer reads only prod.tail). Being the only producer,
  // we may move head back, otherwise the next enqueue would publish those garbage slots.
  if (ring_->prod.head != ring_->prod.tail) ring_->prod.head = ring_->prod.tail;
  // Continue after every sequence stamped or applied, so wait_applied never confuses a new
  // record with an old one that had the same number.
  next_sequence_ = std::max(h.next_sequence.load(std::memory_order_relaxed),
                            h.last_applied_sequence.load(std::memory_order_acquire) + 1);
  seen_dataplane_generation_ = h.dataplane_generation.load(std::memory_order_acquire);
}

bool Producer::try_push(const Record& record) {
  // Single producer: free space can only grow under us, so this check makes the enqueue
  // below succeed, and next_sequence is recorded before the record can be seen.
  if (rte_ring_free_count(ring_) == 0) return false;
  Record r = record;
  r.sequence = next_sequence_;
  r.check = record_check(r);
  segment_->header().next_sequence.store(next_sequence_ + 1, std::memory_order_relaxed);
  if (rte_ring_sp_enqueue_elem(ring_, &r, static_cast<unsigned>(kRecordSize)) != 0) return false;
  ++next_sequence_;
  return true;
}

std::uint64_t Producer::last_applied() const {
  return segment_->header().last_applied_sequence.load(std::memory_order_acquire);
}

bool Producer::wait_applied(std::uint64_t seq, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // Short sleeps, growing to 1 ms: a mapping is usually applied within one dataplane poll,
  // and a control-plane thread must not spin a core the dataplane may need.
  auto pause = std::chrono::microseconds(20);
  for (;;) {
    if (last_applied() >= seq) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(1000));
  }
}

bool Producer::generation_changed() {
  const std::uint64_t g = dataplane_generation();
  if (g == seen_dataplane_generation_) return false;
  seen_dataplane_generation_ = g;
  return true;
}

std::uint64_t Producer::dataplane_generation() const {
  return segment_->header().dataplane_generation.load(std::memory_order_acquire);
}

void Producer::heartbeat(std::uint64_t now_ms) {
  segment_->header().agent_heartbeat.store(now_ms, std::memory_order_relaxed);
}

std::uint64_t Producer::dataplane_heartbeat() const {
  return segment_->header().dataplane_heartbeat.load(std::memory_order_relaxed);
}

unsigned Producer::free_slots() const { return rte_ring_free_count(ring_); }

Consumer::Consumer(Segment& segment) : segment_(&segment), ring_(segment.ring()) {
  Header& h = segment.header();
  // A consumer killed inside a dequeue leaves cons.head ahead of cons.tail: those records
  // were copied out but never applied. Moving head back delivers them again (not lost);
  // the producer only reads cons.tail, so this is invisible to it.
  if (ring_->cons.head != ring_->cons.tail) ring_->cons.head = ring_->cons.tail;
  publishable_ = h.last_applied_sequence.load(std::memory_order_relaxed);  // we are its only writer
  generation_ = h.dataplane_generation.fetch_add(1, std::memory_order_acq_rel) + 1;
}

unsigned Consumer::dequeue(Record* out, unsigned max) {
  return rte_ring_sc_dequeue_burst_elem(ring_, out, static_cast<unsigned>(kRecordSize), max, nullptr);
}

bool Consumer::admit(const Record& r) {
  if (!record_intact(r)) {
    ++corrupt_;
    return false;
  }
  if (r.kind == Kind::kSnapshotEnd && !in_snapshot_) {
    // The end of a snapshot whose begin an earlier consumer took: the records before it were
    // applied as plain changes, so they are live; swapping in a partial shadow set would not be.
    publishable_ = std::max(publishable_, r.sequence);
    return false;
  }
  return true;
}

void Consumer::settle(const Record& r) {
  switch (r.kind) {
    case Kind::kSnapshotBegin:
      in_snapshot_ = true;
      break;
    case Kind::kSnapshotEnd:
      in_snapshot_ = false;
      publishable_ = std::max(publishable_, r.sequence);
      break;
    case Kind::kUpsert:
    case Kind::kErase:
      if (!in_snapshot_) publishable_ = std::max(publishable_, r.sequence);
      break;
  }
}

void Consumer::publish_applied(std::uint64_t seq) {
  auto& applied = segment_->header().last_applied_sequence;
  // Relaxed load: this consumer is the only writer. Release store: pairs with wait_applied.
  if (seq > applied.load(std::memory_order_relaxed)) applied.store(seq, std::memory_order_release);
}

void Consumer::heartbeat(std::uint64_t now_ms) {
  segment_->header().dataplane_heartbeat.store(now_ms, std::memory_order_relaxed);
}

std::uint64_t Consumer::agent_heartbeat() const {
  return segment_->header().agent_heartbeat.load(std::memory_order_relaxed);
}

std::uint64_t Consumer::agent_generation() const {
  return segment_->header().agent_generation.load(std::memory_order_acquire);
}

}  // namespace dstm::shmring
