// The DSTM server's side of TSP towards one TEP's dstm-agent (draft-bound-dstm-exp-00 TSP
// profile §2.1, §2.3: the server configures the TEP with Tunnel Create / Delete). A few
// parallel authenticated TCP sessions (one request in flight on each), reconnected with
// back-off; requests wait in one FIFO and fail with code 0 at their deadline. With [[tep]]
// tls_ca, each connection does a TLS handshake (the agent's certificate verified, a client
// certificate shown when configured) before its TSP exchange.
#pragma once

#include <asio.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config.h"
#include "tsp/tsp.h"
#include "tspnet/tls.h"

namespace dstm::server {

struct TepStats {
  std::uint64_t requests = 0, ok = 0, errors = 0, timeouts = 0, reconnects = 0;
};

class TepClient {
 public:
  // code: the agent's TSP status (200 on success), or 0 when the TEP could not be reached in
  // time; info: its Tunnel Info on success.
  using Done = std::function<void(int code, std::optional<tsp::TunnelMessage> info, std::string detail)>;

  // tls: the client context made from config.tls (null: plain TCP).
  TepClient(asio::io_context& io, const TepConfig& config, tsp::sasl::NonceSource& nonces,
            tspnet::TlsContextPtr tls = nullptr);
  ~TepClient();
  void start();
  void stop();
  void request(tsp::TunnelMessage message, Done done);

  bool up() const;  // at least one session authenticated
  const TepConfig& config() const { return config_; }
  std::size_t queued() const { return queue_.size(); }
  const TepStats& stats() const { return stats_; }
  std::string state() const;  // "up", "connecting", "down: <last error>"

  struct Pending {
    tsp::TunnelMessage message;
    Done done;
    std::uint64_t deadline_ms;
    bool retried = false;
  };
  class Connection;

 private:
  friend class Connection;
  void dispatch();
  void sweep();
  void fail(Pending& p, int code, const std::string& detail);

  asio::io_context& io_;
  TepConfig config_;
  tsp::sasl::NonceSource& nonces_;
  tspnet::TlsContextPtr tls_;
  std::vector<std::shared_ptr<Connection>> connections_;
  std::deque<Pending> queue_;
  asio::steady_timer sweeper_;
  TepStats stats_;
  std::string last_error_;
  bool stopped_ = false;
};

}  // namespace dstm::server
