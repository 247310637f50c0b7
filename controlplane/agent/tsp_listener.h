// dstm-agent's TSP server: TCP and reliable-UDP listeners (asio, one event-loop thread) that
// accept only configured DSTM servers (source allow-list, authentication, a session cap) and
// hand their tunnel requests to the TepService.
#pragma once

#include <asio.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config.h"
#include "tep_service.h"
#include "tsp/tsp.h"

namespace dstm::agent {

struct ListenerCounters {
  std::uint64_t accepted = 0, refused_source = 0, refused_full = 0, authenticated = 0;
  std::uint64_t auth_failures = 0, protocol_errors = 0, requests = 0;
};

class TspListener {
 public:
  TspListener(asio::io_context& io, const AgentConfig& config, TepService& service,
              const tsp::sasl::CredentialStore& credentials, tsp::sasl::NonceSource& nonces);
  ~TspListener();
  // Binds every tsp.listen address (TCP, and UDP when tsp.udp); an error names the address.
  Expected<void, std::string> start();
  void stop();
  std::size_t sessions() const;
  const ListenerCounters& counters() const;
  // The ports actually bound (tests listen on port 0).
  std::vector<std::uint16_t> tcp_ports() const;
  std::vector<std::uint16_t> udp_ports() const;

  // Internal, shared by the connection objects.
  struct Shared;

 private:
  struct UdpEndpoint;
  void accept_next(asio::ip::tcp::acceptor& acceptor);
  void receive_next(UdpEndpoint& udp);

  asio::io_context& io_;
  std::shared_ptr<Shared> shared_;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;
  std::vector<std::unique_ptr<UdpEndpoint>> udp_;
};

}  // namespace dstm::agent
