#include "tsp/client_session.h"

#include <algorithm>
#include <utility>

#include "tsp/sasl/crypto.h"

namespace dstm::tsp {
namespace {

// A status line is digits then a space or the end ("200 Success", "300"); a base64 SASL line
// never holds a space, so the two cannot be confused.
std::optional<int> status_of(std::string_view line) {
  std::string_view s = strip_stray_nuls(line);
  std::size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  if (digits < 3 || digits > 4 || (digits < s.size() && s[digits] != ' ')) return std::nullopt;
  return parse_status_code(s);
}

bool tunnel_available(TunnelType wanted, const Capabilities& caps) {
  auto offered = [&caps](TunnelType t) {
    return std::find(caps.tunnel_types.begin(), caps.tunnel_types.end(), t) !=
           caps.tunnel_types.end();
  };
  // There is no V6ANYV4 capability: a v6anyv4 client takes V6V4 or V6UDPV4 (tsp-digest.md §2.2).
  if (wanted == TunnelType::kV6AnyV4) return offered(TunnelType::kV6V4) || offered(TunnelType::kV6UdpV4);
  return offered(wanted);
}

}  // namespace

ClientSession::ClientSession(ClientSessionConfig config, sasl::NonceSource& nonces,
                             Transport transport)
    : config_(std::move(config)), nonces_(nonces), transport_(transport), decoder_(config_.framing) {}

ClientSession::~ClientSession() = default;

void ClientSession::start() {
  if (phase_ != Phase::kIdle) return;
  phase_ = Phase::kVersion;
  write(version_line(config_.version));
}

void ClientSession::on_input(std::string_view bytes) {
  if (closed()) return;
  if (transport_ == Transport::kDatagram) {
    auto item = decode_datagram(bytes, config_.framing);
    if (!item) return fail(0, "malformed reply: " + item.error().detail);
    handle_item(*item);
    return;
  }
  decoder_.feed(bytes);
  while (!closed()) {
    auto item = decoder_.next();
    if (!item) {
      if (decoder_.error()) fail(0, "malformed reply: " + decoder_.error()->detail);
      return;
    }
    handle_item(*item);
  }
}

void ClientSession::handle_item(const FramedItem& item) {
  switch (phase_) {
    case Phase::kVersion: return handle_capability(item);
    case Phase::kAuthStatus: return handle_auth_status(item);
    case Phase::kAuthAck:
      if (!item.text.empty()) return handle_auth_status(item);  // an early failure status
      return send_initial_response();
    case Phase::kSasl: return handle_sasl(item);
    case Phase::kSaslFinalAck:
      if (item.text.empty()) return;  // RUDP: the answer to our empty ack is the 200 below
      return handle_auth_status(item);
    case Phase::kReady: return handle_ready(item);
    case Phase::kRequest: return handle_request_reply(item);
    case Phase::kAcceptAck:
      phase_ = Phase::kReady;
      if (!item.text.empty()) handle_ready(item);
      return;
    case Phase::kRedirect: return handle_redirect_line(item);
    case Phase::kIdle:
    case Phase::kClosed: return;
  }
}

void ClientSession::handle_capability(const FramedItem& item) {
  if (item.kind == FramedItem::Kind::kLine && item.text.empty()) return;
  if (auto code = status_of(item.text)) {
    if (*code == code_of(Status::kUnsupportedVersion)) {
      events_.push_back(VersionRejected{config_.version});
      phase_ = Phase::kClosed;
      return;
    }
    if (begin_redirect(*code, item.trailer)) return;
    return fail(*code, "server refused the session: " + std::string(strip_stray_nuls(item.text)));
  }
  auto caps = parse_capability_line(item.text);
  if (!caps) return fail(0, "expected CAPABILITY, got '" + std::string(item.text.substr(0, 80)) + "'");
  events_.push_back(CapabilitiesReceived{*caps});
  if (!tunnel_available(config_.tunnel_type, *caps)) {
    return fail(code_of(Status::kUnsupportedTunnelType),
                "server does not offer tunnel type " + std::string(xml_name(config_.tunnel_type)));
  }
  auto chosen = std::find_first_of(config_.mechanisms.begin(), config_.mechanisms.end(),
                                   caps->mechanisms.begin(), caps->mechanisms.end());
  if (chosen == config_.mechanisms.end()) {
    return fail(code_of(Status::kAuthFailed), "no authentication mechanism in common");
  }
  mechanism_ = sasl::make_client_mechanism(*chosen, config_.credentials, config_.digest_host, nonces_);
  std::string line = "AUTHENTICATE " + std::string(sasl::wire_name(*chosen)) + "\r\n";
  if (config_.nul_after_authenticate) line.push_back('\0');
  write(std::move(line));
  if (!sasl::client_speaks_first(*chosen)) {
    phase_ = *chosen == sasl::Mechanism::kAnonymous ? Phase::kAuthStatus : Phase::kSasl;
  } else if (transport_ == Transport::kDatagram) {
    phase_ = Phase::kAuthAck;  // the AUTHENTICATE datagram is answered header-only first
  } else {
    send_initial_response();  // TCP: gogoc sends PLAIN's line right away
  }
}

void ClientSession::send_initial_response() {
  auto first = mechanism_->initial_response();
  phase_ = mechanism_->mechanism() == sasl::Mechanism::kPlain ? Phase::kAuthStatus : Phase::kSasl;
  send_sasl(first.value_or(""));
}

void ClientSession::send_sasl(std::string_view message) {
  bool b64 = sasl::base64_on_wire(mechanism_->mechanism());
  write((b64 ? sasl::base64_encode(message) : std::string(message)) + "\r\n");
}

void ClientSession::handle_sasl(const FramedItem& item) {
  if (item.text.empty()) return;
  if (auto code = status_of(item.text)) {
    return fail(*code, "authentication failed: " + std::string(strip_stray_nuls(item.text)));
  }
  auto decoded = sasl::base64_decode(strip_stray_nuls(item.text));
  if (!decoded) return fail(0, "SASL challenge is not valid base64");
  sasl::ClientStep step = mechanism_->step(*decoded);
  switch (step.kind) {
    case sasl::ClientStep::Kind::kSend:
      send_sasl(step.message);
      return;
    case sasl::ClientStep::Kind::kDone:
      // Server verified (rspauth / v=). RUDP: acknowledge with an empty datagram, which the
      // server answers with the status; TCP: the status simply follows (tsp-digest.md §2.3).
      phase_ = Phase::kSaslFinalAck;
      if (transport_ == Transport::kDatagram) write("");
      return;
    case sasl::ClientStep::Kind::kFailure:
      return fail(0, "server failed mutual authentication: " + step.reason);
  }
}

void ClientSession::handle_auth_status(const FramedItem& item) {
  if (item.text.empty()) return;
  auto code = status_of(item.text);
  if (!code) return fail(0, "expected a status line after authentication");
  if (*code == code_of(Status::kSuccess)) {
    phase_ = Phase::kReady;
    events_.push_back(ClientAuthenticated{mechanism_->mechanism()});
    return;
  }
  if (begin_redirect(*code, item.trailer)) return;
  fail(*code, "authentication failed: " + std::string(strip_stray_nuls(item.text)));
}

bool ClientSession::request(const TunnelMessage& message) {
  if (phase_ != Phase::kReady) return false;
  phase_ = Phase::kRequest;
  write(frame_content(serialize_tunnel(message, XmlStyle::kClientRequest)));
  return true;
}

bool ClientSession::accept() {
  if (phase_ != Phase::kReady) return false;
  auto v = supported_version(config_.version);
  if (v && !v->has_accept_step) return true;
  TunnelMessage accept_message{};
  accept_message.action = TunnelAction::kAccept;
  write(frame_content(serialize_tunnel(accept_message, XmlStyle::kClientRequest)));
  if (transport_ == Transport::kDatagram) phase_ = Phase::kAcceptAck;
  return true;
}

bool ClientSession::reject() {
  if (phase_ != Phase::kReady) return false;
  TunnelMessage reject_message{};
  reject_message.action = TunnelAction::kReject;
  write(frame_content(serialize_tunnel(reject_message, XmlStyle::kClientRequest)));
  if (transport_ == Transport::kDatagram) phase_ = Phase::kAcceptAck;
  return true;
}

// Splits a reply body "<status line>\r\n<xml>" the way gogoc does: the status is the number at
// the start, the XML starts at the first '<' after the first line (tsp-digest.md §2.4).
void ClientSession::handle_request_reply(const FramedItem& item) {
  if (item.kind != FramedItem::Kind::kContent) {
    if (item.text.empty()) return;
    return fail(0, "expected a Content-length reply");
  }
  std::size_t eol = item.text.find('\n');
  auto code = parse_status_code(item.text.substr(0, eol));
  if (!code) return fail(0, "reply without a status line");
  std::string_view rest = eol == std::string::npos ? "" : std::string_view(item.text).substr(eol + 1);
  std::size_t lt = rest.find('<');
  phase_ = Phase::kReady;
  if (is_referral_code(*code)) {
    begin_redirect(*code, rest);
    return;
  }
  if (lt == std::string_view::npos) {
    events_.push_back(TunnelReply{*code, std::nullopt});
    return;
  }
  auto parsed = parse_tunnel(rest.substr(lt), config_.xml);
  if (!parsed) return fail(0, "malformed tunnel XML in reply: " + parsed.error().detail);
  events_.push_back(TunnelReply{*code, std::move(*parsed)});
}

// A frame while no request is outstanding: the server's own request (Tunnel Delete, DSTM
// profile §4.3), framed as "Content-length: N\r\n200 Success\r\n<tunnel ...>".
void ClientSession::handle_ready(const FramedItem& item) {
  if (item.kind != FramedItem::Kind::kContent) return;  // stray line: nothing to act on
  std::size_t lt = item.text.find('<');
  if (lt == std::string::npos) return;
  auto parsed = parse_tunnel(std::string_view(item.text).substr(lt), config_.xml);
  if (!parsed) return fail(0, "malformed server request: " + parsed.error().detail);
  events_.push_back(ServerRequest{std::move(*parsed)});
}

bool ClientSession::begin_redirect(int code, std::string_view rest) {
  if (!is_referral_code(code)) return false;
  redirect_code_ = code;
  redirect_xml_.assign(rest);
  if (redirect_xml_.find("</tunnel>") != std::string::npos) {
    finish_redirect(redirect_xml_);
  } else {
    phase_ = Phase::kRedirect;  // TCP, auth phase: the XML follows as lines
  }
  return true;
}

void ClientSession::handle_redirect_line(const FramedItem& item) {
  redirect_xml_ += item.text;
  redirect_xml_ += "\r\n";
  if (redirect_xml_.size() > config_.framing.max_content_length) {
    return fail(redirect_code_, "referral too long");
  }
  if (item.text.find("</tunnel>") != std::string::npos) finish_redirect(redirect_xml_);
}

void ClientSession::finish_redirect(std::string_view xml) {
  std::size_t lt = xml.find('<');
  auto parsed = lt == std::string_view::npos ? decltype(parse_tunnel(xml)){dstm::unexpected(ParseError{Status::kInvalidRequest, "no XML"})}
                                              : parse_tunnel(xml.substr(lt), config_.xml);
  std::vector<Address> brokers;
  if (parsed) brokers = parsed->brokers;
  events_.push_back(Redirected{redirect_code_, std::move(brokers)});
  phase_ = Phase::kClosed;
}

void ClientSession::fail(int code, std::string reason) {
  events_.push_back(ClientFailed{code, std::move(reason)});
  phase_ = Phase::kClosed;
  mechanism_.reset();
}

std::vector<std::string> ClientSession::take_writes() { return std::exchange(writes_, {}); }
std::vector<ClientEvent> ClientSession::take_events() { return std::exchange(events_, {}); }

}  // namespace dstm::tsp
