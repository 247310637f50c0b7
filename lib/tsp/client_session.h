// The client side of one TSP session (dstm-client facing a DSTM server, or dstm-server facing
// a TEP's agent): bytes in, writes and events out. The owner opens the transport, calls
// start(), feeds what arrives, sends what it writes, and reacts to the events.
//
// A 302 answer to VERSION ends the session with VersionRejected: real clients then reconnect
// and offer the next version (gogoc: 2.0.2, 2.0.1, 2.0.0, 1.0.1 — tsp-digest.md §2.1).
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
#include "tsp/sasl/mechanism.h"
#include "tsp/server_session.h"  // Transport
#include "tsp/status.h"

namespace dstm::tsp {

struct ClientSessionConfig {
  std::string version = "2.0.2";
  TunnelType tunnel_type = TunnelType::kV4V6;
  // Preference order; the first one the server offers is used.
  std::vector<sasl::Mechanism> mechanisms{sasl::Mechanism::kScramSha256,
                                          sasl::Mechanism::kDigestMd5};
  sasl::ClientCredentials credentials;
  std::string digest_host;  // DIGEST-MD5 digest-uri is "tsp/<digest_host>" (gogoc: server=)
  // gogoc 1.2 sends each AUTHENTICATE line with its C string NUL (tsp-digest.md §2.3). Off for
  // our own client; on to replay gogoc's exact bytes in interoperability tests.
  bool nul_after_authenticate = false;
  FramingLimits framing;
  XmlLimits xml;
};

struct CapabilitiesReceived {
  Capabilities capabilities;
};
struct ClientAuthenticated {
  sasl::Mechanism mechanism;
};
struct TunnelReply {  // the answer to request()
  int code;           // as sent; status_from_code() names it when it is one of ours
  std::optional<TunnelMessage> message;
};
struct ServerRequest {  // sent by the server on its own, e.g. Tunnel Delete at lease end
  TunnelMessage message;
};
struct Redirected {  // a 1000+ referral with its <broker> list
  int code;
  std::vector<Address> brokers;
};
struct VersionRejected {
  std::string version;
};
struct ClientFailed {  // the session is over
  int code;            // TSP code, or 0 when the failure is local (malformed reply, no common mechanism)
  std::string reason;
};
using ClientEvent = std::variant<CapabilitiesReceived, ClientAuthenticated, TunnelReply,
                                 ServerRequest, Redirected, VersionRejected, ClientFailed>;

class ClientSession {
 public:
  enum class Phase {
    kIdle, kVersion, kAuthStatus, kAuthAck, kSasl, kSaslFinalAck, kReady, kRequest, kAcceptAck,
    kRedirect, kClosed
  };

  ClientSession(ClientSessionConfig config, sasl::NonceSource& nonces, Transport transport);
  ~ClientSession();
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  void start();
  void on_input(std::string_view bytes);
  // Sends a tunnel request (create / info / delete) once authenticated; false if not ready.
  bool request(const TunnelMessage& message);
  // Confirms the offer in the last TunnelReply (2.x; 1.x has no accept step). False if not ready.
  bool accept();
  bool reject();

  std::vector<std::string> take_writes();
  std::vector<ClientEvent> take_events();
  Phase phase() const { return phase_; }
  bool closed() const { return phase_ == Phase::kClosed; }
  bool ready() const { return phase_ == Phase::kReady; }

 private:
  void handle_item(const FramedItem& item);
  void handle_capability(const FramedItem& item);
  void handle_auth_status(const FramedItem& item);
  void handle_sasl(const FramedItem& item);
  void handle_ready(const FramedItem& item);
  void handle_request_reply(const FramedItem& item);
  void handle_redirect_line(const FramedItem& item);
  void send_initial_response();
  void send_sasl(std::string_view message);
  bool begin_redirect(int code, std::string_view rest);
  void finish_redirect(std::string_view xml);
  void fail(int code, std::string reason);
  void write(std::string bytes) { writes_.push_back(std::move(bytes)); }

  ClientSessionConfig config_;
  sasl::NonceSource& nonces_;
  Transport transport_;
  StreamDecoder decoder_;
  Phase phase_ = Phase::kIdle;
  std::unique_ptr<sasl::ClientMechanism> mechanism_;
  int redirect_code_ = 0;
  std::string redirect_xml_;
  std::vector<std::string> writes_;
  std::vector<ClientEvent> events_;
};

}  // namespace dstm::tsp
