#include "tsp/server_session.h"

#include <algorithm>
#include <utility>

#include "tsp/sasl/crypto.h"

namespace dstm::tsp {
namespace {

constexpr std::string_view kAuthenticate = "AUTHENTICATE";

bool is_ascii_space(char c) { return c == ' ' || c == '\t'; }

// "AUTHENTICATE DIGEST-MD5" -> "DIGEST-MD5"; nullopt when the line is not an AUTHENTICATE.
std::optional<std::string_view> authenticate_argument(std::string_view line) {
  std::string_view s = strip_stray_nuls(line);
  if (s.size() < kAuthenticate.size()) return std::nullopt;
  for (std::size_t i = 0; i < kAuthenticate.size(); ++i) {
    char c = s[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != kAuthenticate[i]) return std::nullopt;
  }
  s.remove_prefix(kAuthenticate.size());
  if (s.empty() || !is_ascii_space(s.front())) return std::nullopt;
  while (!s.empty() && is_ascii_space(s.front())) s.remove_prefix(1);
  return s;
}

Capabilities offer_for(const ServerSessionConfig& config) {
  Capabilities caps = config.offer;
  // PLAIN sends the password itself: only over TLS (issue #5), unless a test asks otherwise.
  if (!config.transport_secure && !config.allow_plain_without_tls) {
    std::erase(caps.mechanisms, sasl::Mechanism::kPlain);
  }
  return caps;
}

}  // namespace

ServerSession::ServerSession(const ServerSessionConfig& config,
                             const sasl::CredentialStore& credentials, sasl::NonceSource& nonces,
                             Transport transport, std::uint64_t now_ms)
    : config_(config),
      credentials_(credentials),
      nonces_(nonces),
      transport_(transport),
      offer_(offer_for(config)),
      decoder_(config.framing),
      deadline_ms_(now_ms + config.handshake_deadline_ms) {}

ServerSession::~ServerSession() = default;

void ServerSession::on_input(std::string_view bytes, std::uint64_t now_ms) {
  if (closed()) return;
  if (transport_ == Transport::kDatagram) reply_due_ = true;
  bytes_in_ += bytes.size();
  if (bytes_in_ > config_.byte_budget) {
    finish(Status::kStatusError, "session exceeded its byte budget of " +
                                     std::to_string(config_.byte_budget), true);
    return;
  }
  if (transport_ == Transport::kStream) {
    decoder_.feed(bytes);
    process(now_ms);
    // Bytes left over are an unfinished message (a complete one waiting for an answer is not
    // the sender's delay): its clock starts with the first of them.
    if (decoder_.buffered() == 0 || phase_ == Phase::kAwaitingAnswer) {
      partial_since_.reset();
    } else if (!partial_since_) {
      partial_since_ = now_ms;
    }
    return;
  }
  auto item = decode_datagram(bytes, config_.framing);
  if (!item) {
    protocol_error(item.error().status, item.error().detail);
    reply_status_line(item.error().status);
  } else {
    handle_item(*item);
  }
  // Every datagram gets exactly one answer; text-less ones a header-only datagram (§1).
  if (reply_due_ && phase_ != Phase::kAwaitingAnswer && !closed()) write("");
  (void)now_ms;
}

void ServerSession::process(std::uint64_t now_ms) {
  (void)now_ms;
  while (!closed() && phase_ != Phase::kAwaitingAnswer) {
    auto item = decoder_.next();
    if (!item) {
      if (decoder_.error()) {
        protocol_error(decoder_.error()->status, decoder_.error()->detail);
        finish(decoder_.error()->status, "framing error: " + decoder_.error()->detail, true);
      }
      return;
    }
    handle_item(*item);
  }
}

void ServerSession::on_timer(std::uint64_t now_ms) {
  if (closed()) return;
  bool authenticated = phase_ == Phase::kCommand || phase_ == Phase::kAwaitingAnswer;
  if (!authenticated && now_ms >= deadline_ms_) {
    finish(Status::kStatusError, "handshake deadline passed", true);
  } else if (partial_since_ && now_ms >= *partial_since_ + config_.message_deadline_ms) {
    finish(Status::kStatusError, "a message was not completed within " +
                                     std::to_string(config_.message_deadline_ms) + " ms", true);
  }
}

std::optional<std::uint64_t> ServerSession::next_deadline() const {
  if (closed()) return std::nullopt;
  std::optional<std::uint64_t> next;
  if (phase_ != Phase::kCommand && phase_ != Phase::kAwaitingAnswer) next = deadline_ms_;
  if (partial_since_) {
    const std::uint64_t partial = *partial_since_ + config_.message_deadline_ms;
    next = next ? std::min(*next, partial) : partial;
  }
  return next;
}

void ServerSession::handle_item(const FramedItem& item) {
  switch (phase_) {
    case Phase::kVersion: return handle_version(item);
    case Phase::kAuthenticate: return handle_authenticate(item);
    case Phase::kSasl: return handle_sasl(item);
    case Phase::kSaslSuccessAck: return handle_sasl_ack(item);
    case Phase::kCommand: return handle_command(item);
    case Phase::kAwaitingAnswer:
    case Phase::kClosed: return;
  }
}

void ServerSession::handle_version(const FramedItem& item) {
  if (item.kind == FramedItem::Kind::kLine && item.text.empty()) return;  // stray RUDP ack
  auto text = item.kind == FramedItem::Kind::kLine ? parse_version_line(item.text) : std::nullopt;
  if (!text) {
    protocol_error(Status::kInvalidRequest, "expected VERSION=, got something else");
    finish(Status::kInvalidRequest, "no VERSION line", true);
    return;
  }
  version_ = supported_version(*text);
  if (!version_) {
    protocol_error(Status::kUnsupportedVersion, "client version '" + *text + "' not supported");
    if (!config_.referral_brokers.empty()) {
      // Referral: code + 1000 and a <broker> list (draft-00 §"Return codes"; gogoc
      // tsp_redirect.c parses the brokers from the XML after the status line).
      TunnelMessage referral{};
      referral.action = TunnelAction::kInfo;
      referral.brokers = config_.referral_brokers;
      write(referral_status_line(Status::kUnsupportedVersion) +
            serialize_tunnel(referral, XmlStyle::kServerReply));
      finish(Status::kUnsupportedVersion, "unsupported version, referred", false);
    } else {
      finish(Status::kUnsupportedVersion, "unsupported version '" + *text + "'", true);
    }
    return;
  }
  phase_ = Phase::kAuthenticate;
  write(capability_line(offer_));
}

void ServerSession::handle_authenticate(const FramedItem& item) {
  if (item.kind == FramedItem::Kind::kLine && item.text.empty()) return;
  auto arg = item.kind == FramedItem::Kind::kLine ? authenticate_argument(item.text) : std::nullopt;
  if (!arg) {
    protocol_error(Status::kAuthFailed, "expected AUTHENTICATE before any request");
    auth_failed("no AUTHENTICATE line");
    return;
  }
  auto mechanism = sasl::mechanism_from_name(*arg);
  if (!mechanism || std::find(offer_.mechanisms.begin(), offer_.mechanisms.end(), *mechanism) ==
                        offer_.mechanisms.end()) {
    protocol_error(Status::kAuthFailed, "mechanism '" + std::string(*arg) + "' not offered");
    auth_failed("mechanism not offered");
    return;
  }
  start_mechanism(*mechanism);
}

void ServerSession::start_mechanism(sasl::Mechanism mechanism) {
  mechanism_ = sasl::make_server_mechanism(mechanism, config_.sasl, credentials_, nonces_);
  phase_ = Phase::kSasl;
  // PLAIN and SCRAM: the client's first message is the next line (on TCP it may already be in
  // the same segment: gogoc does not wait after AUTHENTICATE PLAIN). On RUDP the AUTHENTICATE
  // datagram itself is answered header-only.
  if (sasl::client_speaks_first(mechanism)) return;
  apply_sasl_step(mechanism_->step(""));
}

void ServerSession::handle_sasl(const FramedItem& item) {
  if (item.kind != FramedItem::Kind::kLine) {
    protocol_error(Status::kAuthFailed, "request during SASL exchange");
    auth_failed("request during SASL exchange");
    return;
  }
  std::string message;
  if (sasl::base64_on_wire(mechanism_->mechanism())) {
    std::string_view text = strip_stray_nuls(item.text);
    if (text.empty()) return;  // an RUDP ack or a stray NUL: nothing to say yet
    auto decoded = sasl::base64_decode(text);
    if (!decoded) {
      protocol_error(Status::kAuthFailed, "SASL message is not valid base64");
      auth_failed("bad base64");
      return;
    }
    message = std::move(*decoded);
  } else {
    // PLAIN travels raw; its NULs are the separators, so only the line end was removed.
    message = item.text;
  }
  apply_sasl_step(mechanism_->step(message));
}

void ServerSession::apply_sasl_step(const sasl::ServerStep& step) {
  const bool b64 = sasl::base64_on_wire(mechanism_->mechanism());
  switch (step.kind) {
    case sasl::ServerStep::Kind::kContinue:
      write((b64 ? sasl::base64_encode(step.message) : step.message) + "\r\n");
      return;
    case sasl::ServerStep::Kind::kFailure:
      protocol_error(Status::kAuthFailed, step.reason);
      auth_failed(step.reason);
      return;
    case sasl::ServerStep::Kind::kSuccess:
      break;
  }
  identity_ = step.identity;
  events_.push_back(Authenticated{identity_, mechanism_->mechanism()});
  bytes_in_ = 0;  // the handshake's bytes do not count against the first request
  if (!step.message.empty()) {
    // rspauth / server-final goes out as its own write: gogoc reads it with one recv() and the
    // status with the next (tsp-digest.md §2.3). On RUDP the client acknowledges it with an
    // empty datagram, which the 200 answers.
    write((b64 ? sasl::base64_encode(step.message) : step.message) + "\r\n");
    if (transport_ == Transport::kDatagram) {
      phase_ = Phase::kSaslSuccessAck;
      return;
    }
  }
  phase_ = Phase::kCommand;
  mechanism_.reset();
  write(status_line(Status::kSuccess));
}

void ServerSession::handle_sasl_ack(const FramedItem& item) {
  (void)item;  // whatever the client says here, it has verified us; the 200 answers it
  phase_ = Phase::kCommand;
  mechanism_.reset();
  write(status_line(Status::kSuccess));
}

void ServerSession::auth_failed(std::string detail) {
  mechanism_.reset();
  ++auth_failures_;
  if (auth_failures_ >= config_.max_auth_attempts) {
    finish(Status::kAuthFailed, "too many authentication failures: " + detail, true);
    return;
  }
  phase_ = Phase::kAuthenticate;
  reply_status_line(Status::kAuthFailed);
}

void ServerSession::handle_command(const FramedItem& item) {
  if (item.kind == FramedItem::Kind::kLine) {
    if (item.text.empty()) return;  // RUDP empty datagram: answered header-only
    protocol_error(Status::kInvalidRequest, "expected a Content-length request");
    reply_framed(Status::kInvalidRequest, nullptr);
    return;
  }
  auto parsed = parse_tunnel(item.text, config_.xml);
  if (!parsed) {
    protocol_error(parsed.error().status, parsed.error().detail);
    reply_framed(parsed.error().status, nullptr);
    return;
  }
  switch (parsed->action) {
    case TunnelAction::kAccept:
    case TunnelAction::kReject:
      if (!offer_pending_accept_) {
        protocol_error(Status::kInvalidRequest, "accept/reject without an offer");
        return;  // nothing to answer on TCP; RUDP gets its header-only reply
      }
      offer_pending_accept_ = false;
      if (parsed->action == TunnelAction::kAccept) {
        events_.push_back(TunnelAccepted{});
      } else {
        events_.push_back(TunnelRejected{});
      }
      return;
    case TunnelAction::kCreate:
    case TunnelAction::kInfo:
    case TunnelAction::kDelete:
      phase_ = Phase::kAwaitingAnswer;
      events_.push_back(TunnelRequested{std::move(*parsed)});
      return;
  }
}

void ServerSession::answer(Status status, const TunnelMessage* message) {
  if (phase_ != Phase::kAwaitingAnswer) return;
  phase_ = Phase::kCommand;
  // The budget bounds what a peer may send without being answered: it starts again with each
  // answer, so a kept-open session (a DSTM server feeding its TEP, a node renewing for days)
  // is never cut for its age alone.
  bytes_in_ = 0;
  reply_framed(status, status == Status::kSuccess ? message : nullptr);
  bool is_offer = status == Status::kSuccess && message != nullptr;
  if (is_offer && version_ && !version_->has_accept_step) {
    events_.push_back(TunnelAccepted{});  // 1.x: "immediately jump in tunnel mode"
  } else {
    offer_pending_accept_ = is_offer;
  }
  if (transport_ == Transport::kStream) process(0);
}

bool ServerSession::send_request(const TunnelMessage& message) {
  if (transport_ != Transport::kStream || closed()) return false;
  write(frame_content(status_line(Status::kSuccess) +
                      serialize_tunnel(message, XmlStyle::kServerReply)),
        true);
  return true;
}

void ServerSession::close(Status status, std::string reason) {
  if (closed()) return;
  finish(status, std::move(reason), true);
}

void ServerSession::reply_status_line(Status status) {
  if (phase_ == Phase::kCommand || phase_ == Phase::kAwaitingAnswer) {
    reply_framed(status, nullptr);
  } else {
    write(status_line(status));
  }
}

void ServerSession::reply_framed(Status status, const TunnelMessage* message) {
  std::string body = status_line(status);
  if (message) body += serialize_tunnel(*message, XmlStyle::kServerReply);
  write(frame_content(body));
}

void ServerSession::write(std::string bytes, bool unsolicited) {
  if (!unsolicited && transport_ == Transport::kDatagram) {
    if (!reply_due_) unsolicited = true;  // e.g. a close from on_timer()
    reply_due_ = false;
  }
  writes_.push_back(OutboundWrite{std::move(bytes), unsolicited});
}

void ServerSession::protocol_error(Status status, std::string detail) {
  events_.push_back(ProtocolError{status, std::move(detail)});
}

void ServerSession::finish(Status status, std::string reason, bool send_status) {
  if (send_status) reply_status_line(status);
  phase_ = Phase::kClosed;
  mechanism_.reset();
  events_.push_back(SessionClosed{status, std::move(reason)});
}

std::vector<OutboundWrite> ServerSession::take_writes() { return std::exchange(writes_, {}); }
std::vector<ServerEvent> ServerSession::take_events() { return std::exchange(events_, {}); }

}  // namespace dstm::tsp
