// dstm::tspnet — the TSP server's sockets (standalone Asio, one event-loop thread), shared by
// dstm-agent (facing DSTM servers) and dstm-server (facing nodes). It owns the TCP and
// reliable-UDP listeners and every tsp::ServerSession, enforces the admission rules (source
// allow-list, a global session cap, a cap per source /64, back-off after repeated
// authentication failures) and hands authenticated tunnel requests to the Application, which
// answers them whenever it is ready (after a TEP or a dataplane confirmed).
#pragma once

#include <asio.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tsp/tsp.h"
#include "tspnet/tls.h"
#include "util/expected.h"

namespace dstm::tspnet {

// "[::]:3653", "127.0.0.1:3653".
struct ListenAddress {
  std::string host;  // numeric IPv4 or IPv6
  std::uint16_t port = 3653;
  std::string to_string() const;
  bool operator==(const ListenAddress&) const = default;
  // "[v6]:port", "v4:port", "[v6]" or "v4" (port 3653); nullopt when malformed.
  static std::optional<ListenAddress> parse(std::string_view text);
};

struct ListenerConfig {
  std::string name = "tsp";  // log prefix
  std::vector<ListenAddress> listen;
  bool udp = true;
  tsp::ServerSessionConfig session;
  // Source admission (numeric address, IPv4-mapped addresses already unmapped). Empty = all.
  std::function<bool(const std::string&)> allow;
  std::size_t max_sessions = 64;
  std::size_t max_per_64 = 0;  // live sessions per source /64 (IPv4: per address); 0 = no cap
  // Back-off: after `auth_failures_before_backoff` failed authentications or TLS handshakes
  // from one source /64, its new connections are refused for backoff_initial_ms, doubling up to
  // backoff_max_ms.
  int auth_failures_before_backoff = 5;
  std::uint64_t backoff_initial_ms = 1000;
  std::uint64_t backoff_max_ms = 300000;
  std::uint64_t udp_idle_ms = 10 * 60 * 1000;  // a silent RUDP peer is forgotten
  // TLS on every TCP connection, handshaken before any TSP byte within the session's
  // handshake deadline; TLS sessions are transport_secure (PLAIN may be offered there). RUDP
  // stays plain.
  std::optional<TlsServerConfig> tls;
};

struct ListenerCounters {
  std::uint64_t accepted = 0, refused_source = 0, refused_full = 0, refused_per_64 = 0;
  std::uint64_t refused_backoff = 0, authenticated = 0, auth_failures = 0, protocol_errors = 0;
  std::uint64_t requests = 0;
  std::uint64_t tls_failures = 0;  // TLS handshakes that failed or missed the deadline
};

// One client's session, as the application sees it. Safe to keep after the peer left
// (open() is then false and send_request() does nothing).
class Session {
 public:
  virtual ~Session() = default;
  std::uint64_t id() const { return id_; }
  const std::string& peer() const { return peer_; }          // numeric source address
  bool stream() const { return stream_; }                    // TCP (else RUDP)
  std::uint64_t since_ms() const { return since_ms_; }       // steady clock, ms
  virtual const std::string& identity() const = 0;
  // The SASL mechanism the client authenticated with (nullopt before): the DSTM server treats
  // ANONYMOUS sessions by their IPv6 address, not by the "anonymous" identity.
  std::optional<tsp::sasl::Mechanism> mechanism() const { return mechanism_; }
  void note_mechanism(tsp::sasl::Mechanism m) { mechanism_ = m; }  // by the listener
  bool tls() const { return tls_; }  // the TCP connection is TLS
  // The subject CN of the client's verified certificate (empty: none), for the log.
  const std::string& peer_certificate_cn() const { return peer_certificate_cn_; }
  virtual bool open() const = 0;
  // A server-initiated request (Tunnel Delete at lease end, DSTM profile §4.3). TCP only:
  // RUDP cannot send unprompted. False when not sent.
  virtual bool send_request(const tsp::TunnelMessage& m) = 0;
  virtual void close() = 0;

 protected:
  Session(std::uint64_t id, std::string peer, bool stream, std::uint64_t since)
      : id_(id), peer_(std::move(peer)), stream_(stream), since_ms_(since) {}
  void note_tls(std::string cn) {
    tls_ = true;
    peer_certificate_cn_ = std::move(cn);
  }

 private:
  std::uint64_t id_;
  std::string peer_;
  bool stream_;
  std::uint64_t since_ms_;
  std::optional<tsp::sasl::Mechanism> mechanism_;
  bool tls_ = false;
  std::string peer_certificate_cn_;
};

using SessionPtr = std::shared_ptr<Session>;
// The application's answer to a request: a status and, on success, the message (normally
// action="info"); `detail` goes to the log line.
using Answer = std::function<void(tsp::Status, std::optional<tsp::TunnelMessage>, std::string detail)>;

class Application {
 public:
  virtual ~Application() = default;
  // Exactly one call of `answer` per request, now or later (from the same event loop).
  virtual void on_request(const SessionPtr& session, const tsp::TunnelMessage& request,
                          Answer answer) = 0;
  virtual void on_accepted(const SessionPtr&) {}
  virtual void on_rejected(const SessionPtr&) {}
  virtual void on_closed(const SessionPtr&) {}
};

class Listener {
 public:
  Listener(asio::io_context& io, ListenerConfig config, const tsp::sasl::CredentialStore& credentials,
           tsp::sasl::NonceSource& nonces, Application& app);
  ~Listener();
  // Loads the TLS files (an error names the file), then binds every address (an error names it).
  Expected<void, std::string> start();
  void stop();
  std::size_t live() const;
  const ListenerCounters& counters() const;
  std::vector<SessionPtr> sessions() const;  // the live ones
  std::vector<std::uint16_t> tcp_ports() const;
  std::vector<std::uint16_t> udp_ports() const;
  // Reloadable admission settings.
  void set_allow(std::function<bool(const std::string&)> allow);
  void set_max_sessions(std::size_t n);

  struct Shared;  // internal

 private:
  struct UdpEndpoint;
  void accept_next(asio::ip::tcp::acceptor& acceptor);
  // The UDP side (udp.cpp): binds `address`:`port` for listen entry `l` and starts receiving.
  Expected<void, std::string> open_udp(const ListenAddress& l, const asio::ip::address& address,
                                       std::uint16_t port);
  void receive_next(UdpEndpoint& udp);
  void on_datagram(UdpEndpoint& udp, std::size_t size);
  std::shared_ptr<Shared> shared_;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;
  std::vector<std::unique_ptr<UdpEndpoint>> udp_;
};

// The numeric form a peer is judged and logged by (IPv4-mapped IPv6 shown as IPv4).
std::string numeric(const asio::ip::address& a);
// The admission key of a source: its /64 for IPv6, the address itself for IPv4.
std::string source_key(const std::string& numeric);

}  // namespace dstm::tspnet
