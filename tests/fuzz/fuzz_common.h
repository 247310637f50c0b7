// What the session fuzzers share: the input format, predictable nonces, canned answers.
//
// Input format (so that seeds can be written by hand from transcripts):
//   byte 0:  bit 0 = datagram transport (else stream); bits 1-7 = stream chunk size - 1
//   rest:    stream: the bytes, fed in chunks; datagram: payloads separated by "\x00\xff\x00"
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tsp/tsp.h"

namespace dstm::fuzz {

struct Script {
  tsp::Transport transport;
  std::vector<std::string_view> inputs;
};
Script split_input(const std::uint8_t* data, std::size_t size);

class FixedNonces : public tsp::sasl::NonceSource {
 public:
  std::string nonce(std::size_t bytes) override { return std::string(bytes, 'n'); }
};

// A store with user "node1" / password "pw" (SCRAM and DIGEST-MD5 realm "dstm").
const tsp::sasl::CredentialStore& test_store();
tsp::TunnelMessage canned_info();

}  // namespace dstm::fuzz
