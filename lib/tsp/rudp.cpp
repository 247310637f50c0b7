#include "tsp/rudp.h"

#include <algorithm>

namespace dstm::tsp {
namespace {

std::uint32_t load_be32(const char* p) {
  auto b = [p](int i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(p[i])); };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

void store_be32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xFF));
}

// Sequence numbers live in 28 bits; compare them modulo 2^28 so wrap-around is not "stale".
bool sequence_after(std::uint32_t a, std::uint32_t b) {
  std::uint32_t diff = (a - b) & 0x0FFFFFFFu;
  return diff != 0 && diff < 0x08000000u;
}

}  // namespace

bool is_rudp_control(std::string_view datagram) {
  return !datagram.empty() && (static_cast<unsigned char>(datagram[0]) & 0xF0u) == 0xF0u;
}

std::optional<RudpHeader> parse_rudp_header(std::string_view datagram) {
  if (datagram.size() < kRudpHeaderSize || !is_rudp_control(datagram)) return std::nullopt;
  return RudpHeader{load_be32(datagram.data()), load_be32(datagram.data() + 4)};
}

std::string encode_rudp(const RudpHeader& header, std::string_view payload) {
  std::string out;
  out.reserve(kRudpHeaderSize + payload.size());
  store_be32(out, header.sequence);
  store_be32(out, header.timestamp);
  out.append(payload);
  return out;
}

RudpServerPeer::Verdict RudpServerPeer::classify(const RudpHeader& header) {
  if ((header.sequence & kRudpControlMask) != kRudpControlMask) return Verdict::kDrop;
  if (last_ && last_->sequence == header.sequence) {
    return awaiting_ ? Verdict::kPending : Verdict::kResendCached;
  }
  // A client that reconnects restarts at 0xf00000f0, but it does so on a new 5-tuple and hence
  // a new peer; within one peer anything not after the last request is a stale retransmission.
  if (last_ && !sequence_after(header.sequence, last_->sequence)) return Verdict::kDrop;
  if (awaiting_) return Verdict::kDrop;  // one request at a time, as clients send them
  last_ = header;
  awaiting_ = true;
  return Verdict::kProcess;
}

bool RudpServerPeer::is_restart(const RudpHeader& header, std::string_view payload) const {
  return last_ && header.sequence == kRudpInitialSequence && payload.starts_with("VERSION=") &&
         sequence_after(last_->sequence, kRudpControlMask | ((kRudpInitialSequence + 1) & 0x0FFFFFFFu));
}

std::string RudpServerPeer::reply(std::string_view payload) {
  cached_reply_ = encode_rudp(last_.value_or(RudpHeader{}), payload);
  awaiting_ = false;
  return cached_reply_;
}

std::string RudpClientPeer::send(std::string_view payload, std::uint32_t now_ms) {
  outstanding_sequence_ = next_sequence_;
  next_sequence_ = kRudpControlMask | ((next_sequence_ + 1) & 0x0FFFFFFFu);
  outstanding_ = encode_rudp(RudpHeader{outstanding_sequence_, now_ms}, payload);
  sent_at_ms_ = now_ms;
  rto_ms_ = kMinRtoMs;
  tries_ = 1;
  return *outstanding_;
}

std::optional<std::string> RudpClientPeer::accept(std::string_view datagram) {
  auto header = parse_rudp_header(datagram);
  if (!outstanding_ || !header || header->sequence != outstanding_sequence_) return std::nullopt;
  outstanding_.reset();
  return std::string(datagram.substr(kRudpHeaderSize));
}

std::optional<std::uint32_t> RudpClientPeer::retransmit_deadline() const {
  if (!outstanding_) return std::nullopt;
  return sent_at_ms_ + rto_ms_;
}

std::optional<std::string> RudpClientPeer::retransmit(std::uint32_t now_ms) {
  if (!outstanding_ || tries_ >= kMaxTries) return std::nullopt;
  ++tries_;
  sent_at_ms_ = now_ms;
  rto_ms_ = std::min(rto_ms_ * 2, kMaxRtoMs);
  return *outstanding_;
}

}  // namespace dstm::tsp
