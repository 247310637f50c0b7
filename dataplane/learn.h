// Learning mode (DSTM draft §7: the TEP "caches the association"; dataplane/README.md
// "Learning"): off by default. A worker that decapsulates a packet whose inner source is an
// unmapped pool address asks for (inner source -> outer source) to be installed; the table has
// one writer, the main lcore, so workers never write it: each hands its requests over a
// single-producer / single-consumer ring, and the main lcore applies them here, rate-limited,
// never replacing a mapping that exists (a TSP-provisioned one always wins). No DPDK here.
#pragma once

#include <array>
#include <cstdint>

#include "mapping/mapping.h"

namespace dstm::dp {

// One ring element: 20 bytes (rte_ring elements are a multiple of 4).
struct LearnRequest {
  std::uint32_t ipv4 = 0;  // host order
  std::array<std::uint8_t, 16> ipv6{};
};
static_assert(sizeof(LearnRequest) == 20);

class Learner {
 public:
  enum class Outcome : std::uint8_t {
    kInstalled,    // the address had no mapping; now it has this one
    kExists,       // it has a mapping (perhaps learned from an earlier request): untouched
    kRateLimited,  // over the install rate: dropped; the node's next packet asks again
    kRefused,      // the table refused (outside the pools, full, or busy for too long)
  };

  // per_second: installs per second (also the bucket depth); 0 installs nothing.
  Learner(mapping::MappingTable& table, std::uint32_t per_second) : table_(table), per_second_(per_second) {}

  // Call on the table's writer thread only. now_ms: any monotonic clock in milliseconds.
  Outcome apply(const LearnRequest& request, std::uint64_t now_ms);

 private:
  mapping::MappingTable& table_;
  std::uint32_t per_second_;
  std::uint64_t tokens_ = 0;
  std::uint64_t refill_ms_ = 0;
  bool started_ = false;
};

}  // namespace dstm::dp
