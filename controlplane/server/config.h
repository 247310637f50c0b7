// dstm-server's configuration (TOML; every key is documented in controlplane/server/README.md
// and shown in dstm-server.example.toml).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lease/lease.h"
#include "net/net.h"
#include "tsp/tsp.h"
#include "tspnet/listener_config.h"
#include "tspnet/tspnet.h"
#include "util/expected.h"

namespace dstm::server {

// A TEP this server configures through its dstm-agent.
struct TepConfig {
  std::string name;
  tspnet::ListenAddress endpoint;  // the agent's TSP listener
  std::string username;
  std::string password;            // read from password_file
  std::string password_file;
  tsp::sasl::Mechanism mechanism = tsp::sasl::Mechanism::kScramSha256;
  std::vector<net::Ipv6Prefix> serves;  // node prefixes it serves; empty = any node
  std::uint32_t timeout_ms = 2000;      // one request, connect included
  std::uint32_t connections = 4;        // parallel TSP sessions to the agent
  std::optional<tspnet::TlsClientConfig> tls;  // tls_ca set: TLS to the agent
};

// [tsp]'s listener keys (listen, udp, mechanisms, users_file, realm, TLS) are the base, read
// by tspnet::read_tsp_settings like dstm-agent's.
struct ServerConfig : tspnet::TspSettings {
  // [tsp] — facing nodes, the server's own keys
  std::uint32_t handshake_timeout_ms = 30000;
  std::uint32_t max_sessions = 200000;
  std::uint32_t max_sessions_per_64 = 64;
  int auth_failures_before_backoff = 5;
  bool node_must_match_source = true;  // the create's IPv6 must be the session's source
  std::uint32_t keepalive_interval_s = 30;
  std::vector<net::Ipv6Address> dns_servers;  // <client><dns_server>; gogoc needs one
  // [pool]
  lease::PoolConfig pool;
  // [[tep]]
  std::vector<TepConfig> teps;
  // [store]
  std::string store_path = "/var/lib/dstm/server.db";
  // [control]
  std::string control_socket = "/run/dstm/server.sock";
};

Expected<ServerConfig, std::string> parse_config(std::string_view text, std::string_view source,
                                                 bool read_secrets = true);
Expected<ServerConfig, std::string> load_config(const std::string& path, bool read_secrets = true);

}  // namespace dstm::server
