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

struct ServerConfig {
  // [tsp] — facing nodes
  std::vector<tspnet::ListenAddress> listen{{"::", 3653}};
  bool udp = true;
  std::vector<tsp::sasl::Mechanism> mechanisms{tsp::sasl::Mechanism::kScramSha256,
                                               tsp::sasl::Mechanism::kDigestMd5};
  bool allow_anonymous = false;
  std::string users_file;
  std::string realm = "dstm";
  std::optional<tspnet::TlsServerConfig> tls;  // TLS on the TCP listener (tls_cert, ...)
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
