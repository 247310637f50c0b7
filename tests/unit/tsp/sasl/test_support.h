// Shared by the SASL tests: fixed nonces (to replay published exchanges) and small helpers.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tsp/sasl/crypto.h"
#include "tsp/sasl/mechanism.h"

namespace dstm::tsp::sasl::testing {

// Hands out the given nonces in order, then "" (as a source without randomness would).
class FixedNonceSource final : public NonceSource {
 public:
  explicit FixedNonceSource(std::vector<std::string> nonces) : nonces_(std::move(nonces)) {}
  std::string nonce(std::size_t /*bytes*/) override {
    return next_ < nonces_.size() ? nonces_[next_++] : std::string();
  }

 private:
  std::vector<std::string> nonces_;
  std::size_t next_ = 0;
};

// A std::string that may hold NUL bytes, from a literal: bytes("\0alice\0secret").
template <std::size_t N>
std::string bytes(const char (&literal)[N]) {
  return std::string(literal, N - 1);
}

inline bool is_success(const ServerStep& s) {
  return s.kind == ServerStep::Kind::kSuccess;
}
inline bool is_failure(const ServerStep& s) {
  return s.kind == ServerStep::Kind::kFailure;
}
inline bool is_continue(const ServerStep& s) {
  return s.kind == ServerStep::Kind::kContinue;
}
inline bool is_send(const ClientStep& s) {
  return s.kind == ClientStep::Kind::kSend;
}
inline bool is_done(const ClientStep& s) {
  return s.kind == ClientStep::Kind::kDone;
}
inline bool is_failure(const ClientStep& s) {
  return s.kind == ClientStep::Kind::kFailure;
}

}  // namespace dstm::tsp::sasl::testing
