// Per-node tunnel MTUs learned from ICMPv6 Packet Too Big (RFC 2473 §8, RFC 8201 §4, case 34),
// shared by every worker without locks, aged like Linux's PMTU entries (ip6_rt_mtu_expires).
//
// The choice: a fixed, direct-hashed table of 4096 std::atomic<uint64_t> slots, linear probing
// over 8, keyed by the node's IPv4 lease. One word per entry (IPv4 32 bits | inner MTU 16 |
// time stamp 16, in seconds modulo 2^16), so a reader never sees a key with another key's MTU,
// and every change is one compare-and-swap: any worker may write (a PTB arrives on whichever
// queue RSS picks), the main lcore ages. It is a cache: when all 8 probed slots hold other live
// nodes, the oldest is replaced, and a node that loses its entry just falls back to
// tep.tunnel_mtu until its path reports again. The mapping table is not touched (it has one
// writer, and PMTU is soft state that must not outlive a lease's meaning anyway).
// Expiry is exact as long as the main lcore ages the table at least once per 2^16 s (it does
// every second); 0.0.0.0 is never a key, so 0 is the empty slot.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>

namespace dstm::dp {

class PathMtuCache {
 public:
  static constexpr unsigned kSlots = 4096;
  static constexpr unsigned kProbe = 8;

  // The MTU (largest inner IPv4 packet) for `ipv4` if an entry younger than expiry_s exists.
  std::optional<std::uint16_t> lookup(std::uint32_t ipv4, std::uint16_t now_s, std::uint16_t expiry_s) const;
  // Records `mtu` for `ipv4`. RFC 8201 §4: never raises a live estimate (a larger report than
  // the entry holds is ignored, the entry keeps its age).
  void update(std::uint32_t ipv4, std::uint16_t mtu, std::uint16_t now_s, std::uint16_t expiry_s);
  // Clears the entries not younger than expiry_s; returns how many. Main lcore, every second.
  unsigned age(std::uint16_t now_s, std::uint16_t expiry_s);
  // False until the first update: workers skip the lookup while nothing was ever learned.
  bool used() const { return used_.load(std::memory_order_relaxed); }

 private:
  static constexpr std::uint64_t pack(std::uint32_t ipv4, std::uint16_t mtu, std::uint16_t stamp) {
    return (std::uint64_t{ipv4} << 32) | (std::uint64_t{mtu} << 16) | stamp;
  }
  static constexpr std::uint32_t key_of(std::uint64_t w) { return static_cast<std::uint32_t>(w >> 32); }
  static constexpr std::uint16_t mtu_of(std::uint64_t w) { return static_cast<std::uint16_t>(w >> 16); }
  static constexpr std::uint16_t stamp_of(std::uint64_t w) { return static_cast<std::uint16_t>(w); }
  static constexpr std::uint16_t age_of(std::uint64_t w, std::uint16_t now_s) {
    return static_cast<std::uint16_t>(now_s - stamp_of(w));
  }
  static unsigned home(std::uint32_t ipv4) { return (ipv4 * 2654435761u) >> 20; }  // Fibonacci, 12 bits

  std::array<std::atomic<std::uint64_t>, kSlots> slots_{};
  std::atomic<bool> used_{false};
};
static_assert(PathMtuCache::kSlots == 1u << 12, "home() yields 12 bits");

}  // namespace dstm::dp
