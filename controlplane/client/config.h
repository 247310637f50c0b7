// dstm-client's configuration file (TOML; every key in controlplane/client/README.md and
// dstm-client.example.toml).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dti.h"
#include "net/net.h"
#include "tsp/tsp.h"
#include "tspnet/tspnet.h"
#include "util/expected.h"

namespace dstm::client {

struct ClientConfig {
  // [server]
  std::vector<tspnet::ListenAddress> servers;  // numeric address + port (default 3653)
  bool udp = false;                            // transport = "udp"
  std::uint32_t timeout_ms = 30000;            // connect, handshake and each request
  // [auth]
  std::vector<tsp::sasl::Mechanism> mechanisms{tsp::sasl::Mechanism::kScramSha256,
                                               tsp::sasl::Mechanism::kDigestMd5};
  std::string username;
  std::string password_file;  // first line is the password
  bool anonymous = false;
  // [node]
  std::optional<net::Ipv6Address> ipv6;        // global
  std::optional<net::Ipv6Address> link_local;
  std::string interface;                       // take the addresses missing above from here
  // [dti]
  DtiBackend backend = DtiBackend::kAuto;
  std::string dti_name = "dstm0";
  std::uint32_t mtu = 1280;
  std::optional<std::uint8_t> encap_limit;     // "none" (default) or 0-255
  std::vector<net::Ipv4Prefix> routes{net::Ipv4Prefix{}};  // 0.0.0.0/0
  // [lease]
  double renew_fraction = 0.5;
  std::uint32_t retry_min_ms = 1000;
  std::uint32_t retry_max_ms = 60000;
  // [files]
  std::string lock_file = "/run/dstm/client.lock";
  std::string control_socket = "/run/dstm/client.sock";
};

Expected<ClientConfig, std::string> parse_config(std::string_view text, std::string_view source);
Expected<ClientConfig, std::string> load_config(const std::string& path);

// The password file's first line (without its line end); errors name the file.
Expected<std::string, std::string> read_password_file(const std::string& path);

// The node's global and link-local IPv6 on `interface` (getifaddrs): the first global unicast
// and the first link-local address, in the kernel's order.
struct InterfaceAddresses {
  std::optional<net::Ipv6Address> global;
  std::optional<net::Ipv6Address> link_local;
};
Expected<InterfaceAddresses, std::string> interface_addresses(const std::string& interface);

}  // namespace dstm::client
