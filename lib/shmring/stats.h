// dstm::shmring stats — the dataplane's counters and status in shared memory (issue #4), read
// by dstm-agent and dstmctl without disturbing the fast path. Public header of its own beside
// shmring.h: the readers need only this one; DPDK-free.
//
// One segment, "/<control.shm>-stats", CREATED by the dataplane (it owns it: a restarted
// dataplane replaces the one its killed predecessor left) and attached read-only by readers:
//
//   StatsHeader                      write-once identity + status lines (one writer: main lcore)
//   StatsCounterName[counter_count]  self-describing: names and descriptions, written at creation
//                                    from the dataplane's counters.def, so readers need no copy
//   StatsPool[pool_count]            the configured pools
//   per worker lcore, block_bytes apart, cache-line aligned (one writer each):
//     StatsLcoreHeader               lcore id, rx and tx packet totals
//     u64 packets[counter_count]     each counter's packets ...
//     u64 bytes[counter_count]       ... and bytes
//
// The workers' counters live IN the segment, so publishing them costs nothing on the fast
// path: each worker does a relaxed load + store of its own words (no locked read-modify-write,
// no shared cache line), readers sum the lcores with relaxed loads. A counter is a monotonic
// u64 word written by one thread; a reader may see one lcore's words a little older than
// another's, never a torn word (8-byte aligned, lock-free atomic_ref).
//
// Addressed by offset, never by pointer: each process maps the segment at its own address.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/expected.h"

namespace dstm::shmring {

// The one source of truth for the stats layout. Bump kStatsLayoutVersion on ANY change to the
// structs below or the order of the regions; readers refuse other versions.
inline constexpr std::uint64_t kStatsMagic = 0x54415453'4d545344ULL;  // "DSTMSTAT", little endian
inline constexpr std::uint32_t kStatsLayoutVersion = 1;
inline constexpr std::size_t kStatsLine = 64;
inline constexpr std::size_t kCounterNameBytes = 64;          // NUL-terminated
inline constexpr std::size_t kCounterDescriptionBytes = 128;  // NUL-terminated
// Sanity bounds a reader checks before trusting sizes from the segment.
inline constexpr std::uint32_t kMaxStatsCounters = 4096;
inline constexpr std::uint32_t kMaxStatsLcores = 1024;
inline constexpr std::uint32_t kMaxStatsPools = 4096;
// A writer whose heartbeat is older than this is taken for dead when a new one starts.
inline constexpr std::uint64_t kStaleHeartbeatMs = 5000;

struct StatsHeader {
  // Line 0: layout, written once by the creator. `magic` is stored last with release order;
  // a reader loads it with acquire, so a non-zero magic means everything below, the name table
  // and the pool list included, is visible.
  alignas(kStatsLine) std::atomic<std::uint64_t> magic;
  std::uint32_t layout_version;
  std::uint32_t header_bytes;   // sizeof(StatsHeader)
  std::uint64_t segment_bytes;  // total size the creator truncated the segment to
  std::uint32_t counter_count;
  std::uint32_t lcore_count;
  std::uint32_t pool_count;
  std::uint32_t block_bytes;    // distance between two lcore blocks, a multiple of kStatsLine
  std::uint64_t names_offset;   // StatsCounterName[counter_count]
  std::uint64_t pools_offset;   // StatsPool[pool_count]
  std::uint64_t blocks_offset;  // lcore blocks, kStatsLine aligned

  // Line 1: identity, written once by the creator.
  alignas(kStatsLine) std::int64_t pid;
  std::uint64_t start_unix_ms;       // CLOCK_REALTIME at creation, for display
  std::uint64_t start_monotonic_ms;  // CLOCK_MONOTONIC (shmring::monotonic_ms), for uptime
  std::uint64_t mapping_capacity;    // table entries (config table.capacity)

  // Line 2: status, written by the dataplane's main lcore every housekeeping round; relaxed
  // (each is a value on its own: nothing else is published through it).
  alignas(kStatsLine) std::atomic<std::uint64_t> dataplane_generation;  // from the mapping segment; 0: not attached
  std::atomic<std::uint64_t> heartbeat_ms;                             // monotonic ms; set at creation too
  std::atomic<std::uint64_t> mappings;                                 // entries in the table now
  std::atomic<std::uint64_t> last_applied_sequence;                    // of the agent's ring
};
static_assert(sizeof(StatsHeader) == 3 * kStatsLine, "StatsHeader is part of the stats layout");
static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "atomics in shared memory must be lock-free");

struct StatsCounterName {
  char name[kCounterNameBytes];
  char description[kCounterDescriptionBytes];
};
static_assert(sizeof(StatsCounterName) == 192, "StatsCounterName is part of the stats layout");

struct StatsPool {
  std::uint32_t network;  // host byte order
  std::uint8_t length;    // prefix length 0..32
  std::uint8_t reserved[3];
};
static_assert(sizeof(StatsPool) == 8, "StatsPool is part of the stats layout");

// The first line of an lcore block; the counter arrays follow it.
struct alignas(kStatsLine) StatsLcoreHeader {
  std::uint32_t lcore_id;
  std::uint32_t reserved;
  std::uint64_t rx_packets;  // received by this lcore (all ports); atomic_ref, one writer
  std::uint64_t tx_packets;  // handed to a TX queue by this lcore
};
static_assert(sizeof(StatsLcoreHeader) == kStatsLine, "StatsLcoreHeader is part of the stats layout");

// Bytes of one lcore block for n counters: header line + packets + bytes, cache-line rounded.
constexpr std::uint32_t stats_block_bytes(std::uint32_t counters) {
  const std::uint64_t raw = kStatsLine + 16ULL * counters;
  return static_cast<std::uint32_t>((raw + kStatsLine - 1) / kStatsLine * kStatsLine);
}

// What the writer is created with.
struct CounterDescription {
  std::string name;
  std::string description;
};
struct PoolDescription {
  std::uint32_t network = 0;  // host byte order
  std::uint8_t length = 0;
};
struct StatsLayout {
  std::vector<CounterDescription> counters;  // each name < kCounterNameBytes, description < kCounterDescriptionBytes
  std::vector<std::uint32_t> lcores;         // one block per entry: the worker's lcore id
  std::vector<PoolDescription> pools;
  std::uint64_t mapping_capacity = 0;
};

// One worker lcore's words, for that worker to write (through atomic_ref: one writer each,
// relaxed load + store). Plain pointers into the mapping; valid while the StatsWriter lives.
struct LcoreWords {
  std::uint64_t* rx_packets = nullptr;
  std::uint64_t* tx_packets = nullptr;
  std::uint64_t* packets = nullptr;  // [counter_count]
  std::uint64_t* bytes = nullptr;    // [counter_count]
};

// The dataplane's side. Move-only; the destructor unmaps and, for a named segment, unlinks it
// (a dataplane that exits cleanly leaves no stale stats; a killed one's are replaced by the
// next start).
class StatsWriter {
 public:
  // Creates "/name" (O_EXCL). If the name exists and belongs to a process that is gone, has
  // not written its heartbeat for kStaleHeartbeatMs, or never finished creating it, it is
  // replaced; if its dataplane still runs, that is an error.
  static Expected<StatsWriter, std::string> create(std::string_view name, const StatsLayout& layout);
  // The same layout in private anonymous memory: the counters work, nobody else can read them
  // (a dataplane without [control]).
  static Expected<StatsWriter, std::string> create_private(const StatsLayout& layout);

  StatsWriter(StatsWriter&& other) noexcept;
  StatsWriter& operator=(StatsWriter&& other) noexcept;
  StatsWriter(const StatsWriter&) = delete;
  StatsWriter& operator=(const StatsWriter&) = delete;
  ~StatsWriter();

  LcoreWords lcore(std::uint32_t index);  // index into StatsLayout::lcores
  std::uint32_t lcore_count() const { return header().lcore_count; }
  std::uint32_t counter_count() const { return header().counter_count; }
  StatsHeader& header() { return *static_cast<StatsHeader*>(base_); }
  const StatsHeader& header() const { return *static_cast<const StatsHeader*>(base_); }
  const std::string& name() const { return name_; }  // empty for create_private
  std::size_t size_bytes() const { return bytes_; }

 private:
  StatsWriter(void* base, std::size_t bytes, std::string name) : base_(base), bytes_(bytes), name_(std::move(name)) {}
  static Expected<StatsWriter, std::string> build(void* base, std::size_t bytes, std::string name,
                                                  const StatsLayout& layout);
  void close();  // unmap, and unlink a named segment
  void* base_ = nullptr;
  std::size_t bytes_ = 0;
  std::string name_;
};

// What a reader sees at one moment.
struct LcoreSnapshot {
  std::uint32_t lcore_id = 0;
  std::uint64_t rx_packets = 0;
  std::uint64_t tx_packets = 0;
  std::vector<std::uint64_t> packets;  // [counter], StatsReader::counters() order
  std::vector<std::uint64_t> bytes;
};
struct StatsSnapshot {
  std::int64_t pid = 0;
  std::uint64_t start_unix_ms = 0;
  std::uint64_t start_monotonic_ms = 0;
  std::uint64_t mapping_capacity = 0;
  std::uint64_t dataplane_generation = 0;
  std::uint64_t heartbeat_ms = 0;
  std::uint64_t mappings = 0;
  std::uint64_t last_applied_sequence = 0;
  std::uint64_t taken_monotonic_ms = 0;  // when this snapshot was read (rates: sample twice)
  std::vector<LcoreSnapshot> lcores;
  std::vector<std::uint64_t> packets;  // summed over lcores
  std::vector<std::uint64_t> bytes;
  std::uint64_t rx_packets = 0;  // summed over lcores
  std::uint64_t tx_packets = 0;
};

// dstm-agent's and dstmctl's side: maps the segment read-only and validates it.
class StatsReader {
 public:
  static Expected<StatsReader, std::string> attach(std::string_view name);

  StatsReader(StatsReader&& other) noexcept;
  StatsReader& operator=(StatsReader&& other) noexcept;
  StatsReader(const StatsReader&) = delete;
  StatsReader& operator=(const StatsReader&) = delete;
  ~StatsReader();

  const std::vector<CounterDescription>& counters() const { return counters_; }  // copied at attach
  const std::vector<PoolDescription>& pools() const { return pools_; }
  StatsSnapshot snapshot() const;
  // True when "/name" now names another segment (the dataplane restarted, or is gone): the
  // snapshot() of this mapping is frozen; attach again.
  bool replaced() const;

 private:
  StatsReader(const void* base, std::size_t bytes, std::string name, std::uint64_t inode)
      : base_(base), bytes_(bytes), name_(std::move(name)), inode_(inode) {}
  const StatsHeader& header() const { return *static_cast<const StatsHeader*>(base_); }
  const void* base_ = nullptr;
  std::size_t bytes_ = 0;
  std::string name_;
  std::uint64_t inode_ = 0;
  std::vector<CounterDescription> counters_;
  std::vector<PoolDescription> pools_;
};

}  // namespace dstm::shmring
