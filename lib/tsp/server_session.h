// The server side of one TSP session (a DSTM server facing nodes, or a TEP agent facing DSTM
// servers): bytes in, writes and events out, time passed in. No sockets, no clocks, no logging:
// the daemon that owns the socket feeds it, sends what it writes, and logs what it reports.
//
// Phases (draft-blanchet-v6ops-tunnelbroker-tsp-00 §2, tsp-digest.md §2):
//   VERSION=x -> CAPABILITY ... -> AUTHENTICATE <mech> [SASL exchange] -> 200 Success
//   -> Content-length framed tunnel requests (create/info/delete), each answered by the
//   application through answer(); a create is confirmed by the client's accept (2.x only).
// The session stays open after accept: the DSTM profile keeps it for the lease, so the server
// can send Tunnel Delete on it (draft-bound-dstm-exp-00 TSP profile §4.3).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tsp/framing.h"
#include "tsp/handshake.h"
#include "tsp/message/tunnel.h"
#include "tsp/message/tunnel_xml.h"
#include "tsp/sasl/credentials.h"
#include "tsp/sasl/mechanism.h"
#include "tsp/status.h"

namespace dstm::tsp {

enum class Transport {
  kStream,    // TCP: a byte stream; writes are sent in order, each with its own send()
  kDatagram,  // RUDP: one input = one datagram payload; exactly one reply per input
};

struct ServerSessionConfig {
  Capabilities offer{{TunnelType::kV4V6},
                     {sasl::Mechanism::kScramSha256, sasl::Mechanism::kDigestMd5}};
  bool transport_secure = false;         // TLS underneath: PLAIN is only offered then
  bool allow_plain_without_tls = false;  // for tests against gogoc's observed bytes only
  sasl::ServerOptions sasl;
  std::vector<Address> referral_brokers;  // non-empty: 302 is sent as 1302 with this <broker> list
  FramingLimits framing;
  XmlLimits xml;
  std::uint64_t handshake_deadline_ms = 30000;  // from start until authenticated
  std::size_t byte_budget = 1u << 20;  // input bytes before authentication, then between answers
  // A message begun on a stream must be complete within this: the minimum data rate that stops
  // a slow sender from holding a session (and its buffers) with a trickle of bytes.
  std::uint64_t message_deadline_ms = 10000;
  int max_auth_attempts = 3;
};

// What the application learns from a session.
struct Authenticated {
  std::string identity;
  sasl::Mechanism mechanism;
};
struct TunnelRequested {  // create, info or delete: call answer() exactly once
  TunnelMessage message;
};
struct TunnelAccepted {};  // the client confirmed the last offer (or 1.x: implicit on answer)
struct TunnelRejected {};  // the client refused the last offer
struct ProtocolError {     // a malformed or unexpected message; its error reply is already queued
  Status status;
  std::string detail;
};
struct SessionClosed {
  Status status;
  std::string reason;
};
using ServerEvent = std::variant<Authenticated, TunnelRequested, TunnelAccepted, TunnelRejected,
                                 ProtocolError, SessionClosed>;

struct OutboundWrite {
  std::string bytes;
  // Not a reply to the client's last datagram (a timer close, a server-initiated request). On
  // RUDP a kill goes out with sequence 0xFFFFFFFF (tsps tsp_disconnect).
  bool unsolicited = false;
};

class ServerSession {
 public:
  enum class Phase { kVersion, kAuthenticate, kSasl, kSaslSuccessAck, kCommand, kAwaitingAnswer, kClosed };

  ServerSession(const ServerSessionConfig& config, const sasl::CredentialStore& credentials,
                sasl::NonceSource& nonces, Transport transport, std::uint64_t now_ms);
  ~ServerSession();
  ServerSession(const ServerSession&) = delete;
  ServerSession& operator=(const ServerSession&) = delete;

  void on_input(std::string_view bytes, std::uint64_t now_ms);
  void on_timer(std::uint64_t now_ms);
  std::optional<std::uint64_t> next_deadline() const;

  // The application's answer to TunnelRequested: a status and, on success, the message to send
  // (normally action="info"). Buffered input is processed after it.
  void answer(Status status, const TunnelMessage* message);
  // A server-initiated request such as Tunnel Delete, framed with a 200 status line as the DSTM
  // profile shows it. Only on streams: RUDP has no way to send unprompted. False if not sent.
  bool send_request(const TunnelMessage& message);
  void close(Status status, std::string reason);

  std::vector<OutboundWrite> take_writes();
  std::vector<ServerEvent> take_events();

  Phase phase() const { return phase_; }
  bool closed() const { return phase_ == Phase::kClosed; }
  const std::string& identity() const { return identity_; }
  const std::optional<ProtocolVersion>& version() const { return version_; }
  const Capabilities& effective_offer() const { return offer_; }

 private:
  void process(std::uint64_t now_ms);
  void handle_item(const FramedItem& item);
  void handle_version(const FramedItem& item);
  void handle_authenticate(const FramedItem& item);
  void handle_sasl(const FramedItem& item);
  void handle_sasl_ack(const FramedItem& item);
  void handle_command(const FramedItem& item);
  void start_mechanism(sasl::Mechanism mechanism);
  void apply_sasl_step(const sasl::ServerStep& step);
  void auth_failed(std::string detail);
  void reply_status_line(Status status);
  void reply_framed(Status status, const TunnelMessage* message);
  void write(std::string bytes, bool unsolicited = false);
  void protocol_error(Status status, std::string detail);
  void finish(Status status, std::string reason, bool send_status);

  ServerSessionConfig config_;
  const sasl::CredentialStore& credentials_;
  sasl::NonceSource& nonces_;
  Transport transport_;
  Capabilities offer_;
  StreamDecoder decoder_;
  Phase phase_ = Phase::kVersion;
  std::optional<ProtocolVersion> version_;
  std::unique_ptr<sasl::ServerMechanism> mechanism_;
  std::string identity_;
  int auth_failures_ = 0;
  bool offer_pending_accept_ = false;
  std::size_t bytes_in_ = 0;
  std::uint64_t deadline_ms_;
  bool reply_due_ = false;  // datagram: the current input has not been answered yet
  std::optional<std::uint64_t> partial_since_;  // stream: when the unfinished message began
  std::vector<OutboundWrite> writes_;
  std::vector<ServerEvent> events_;
};

}  // namespace dstm::tsp
