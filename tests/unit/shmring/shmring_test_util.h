// Helpers shared by the shmring tests: unique segment names that are always unlinked, and
// records whose payload is a function of their sequence so a consumer can check every field.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "shmring/shmring.h"

namespace dstm::shmring::test {

// "/dstm-test-<tag>-<pid>-<n>": unique per process and per call, so parallel test runs and
// the fork tests never share a segment by accident.
inline std::string unique_name(const std::string& tag) {
  static std::atomic<unsigned> counter{0};
  return "/dstm-test-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

// Unlinks the name on every path out of a test, including a failed REQUIRE (it throws).
struct NameGuard {
  std::string name;
  explicit NameGuard(std::string n) : name(std::move(n)) { Segment::unlink(name); }
  ~NameGuard() { Segment::unlink(name); }
  NameGuard(const NameGuard&) = delete;
  NameGuard& operator=(const NameGuard&) = delete;
};

inline std::uint32_t payload_ipv4(std::uint64_t seq) {
  return static_cast<std::uint32_t>(seq * 2654435761ULL);
}
inline std::uint8_t payload_ipv6_byte(std::uint64_t seq, unsigned i) {
  return static_cast<std::uint8_t>((seq >> ((i % 8U) * 8U)) ^ (i * 37U));
}

// A record the producer will stamp with `seq` (pass producer.next_sequence()).
inline Record make_record(std::uint64_t seq, Kind kind = Kind::kUpsert) {
  Record r;
  r.kind = kind;
  r.ipv4 = payload_ipv4(seq);
  for (unsigned i = 0; i < r.ipv6.size(); ++i) r.ipv6[i] = payload_ipv6_byte(seq, i);
  return r;
}

// Every field matches what make_record(r.sequence) wrote, and the producer's checksum holds.
inline bool payload_ok(const Record& r) {
  if (!record_intact(r) || r.ipv4 != payload_ipv4(r.sequence)) return false;
  for (unsigned i = 0; i < r.ipv6.size(); ++i) {
    if (r.ipv6[i] != payload_ipv6_byte(r.sequence, i)) return false;
  }
  return true;
}

}  // namespace dstm::shmring::test
