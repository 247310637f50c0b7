// Resolving the two next hops (the IPv6 router toward the nodes, the IPv4 router toward the
// internet) when the configuration gives no static MAC: ARP (RFC 826) and Neighbor Discovery
// (RFC 4861 §7.2), with a small subset of Neighbor Unreachability Detection (§7.3).
//
// Who does what (dataplane/README.md "Next-hop resolution"):
// - the main lcore runs one NextHopResolver per side: it decides when to send an ARP request or
//   a neighbour solicitation, and when a silent gateway is declared unreachable;
// - workers parse the answers (hear_arp(), hear_neighbour()) and publish the MAC at once into
//   the side's NextHopWord, which every worker reads once per burst. No lock anywhere: the word
//   is one std::atomic<uint64_t> holding MAC, valid bit and a confirmation sequence.
// Nothing here needs DPDK, so the builders, parsers and the state machine are unit-tested.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>

#include "net/net.h"
#include "packet/packet_buf.h"

namespace dstm::dp {

// 48-bit MAC in bits 0..47, valid in bit 48, a 15-bit confirmation sequence in bits 49..63 that
// every publication bumps, so that the main lcore sees a reply even when the MAC is unchanged.
struct NextHopState {
  net::MacAddress mac;
  bool valid = false;
  std::uint16_t sequence = 0;  // 15 bits

  static constexpr std::uint64_t kValidBit = std::uint64_t{1} << 48;
  static constexpr unsigned kSequenceShift = 49;
  static constexpr std::uint16_t kSequenceMask = 0x7FFF;

  constexpr std::uint64_t pack() const {
    std::uint64_t w = 0;
    for (unsigned i = 0; i < net::MacAddress::kSize; ++i) w = (w << 8) | mac.bytes()[i];
    if (valid) w |= kValidBit;
    return w | (std::uint64_t{static_cast<std::uint16_t>(sequence & kSequenceMask)} << kSequenceShift);
  }
  static constexpr NextHopState unpack(std::uint64_t w) {
    net::MacAddress::Bytes b{};
    for (unsigned i = 0; i < net::MacAddress::kSize; ++i) {
      b[net::MacAddress::kSize - 1 - i] = static_cast<std::uint8_t>(w >> (8 * i));
    }
    return NextHopState{net::MacAddress(b), (w & kValidBit) != 0,
                        static_cast<std::uint16_t>((w >> kSequenceShift) & kSequenceMask)};
  }
};

// The published next hop of one side. Readers: every worker, once per burst. Writers: workers
// that heard the gateway (publish) and the main lcore (static MAC at start-up; invalidate after
// failed re-validation, by compare-and-swap so that a fresh publication is never lost).
class NextHopWord {
 public:
  NextHopState load() const { return NextHopState::unpack(word_.load(std::memory_order_acquire)); }
  std::uint64_t load_raw() const { return word_.load(std::memory_order_acquire); }
  // A fresh confirmation of `mac` (sequence + 1). Concurrent publishers of the same gateway may
  // lose each other's bump; either way the word is valid with the gateway's MAC.
  void publish(const net::MacAddress& mac) {
    NextHopState s = load();
    s.mac = mac;
    s.valid = true;
    s.sequence = static_cast<std::uint16_t>((s.sequence + 1) & NextHopState::kSequenceMask);
    word_.store(s.pack(), std::memory_order_release);
  }
  // Marks the word invalid iff it still holds `seen` (nothing was heard since). True if done.
  bool invalidate_if_unchanged(std::uint64_t seen) {
    NextHopState s = NextHopState::unpack(seen);
    s.valid = false;
    return word_.compare_exchange_strong(seen, s.pack(), std::memory_order_acq_rel);
  }

 private:
  alignas(64) std::atomic<std::uint64_t> word_{0};
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

// ff02::1:ffXX:XXXX for `target` (RFC 4291 §2.7.1) and its MAC 33:33:ff:XX:XX:XX (RFC 2464 §7).
net::Ipv6Address solicited_node_multicast(const net::Ipv6Address& target);
net::MacAddress ipv6_multicast_mac(const net::Ipv6Address& group);

// Writes an ARP request "who has `target`? tell `sender_ip` (`sender_mac`)" into the empty
// `out` (RFC 826; target hardware address zero). The caller sends it to ff:ff:ff:ff:ff:ff, or
// to the known MAC for a unicast re-validation (RFC 1122 §2.3.2.1). False without tailroom.
bool build_arp_request(const net::MacAddress& sender_mac, net::Ipv4Address sender_ip,
                       net::Ipv4Address target, PacketBuf& out);

// Writes a neighbour solicitation for `target` from `src` into the empty `out` (RFC 4861
// §4.3, §7.2.2): hop limit 255, source link-layer option with `port_mac`; to the solicited-node
// group when `unicast` is false (address resolution), to `target` itself when true (NUD probe,
// §7.3.3). False without tailroom.
bool build_neighbour_solicitation(const net::MacAddress& port_mac, const net::Ipv6Address& src,
                                  const net::Ipv6Address& target, bool unicast, PacketBuf& out);

// The gateway's MAC if the ARP packet at `pkt` (an ARP header, padding allowed) is a request or
// reply whose sender protocol address is `gateway` with a unicast sender hardware address
// (RFC 826 "merge": gratuitous ARP and the gateway's own requests update us too).
std::optional<net::MacAddress> hear_arp(const PacketBuf& pkt, net::Ipv4Address gateway);

// What a valid ND message from the gateway says about its MAC (RFC 4861 §7.1, §7.2.3, §7.2.5).
struct HeardNeighbour {
  net::MacAddress mac;
  bool advertisement = false;  // a neighbour advertisement (consumed); false: a solicitation
                               // from the gateway (still answered by answer_icmpv6)
  bool override_flag = false;  // NA O flag: may replace a different MAC we hold
};

// `pkt` starts at an IPv6 header. A neighbour advertisement whose target is `gateway` with a
// target link-layer option, or a neighbour solicitation from `gateway` with a source
// link-layer option; hop limit 255, code 0, checksum valid, no extension headers. Else nullopt.
std::optional<HeardNeighbour> hear_neighbour(const PacketBuf& pkt, const net::Ipv6Address& gateway);

// The main lcore's per-side resolution schedule (a subset of RFC 4861 §7.3.2 NUD, used for ARP
// too). Times are milliseconds on any monotonic clock.
//   unresolved: a broadcast/multicast request now, then after 1, 2, 4 ... s, capped at 30 s;
//   reachable:  nothing to send until `reachable_ms` (30 s) after the last confirmation;
//   probing:    then up to 3 unicast requests 1 s apart; a confirmation makes it reachable
//               again, silence after the third makes it unresolved (the word is invalidated:
//               workers drop and count until the gateway answers again).
// Unlike full NUD, forwarded traffic is no reachability hint: only ARP/ND from the gateway is.
class NextHopResolver {
 public:
  struct Timing {
    std::uint64_t first_retry_ms = 1000;
    std::uint64_t max_retry_ms = 30000;
    std::uint64_t reachable_ms = 30000;
    std::uint64_t probe_interval_ms = 1000;
    unsigned max_probes = 3;
  };
  enum class Send : std::uint8_t { kNothing, kMulticast, kUnicast };
  struct Step {
    Send send = Send::kNothing;
    bool invalidate = false;  // declare the gateway unreachable (invalidate_if_unchanged)
  };

  NextHopResolver() = default;
  explicit NextHopResolver(const Timing& t) : timing_(t) {}

  // Call every few milliseconds with the word as last loaded (raw) and the time.
  Step poll(std::uint64_t word, std::uint64_t now_ms);

  bool resolved() const { return state_ != State::kUnresolved; }

 private:
  enum class State : std::uint8_t { kUnresolved, kReachable, kProbing };

  Timing timing_;
  State state_ = State::kUnresolved;
  bool started_ = false;
  std::uint64_t seen_word_ = 0;   // the word at the last confirmation or invalidation
  std::uint64_t next_ms_ = 0;     // next request (unresolved / probing) or first probe
  std::uint64_t retry_ms_ = 0;    // current back-off
  unsigned probes_ = 0;
};

}  // namespace dstm::dp
