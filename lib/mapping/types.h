// Plain value types of the mapping table's API. No DPDK and no lib/net here, so that this
// library does not wait for lib/net and the control plane can name these types freely.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace dstm::mapping {

// The node's IPv6 address, network byte order, exactly as the encapsulation writes it into the
// outer header. Callers convert from dstm::net::Ipv6Address (a std::array<std::uint8_t, 16> in
// network order) with `Ipv6Value{addr}` and back with `.bytes`. Aligned to 16 so one copy is
// one vector load/store, and so a record never straddles a cache line.
struct alignas(16) Ipv6Value {
  std::array<std::uint8_t, 16> bytes{};
  friend bool operator==(const Ipv6Value&, const Ipv6Value&) = default;
};
static_assert(sizeof(Ipv6Value) == 16);

// An address pool: `base/prefix_len`, base in host byte order with no host bits set. Every
// address of a pool owns a slot, whether mapped or not (DSTM servers lease from such pools).
struct Pool {
  std::uint32_t base = 0;
  std::uint8_t prefix_len = 32;
};

inline constexpr std::size_t kMaxPools = 64;
// Upper bound for Config::max_entries: 2^28 keeps every record index, plus the small offsets
// the state encodings add, inside 32 bits with room to spare. A /8 pool is 2^24.
inline constexpr std::uint32_t kMaxEntries = 1u << 28;
inline constexpr unsigned kMaxReaders = 1024;

struct Config {
  std::vector<Pool> pools;                 // at most kMaxPools, non-overlapping
  std::uint32_t max_entries = 1u << 24;    // pool addresses + fallback_capacity must fit
  std::uint32_t fallback_capacity = 0;     // keys outside every pool; 0: those are out_of_range
  std::uint32_t spare_records = 1u << 12;  // replaced values awaiting a grace period (>= 1)
  unsigned max_readers = 16;               // reader ids are 0 .. max_readers-1
};

enum class UpsertResult : std::uint8_t {
  inserted,      // the key had no value
  replaced,      // the key had another value
  unchanged,     // the key already had this value; nothing was written
  full,          // the key is outside the pools and the fallback holds fallback_capacity keys
  out_of_range,  // the key is outside the pools and there is no fallback
  busy,          // every spare record awaits a grace period: readers must report quiescence;
                 // call reclaim() and retry. Nothing was changed.
};

constexpr std::string_view to_string(UpsertResult r) {
  switch (r) {
    case UpsertResult::inserted:
      return "inserted";
    case UpsertResult::replaced:
      return "replaced";
    case UpsertResult::unchanged:
      return "unchanged";
    case UpsertResult::full:
      return "full";
    case UpsertResult::out_of_range:
      return "out-of-range";
    case UpsertResult::busy:
      return "busy";
  }
  return "?";
}

// Writer-side counters, for tests and the operator's `show mapping` view.
struct Stats {
  std::size_t size = 0;               // mapped keys
  std::size_t fallback_size = 0;      // of which outside the pools
  std::size_t pool_slots = 0;         // addresses covered by the pools
  std::size_t spare_total = 0;        // records beyond the homes: fallback values + spares
  std::size_t spare_free = 0;         // of which free now
  std::size_t retired = 0;            // records awaiting a grace period
  std::size_t homes_displaced = 0;    // pool slots whose home record awaits a grace period
  std::size_t fallback_rebuilds = 0;  // tombstone purges of the fallback table
};

}  // namespace dstm::mapping
