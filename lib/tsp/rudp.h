// TSP "reliable UDP" (RUDP): the 8-byte header in front of every control datagram.
//
// tsp-digest.md §1 (gogoc include/net_rudp.h, tsps): two 32-bit big-endian words, `sequence`
// with its top nibble 0xF and `timestamp` (ms since client start). The server echoes the
// client's header unchanged in front of its reply, answers even text-less messages with a
// header-only datagram, and must answer a retransmitted duplicate again without acting twice.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dstm::tsp {

inline constexpr std::size_t kRudpHeaderSize = 8;
inline constexpr std::uint32_t kRudpControlMask = 0xF0000000u;
// gogoc starts at 240 ("to stay compatible with old HexOS versions"): the wire shows f00000f0.
inline constexpr std::uint32_t kRudpInitialSequence = kRudpControlMask | 0xF0u;
// A server that kills a session sends this sequence with "310 TSP status error" (tsps).
inline constexpr std::uint32_t kRudpDisconnectSequence = 0xFFFFFFFFu;

struct RudpHeader {
  std::uint32_t sequence = 0;
  std::uint32_t timestamp = 0;
  friend bool operator==(const RudpHeader&, const RudpHeader&) = default;
};

// True when the datagram is TSP control (top nibble 0xF), false for tunnelled data such as a
// raw IPv6 packet (first nibble 6) on a v6udpv4 5-tuple.
bool is_rudp_control(std::string_view datagram);
// Header of a control datagram; nullopt when too short or not control.
std::optional<RudpHeader> parse_rudp_header(std::string_view datagram);
std::string encode_rudp(const RudpHeader& header, std::string_view payload);

// Server side of one RUDP peer: pairs every request with exactly one reply and answers a
// duplicate from a cache instead of processing it again.
class RudpServerPeer {
 public:
  enum class Verdict { kProcess, kResendCached, kPending, kDrop };
  // Classifies an arriving datagram. kProcess: new request, hand the payload to the session;
  // kResendCached: send cached_reply() again; kPending: a duplicate of a request still being
  // worked on (its answer goes out when ready); kDrop: stale or not control.
  Verdict classify(const RudpHeader& header);
  // The reply to the request last classified kProcess: header echoed + payload. Cached.
  std::string reply(std::string_view payload);
  const std::string& cached_reply() const { return cached_reply_; }
  // A new client on this peer's address and port: the initial sequence carrying VERSION= after
  // the session got past its second request. The kernel may give a restarted client the port
  // its predecessor had; its requests would otherwise all look like stale retransmissions of a
  // session that stays open for its lease. (Only a first request delayed by more than a full
  // retransmission cycle and reordered behind two later ones could look the same.)
  bool is_restart(const RudpHeader& header, std::string_view payload) const;
  bool awaiting_reply() const { return awaiting_; }

 private:
  std::optional<RudpHeader> last_;
  std::string cached_reply_;
  bool awaiting_ = false;
};

// Client side: numbers requests from kRudpInitialSequence and matches replies to them.
// Retransmission follows gogoc's bounds (RTTENGINE_TMIN 2 s, TMAX 30 s, doubled on timeout).
class RudpClientPeer {
 public:
  static constexpr std::uint32_t kMinRtoMs = 2000;
  static constexpr std::uint32_t kMaxRtoMs = 30000;
  static constexpr int kMaxTries = 8;

  // Wraps a new request, remembering it for retransmission.
  std::string send(std::string_view payload, std::uint32_t now_ms);
  // The payload of a reply to the outstanding request, nullopt for anything else.
  std::optional<std::string> accept(std::string_view datagram);
  // When the outstanding request should be sent again (nullopt: nothing outstanding).
  std::optional<std::uint32_t> retransmit_deadline() const;
  // The datagram to send again now, or nullopt when tries are exhausted (peer unreachable).
  std::optional<std::string> retransmit(std::uint32_t now_ms);

 private:
  std::uint32_t next_sequence_ = kRudpInitialSequence;
  std::optional<std::string> outstanding_;
  std::uint32_t outstanding_sequence_ = 0;
  std::uint32_t sent_at_ms_ = 0;
  std::uint32_t rto_ms_ = kMinRtoMs;
  int tries_ = 0;
};

}  // namespace dstm::tsp
