// dstm-agent's configuration (TOML; every key is documented in controlplane/agent/README.md
// and shown in dstm-agent.example.toml).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/net.h"
#include "tsp/tsp.h"
#include "tspnet/listener_config.h"
#include "tspnet/tspnet.h"
#include "util/expected.h"

namespace dstm::agent {

using tspnet::ListenAddress;

// A source prefix the TSP listener accepts (the DSTM servers'), either family.
struct SourcePrefix {
  bool is_v6 = true;
  net::Ipv6Prefix v6{};
  net::Ipv4Prefix v4{};
  bool contains_v6(const net::Ipv6Address& a) const { return is_v6 && v6.contains(a); }
  bool contains_v4(const net::Ipv4Address& a) const { return !is_v6 && v4.contains(a); }
  std::string to_string() const { return is_v6 ? v6.to_string() : v4.to_string(); }
};

// [tsp]'s listener keys (listen, udp, mechanisms, users_file, realm, TLS) are the base, read
// by tspnet::read_tsp_settings like dstm-server's.
struct AgentConfig : tspnet::TspSettings {
  // [tsp], the agent's own keys
  std::vector<SourcePrefix> allow;     // required: who may configure this TEP
  std::uint32_t handshake_timeout_ms = 10000;
  std::uint32_t max_sessions = 64;
  int auth_failures_before_backoff = 5;  // failed authentications or TLS handshakes per source
  // [tep]
  net::Ipv4Address tep_ipv4{};
  net::Ipv6Address tep_ipv6{};
  std::vector<net::Ipv4Prefix> pools;
  // [store]
  std::string store_path = "/var/lib/dstm/agent.db";
  // [dataplane]
  std::string shm_name = "dstm-tep";
  std::uint32_t ring_capacity = 65536;
  std::uint32_t apply_timeout_ms = 1000;
  // [control]
  std::string control_socket = "/run/dstm/agent.sock";

  bool in_pool(net::Ipv4Address a) const;
  bool source_allowed(std::string_view numeric_address) const;
};

Expected<AgentConfig, std::string> parse_config(std::string_view text, std::string_view source);
Expected<AgentConfig, std::string> load_config(const std::string& path);

}  // namespace dstm::agent
