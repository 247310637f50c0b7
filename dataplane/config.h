// dstm-dataplane's configuration: the TOML file (dataplane/README.md documents every key,
// dataplane/dstm-dataplane.example.toml shows them all). Parsed once at start-up.
//
// Strict on purpose: an unknown key or table, a wrong type or an out-of-range number is an
// error, so that a typo never silently falls back to a default. Errors are returned, not
// thrown, as "FILE:LINE: key: what is wrong"; only the first error is reported.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "net/net.h"
#include "packet/tep_context.h"
#include "util/expected.h"

namespace dstm::dp {

// One side of the TEP: a DPDK port id, optionally an 802.1Q VLAN on it.
struct PortSide {
  std::uint16_t port = 0;
  std::optional<std::uint16_t> vlan;  // VID 1..4094
};

// Rate limit of the ICMP errors the TEP sends (a token bucket shared by all of them).
struct IcmpRate {
  std::uint32_t per_second = 100;  // 0: send no ICMP errors at all
  std::uint32_t burst = 50;
};

// Sizes handed to lib/mapping (Config::max_entries / fallback_capacity).
struct TableConfig {
  static constexpr std::uint32_t kMaxCapacity = 1u << 24;
  std::uint32_t capacity = 1u << 20;  // pool addresses + fallback must fit
  std::uint32_t fallback = 4096;      // mappings for IPv4 addresses outside every pool
};

// [control]: the shared-memory channel from dstm-agent (lib/shmring). Absent: static mappings
// only (--mappings), no agent, no shared-memory counters.
struct ControlConfig {
  static constexpr std::uint32_t kMaxBatch = 1u << 20;
  std::string shm;              // POSIX shm name with its leading '/', e.g. "/dstm-tep"; empty: off
  std::uint32_t batch = 4096;   // most ring records applied per housekeeping round
  // The main lcore's sleep between rounds while the ring is empty: the longest a record waits
  // before it is looked at (the agent's apply latency) against the main lcore's wake-ups.
  std::uint32_t poll_us = 50;
  bool enabled() const { return !shm.empty(); }
  // "/<shm>-stats": the segment the dataplane creates for its counters and status.
  std::string stats_shm() const { return shm + "-stats"; }
};

// [reassembly]: the per-worker table of outer IPv6 fragments (packet/reassembly.h).
struct ReassemblyConfig {
  static constexpr std::uint32_t kMaxTimeoutMs = 60'000;  // RFC 8200 §4.5: 60 seconds
  std::uint32_t capacity = 1024;         // datagrams held at once per worker
  std::uint32_t timeout_ms = kMaxTimeoutMs;  // from the first fragment's arrival
};

struct DataplaneConfig {
  TepContext tep;                                   // [tep] and the [icmp] policy booleans
  PortSide ipv6_side{0, std::nullopt};              // [ports.ipv6]: the node (tunnel) side
  PortSide ipv4_side{1, std::nullopt};              // [ports.ipv4]: the internet side
  net::Ipv6Address ipv6_gateway;                    // [next_hops.ipv6]
  std::optional<net::MacAddress> ipv6_gateway_mac;  // static: no ND for the gateway
  net::Ipv4Address ipv4_gateway;                    // [next_hops.ipv4]
  std::optional<net::MacAddress> ipv4_gateway_mac;  // static: no ARP for the gateway
  IcmpRate icmp_rate;                               // [icmp] rate_per_second, burst
  TableConfig table;                                // [table]
  ReassemblyConfig reassembly;                      // [reassembly]
  std::uint32_t burst_size = 32;  // [dataplane] burst: packets per rx/tx burst, 1..64
  // [dataplane] learning: cache the association from decapsulated traffic (draft §7). Weaker
  // than TSP-provisioned mappings, hence off by default.
  bool learning = false;
  std::uint32_t learn_rate = 100;  // [dataplane] learn_rate: learned mappings installed per second
  ControlConfig control;  // [control]
};

// text: the TOML document; source_name: the file name used in error messages.
Expected<DataplaneConfig, std::string> parse_config(std::string_view text,
                                                    std::string_view source_name);
// Reads path and parses it; an unreadable file is an error naming the path.
Expected<DataplaneConfig, std::string> load_config(const std::string& path);

// The whole file as text, or "PATH: cannot read: REASON". Shared with load_mappings().
Expected<std::string, std::string> read_text_file(const std::string& path);

}  // namespace dstm::dp
