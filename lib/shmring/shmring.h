// dstm::shmring — the control plane -> dataplane channel in POSIX shared memory.
//
// One segment: a versioned Header at offset 0, then a single-producer / single-consumer
// rte_ring of fixed-size Records at header().ring_offset. Everything in the segment is
// addressed by offset, never by pointer: each process maps it at its own address.
//
// Roles (DESIGN.md flows 1, 3, 6):
//   - dstm-agent creates the segment (it starts first and owns the authoritative mapping set)
//     and is the one Producer. It never calls rte_eal_init; only rte_ring_init and the inline
//     ring functions are used, on plain shm_open/mmap memory.
//   - dstm-dataplane attaches and is the one Consumer. Constructing the Consumer bumps
//     dataplane_generation; the agent sees that through Producer::generation_changed() and
//     replays the whole set as a snapshot.
//   - Either side may restart while the other keeps running: the segment outlives both.
//
// The dataplane's counters and status travel the other way, in a second segment the dataplane
// creates: see shmring/stats.h (StatsWriter / StatsReader), the public header for readers.
//
// Snapshot semantics: the records between kSnapshotBegin and kSnapshotEnd are the whole
// table. The dataplane must collect them into a shadow set and swap it in at kSnapshotEnd
// (a second kSnapshotBegin restarts the collection), so no stale entry is forwarded and no
// entry disappears half-way. The swap itself is the dataplane's job, not this library's.
// Consumer::drain does not publish the sequences of records inside an open snapshot, so
// wait_applied(seq) returns only once the record is really live.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "util/expected.h"

struct rte_ring;  // DPDK's; the public header includes no DPDK header.

namespace dstm::shmring {

// The one source of truth for the segment layout. Bump kLayoutVersion on ANY change to
// Header or Record (field order, size, meaning); attach() refuses other versions.
inline constexpr std::uint64_t kMagic = 0x474e5252'4d545344ULL;  // "DSTMRRNG", little endian
inline constexpr std::uint32_t kLayoutVersion = 1;
inline constexpr std::size_t kRecordSize = 32;
inline constexpr std::size_t kCacheLine = 64;
// Bounds for capacity: at least one slot, and far below rte_ring's 2^31 limit so a wrong
// argument cannot ask for gigabytes of shared memory.
inline constexpr std::uint32_t kMaxCapacity = 1U << 24;

enum class Kind : std::uint8_t {
  kUpsert = 1,         // map ipv4 -> ipv6 (replace any old entry)
  kErase = 2,          // unmap ipv4; ipv6 is ignored
  kSnapshotBegin = 3,  // start of a full replay; ipv4/ipv6 ignored
  kSnapshotEnd = 4,    // end of a full replay: swap the shadow set in
};

// One ring element. `check` is stamped by the Producer and verified by the Consumer, so a
// record that was never fully written (a producer killed mid-push) is never applied.
struct Record {
  std::uint64_t sequence = 0;  // stamped by Producer::try_push, strictly increasing
  std::uint32_t ipv4 = 0;      // host byte order
  Kind kind = Kind::kUpsert;
  std::uint8_t reserved = 0;
  std::uint16_t check = 0;     // record_check() of every other field
  std::array<std::uint8_t, 16> ipv6{};  // network byte order, as on the wire
};
static_assert(sizeof(Record) == kRecordSize, "Record is part of the shm layout");
static_assert(std::is_trivially_copyable_v<Record>, "Record is copied byte-wise by rte_ring");

// 16-bit checksum over all fields except `check` (FNV-1a folded). Detects torn records.
std::uint16_t record_check(const Record& r);
inline bool record_intact(const Record& r) { return r.check == record_check(r); }

// The segment header. Lines are grouped by writer: the agent never writes a dataplane line and
// vice versa, so a poll by one side never steals a line the other side is writing.
struct Header {
  // Line 0: written once by the creator, read-only afterwards. `magic` is stored last with
  // release order; attach() loads it with acquire, so a non-zero magic means every other
  // field (and the initialised ring) is visible.
  alignas(kCacheLine) std::atomic<std::uint64_t> magic;
  std::uint32_t layout_version;
  std::uint32_t record_size;
  std::uint32_t capacity;       // usable slots of the ring
  std::uint32_t reserved0;
  std::uint64_t ring_offset;    // from the segment base
  std::uint64_t ring_bytes;
  std::uint64_t segment_bytes;  // total size the creator truncated the segment to

  // Line 1 (dataplane writes, agent polls in wait_applied): the hot one, alone.
  // release store after applying / acquire load before trusting "seq is live".
  alignas(kCacheLine) std::atomic<std::uint64_t> last_applied_sequence;

  // Line 2 (dataplane writes, cold).
  // dataplane_generation: fetch_add(acq_rel) on every dataplane start; the agent's acquire
  // load orders its snapshot replay after the new consumer exists.
  alignas(kCacheLine) std::atomic<std::uint64_t> dataplane_generation;
  std::atomic<std::uint64_t> dataplane_heartbeat;  // monotonic ms; relaxed, informational

  // Line 3 (agent writes, cold).
  alignas(kCacheLine) std::atomic<std::uint64_t> agent_generation;  // fetch_add on agent start
  std::atomic<std::uint64_t> agent_heartbeat;                       // monotonic ms; relaxed
  // Next sequence the producer will stamp; relaxed, read only by a restarted producer so that
  // sequences keep increasing across agent restarts (wait_applied depends on it).
  std::atomic<std::uint64_t> next_sequence;
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "atomics in shared memory must be lock-free (hence address-free)");
static_assert(sizeof(Header) == 4 * kCacheLine, "Header is part of the shm layout");

// CLOCK_MONOTONIC in milliseconds: one clock for every process on the host, so heartbeats
// written by one process are comparable by another.
std::uint64_t monotonic_ms();

// A mapped segment. Move-only; the destructor unmaps (it never unlinks: the name outlives a
// process on purpose, so the other side can restart and attach again).
class Segment {
 public:
  // Creates "/name" with O_EXCL (fails if it exists: attach to it, or unlink a stale one).
  // capacity = usable records, 1..kMaxCapacity.
  static Expected<Segment, std::string> create(std::string_view name, std::uint32_t capacity);
  // Same on an already-open, empty fd (e.g. memfd_create). The fd stays the caller's (not
  // closed, not kept): the mapping alone keeps the memory.
  static Expected<Segment, std::string> create_fd(int fd, std::uint32_t capacity);
  // Maps an existing segment and validates magic, layout version, record size and sizes.
  static Expected<Segment, std::string> attach(std::string_view name);
  static Expected<Segment, std::string> attach_fd(int fd);
  // shm_unlink("/name"); true if it existed and was removed.
  static bool unlink(std::string_view name);

  Segment(Segment&& other) noexcept;
  Segment& operator=(Segment&& other) noexcept;
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;
  ~Segment();

  Header& header() { return *static_cast<Header*>(base_); }
  const Header& header() const { return *static_cast<const Header*>(base_); }
  std::uint32_t capacity() const { return header().capacity; }
  std::size_t size_bytes() const { return bytes_; }
  const std::string& name() const { return name_; }
  rte_ring* ring() const;  // for this library's own sources

 private:
  Segment(void* base, std::size_t bytes, std::string name) : base_(base), bytes_(bytes), name_(std::move(name)) {}
  static Expected<Segment, std::string> create_on(int fd, std::uint32_t capacity, std::string name);
  static Expected<Segment, std::string> attach_on(int fd, std::string name);
  void* base_ = nullptr;
  std::size_t bytes_ = 0;
  std::string name_;  // for error messages; "fd:N" for fd-based segments
};

// The agent's side. Exactly one Producer may exist per segment at a time (single-producer
// ring); a new one after a crash repairs the ring's producer side first (see constructor).
// It keeps a pointer to the Segment: the Segment must outlive it and must not be moved.
class Producer {
 public:
  // Bumps agent_generation, rolls back a push the previous producer left half-done, and
  // continues the sequence after every sequence ever stamped or applied.
  explicit Producer(Segment& segment);

  // Stamps record.sequence = next_sequence() and record.check, then enqueues. Returns false
  // (and changes nothing) when the ring is full: it never waits, so it never stalls on the
  // dataplane. The caller decides to retry later or to fall back to a snapshot.
  bool try_push(const Record& record);
  // The sequence the next successful try_push will stamp.
  std::uint64_t next_sequence() const { return next_sequence_; }
  // Polls last_applied_sequence (acquire) with short sleeps until it reaches seq; false on
  // timeout. After a false, check generation_changed(): a restarted dataplane needs a replay.
  bool wait_applied(std::uint64_t seq, std::chrono::milliseconds timeout) const;
  std::uint64_t last_applied() const;
  // True once for each change of dataplane_generation since construction or the last true:
  // the dataplane restarted and the agent must replay the whole set as a snapshot.
  bool generation_changed();
  std::uint64_t dataplane_generation() const;
  std::uint64_t agent_generation() const { return agent_generation_; }
  void heartbeat(std::uint64_t now_ms = monotonic_ms());
  std::uint64_t dataplane_heartbeat() const;
  unsigned free_slots() const;

 private:
  Segment* segment_;
  rte_ring* ring_;
  std::uint64_t next_sequence_ = 1;
  std::uint64_t seen_dataplane_generation_ = 0;
  std::uint64_t agent_generation_ = 0;
};

// The dataplane's side (its update thread). Exactly one Consumer per segment at a time.
// It keeps a pointer to the Segment: the Segment must outlive it and must not be moved.
class Consumer {
 public:
  // Bumps dataplane_generation (this is "the dataplane started") and rolls back a dequeue the
  // previous consumer left half-done, so those records are delivered again, not lost.
  explicit Consumer(Segment& segment);

  // Takes at most `max` records off the ring (returns how many) and calls apply(const Record&)
  // for each intact one, in sequence order. After each burst it publishes (release) the last
  // sequence applied outside an open snapshot; a snapshot's records are published with its
  // kSnapshotEnd, once the dataplane has swapped the shadow set in (inside apply). Bounded so the dataplane's poll loop keeps
  // its latency. Records failing their checksum are skipped and counted (corrupt_records());
  // a kSnapshotEnd whose kSnapshotBegin an earlier consumer took is not passed to apply.
  // apply must clear its shadow set on every kSnapshotBegin and swap it in on kSnapshotEnd.
  template <class F>
  unsigned drain(unsigned max, F&& apply) {
    std::array<Record, kBurst> burst;
    unsigned done = 0;
    while (done < max) {
      const unsigned n = dequeue(burst.data(), max - done < kBurst ? max - done : kBurst);
      if (n == 0) break;
      for (unsigned i = 0; i < n; ++i) {
        const Record& r = burst[i];
        if (!admit(r)) continue;
        apply(r);
        settle(r);
      }
      publish_applied(publishable_);  // once per burst: one store to the agent-polled line
      done += n;
    }
    return done;
  }
  // Release store of seq (only ever increases). drain() calls it; exposed for a dataplane
  // that applies records itself.
  void publish_applied(std::uint64_t seq);
  std::uint64_t generation() const { return generation_; }
  void heartbeat(std::uint64_t now_ms = monotonic_ms());
  std::uint64_t agent_heartbeat() const;
  std::uint64_t agent_generation() const;
  std::uint64_t corrupt_records() const { return corrupt_; }
  bool in_snapshot() const { return in_snapshot_; }

 private:
  static constexpr unsigned kBurst = 32;
  unsigned dequeue(Record* out, unsigned max);
  bool admit(const Record& r);   // false: corrupt (counted) or a snapshot end without its begin
  void settle(const Record& r);  // snapshot state; advances publishable_

  Segment* segment_;
  rte_ring* ring_;
  std::uint64_t generation_ = 0;
  std::uint64_t corrupt_ = 0;
  bool in_snapshot_ = false;
  std::uint64_t publishable_ = 0;  // highest sequence that is live, not yet necessarily published
};

}  // namespace dstm::shmring
