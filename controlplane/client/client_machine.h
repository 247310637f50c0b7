// dstm-client's TSP state machine (DESIGN.md flows 1-3): no sockets, no clocks, no netlink.
// The daemon feeds it transport events and the time, and carries out the actions it queues:
// open or close the connection to the DSTM server, send bytes, configure or tear down the DTI.
//
//   connect -> VERSION / CAPABILITY / AUTHENTICATE (tsp::ClientSession)
//   -> create v4v6 with the node's link-local and global IPv6 (TSP profile for DSTM §4.2)
//   -> 200 + Tunnel Info: client IPv4, TEP IPv4 + IPv6, lifetime (else reject, retry later)
//   -> accept -> ConfigureDti
//   -> at renew_fraction of the lifetime: create carrying the leased IPv4 on the kept-open
//      session (flow 2), retried with back-off until the lease ends
//   -> Tunnel Delete from the server, expiry without renewal, or stop(): TearDownDti
//   A dropped session is reconnected with back-off, asking for the same IPv4 again (the
//   server's allocation is sticky); the DTI stays up while the lease is still valid.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "net/net.h"
#include "tsp/tsp.h"
#include "util/expected.h"

namespace dstm::client {

struct MachineConfig {
  tsp::ClientSessionConfig session;  // mechanisms, credentials, digest host
  std::size_t server_count = 1;      // Connect actions rotate over this many servers
  net::Ipv6Address global;           // the node's global IPv6: the tunnel's local end
  std::optional<net::Ipv6Address> link_local;
  double renew_fraction = 0.5;
  std::uint64_t retry_min_ms = 1000;    // first back-off after a failure; doubled each time
  std::uint64_t retry_max_ms = 60000;   // ceiling of the back-off
  std::uint64_t answer_timeout_ms = 30000;  // connect, handshake and each request
};

struct Lease {
  net::Ipv4Address ipv4;
  net::Ipv4Address tep_ipv4;
  net::Ipv6Address tep_ipv6;
  std::uint32_t lifetime_s = 0;
  std::uint64_t granted_ms = 0;  // machine clock
  std::uint64_t expires_ms = 0;
  friend bool operator==(const Lease&, const Lease&) = default;
};

// Actions for the daemon, in order.
struct Connect {
  std::size_t server_index;
};
struct Send {
  std::string bytes;  // one TSP write (one datagram on UDP)
};
struct Disconnect {};
struct ConfigureDti {
  Lease lease;
};
struct TearDownDti {
  std::string reason;
};
using Action = std::variant<Connect, Send, Disconnect, ConfigureDti, TearDownDti>;

class ClientMachine {
 public:
  enum class State {
    kIdle,        // not started
    kConnecting,  // Connect issued, waiting for on_connected
    kHandshake,   // VERSION .. AUTHENTICATE
    kRequesting,  // create sent (first allocation, or after a reconnect)
    kLeased,      // lease live, session kept open
    kRenewing,    // renewal create sent on the kept-open session
    kBackoff,     // waiting before the next connect (or the next request on the session)
    kStopped,
  };

  ClientMachine(MachineConfig config, tsp::sasl::NonceSource& nonces, tsp::Transport transport);
  ~ClientMachine();
  ClientMachine(const ClientMachine&) = delete;
  ClientMachine& operator=(const ClientMachine&) = delete;

  void start(std::uint64_t now_ms);
  void on_connected(std::uint64_t now_ms);
  void on_connect_failed(std::uint64_t now_ms, const std::string& reason);
  void on_input(std::uint64_t now_ms, std::string_view bytes);
  void on_disconnected(std::uint64_t now_ms, const std::string& reason);
  // Call at (or after) next_deadline().
  void on_timer(std::uint64_t now_ms);
  // SIGTERM/SIGINT: tear the DTI down and close. The lease is left to expire at the server
  // (the draft has no release message a v4v6 client sends; a delete would be one, see README).
  void stop(std::uint64_t now_ms);
  // The DTI could not be configured: give the lease back (reject) and retry later.
  void on_dti_failed(std::uint64_t now_ms, const std::string& reason);

  std::optional<std::uint64_t> next_deadline() const;
  std::vector<Action> take_actions();

  State state() const { return state_; }
  const std::optional<Lease>& lease() const { return lease_; }
  bool dti_configured() const { return dti_up_; }
  bool session_open() const { return session_ != nullptr; }
  std::size_t server_index() const { return server_index_; }
  std::uint64_t renew_at_ms() const { return renew_at_ms_; }
  std::uint64_t reconnects() const { return reconnects_; }
  std::uint64_t renewals() const { return renewals_; }
  const std::string& last_error() const { return last_error_; }

 private:
  void drain(std::uint64_t now_ms);
  void handle_reply(std::uint64_t now_ms, const tsp::TunnelReply& reply);
  void handle_server_request(std::uint64_t now_ms, const tsp::TunnelMessage& message);
  void send_create(std::uint64_t now_ms);
  void drop_session(std::uint64_t now_ms, const std::string& reason);
  void retry_later(std::uint64_t now_ms, bool reconnect);
  void tear_down(const std::string& reason);
  void check_expiry(std::uint64_t now_ms);
  void flush_writes();

  MachineConfig config_;
  tsp::sasl::NonceSource& nonces_;
  tsp::Transport transport_;
  std::unique_ptr<tsp::ClientSession> session_;
  State state_ = State::kIdle;
  std::optional<Lease> lease_;
  std::optional<net::Ipv4Address> wanted_ipv4_;  // asked for again after a drop (sticky)
  bool dti_up_ = false;
  bool reconnect_after_backoff_ = true;
  std::size_t server_index_ = 0;
  std::uint64_t deadline_ms_ = 0;  // timeout of the current step, or end of the back-off
  std::uint64_t renew_at_ms_ = 0;
  std::uint64_t backoff_ms_ = 0;
  std::uint64_t reconnects_ = 0;
  std::uint64_t renewals_ = 0;
  std::string last_error_;
  std::vector<Action> actions_;
};

std::string_view state_name(ClientMachine::State state);

// Checks a 200 answer to a v4v6 create and extracts the lease (flow 1): the client's IPv4, the
// TEP's IPv4 and IPv6 (<server>) and the lifetime must all be there and well formed. The
// error names what is missing or wrong.
Expected<Lease, std::string> lease_from_answer(const tsp::TunnelMessage& answer);

}  // namespace dstm::client
