// dstm-client's TSP state machine: see client_machine.h.
#include "client_machine.h"

#include <algorithm>

#include "util/log.h"

namespace dstm::client {
namespace {

std::string seconds(std::uint64_t ms) { return std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 / 100) + " s"; }

std::string code_text(int code) {
  std::string out = std::to_string(code);
  if (auto s = tsp::status_from_code(code)) out += " " + std::string(tsp::reason_of(*s));
  return out;
}

}  // namespace

std::string_view state_name(ClientMachine::State state) {
  switch (state) {
    case ClientMachine::State::kIdle: return "idle";
    case ClientMachine::State::kConnecting: return "connecting";
    case ClientMachine::State::kHandshake: return "authenticating";
    case ClientMachine::State::kRequesting: return "requesting";
    case ClientMachine::State::kLeased: return "leased";
    case ClientMachine::State::kRenewing: return "renewing";
    case ClientMachine::State::kBackoff: return "backoff";
    case ClientMachine::State::kStopped: return "stopped";
  }
  return "?";
}

Expected<Lease, std::string> lease_from_answer(const tsp::TunnelMessage& answer) {
  using tsp::AddressType;
  if (answer.type && *answer.type != tsp::TunnelType::kV4V6) {
    return unexpected(std::string("tunnel type is ") + std::string(tsp::xml_name(*answer.type)) + ", not v4v6");
  }
  Lease lease;
  const tsp::Address* client4 = answer.client ? answer.client->find(AddressType::kIpv4) : nullptr;
  if (client4 == nullptr) return unexpected(std::string("no client IPv4 address"));
  auto v4 = net::Ipv4Address::parse(client4->value);
  if (!v4 || v4->is_martian() || v4->is_limited_broadcast()) {
    return unexpected("client IPv4 '" + client4->value + "' is not a unicast IPv4 address");
  }
  lease.ipv4 = *v4;
  const tsp::Address* tep4 = answer.server ? answer.server->find(AddressType::kIpv4) : nullptr;
  if (tep4 == nullptr) return unexpected(std::string("no server (TEP) IPv4 address"));
  auto t4 = net::Ipv4Address::parse(tep4->value);
  if (!t4 || t4->is_martian() || t4->is_limited_broadcast()) {
    return unexpected("TEP IPv4 '" + tep4->value + "' is not a unicast IPv4 address");
  }
  lease.tep_ipv4 = *t4;
  const tsp::Address* tep6 = answer.server ? answer.server->find(AddressType::kIpv6) : nullptr;
  if (tep6 == nullptr) return unexpected(std::string("no server (TEP) IPv6 address"));
  auto t6 = net::Ipv6Address::parse(tep6->value);
  if (!t6 || t6->is_unspecified() || t6->is_multicast() || t6->is_loopback() || t6->is_link_local()) {
    return unexpected("TEP IPv6 '" + tep6->value + "' is not a usable unicast IPv6 address");
  }
  lease.tep_ipv6 = *t6;
  if (!answer.lifetime) return unexpected(std::string("no lifetime"));
  if (*answer.lifetime == 0) return unexpected(std::string("lifetime is 0"));
  lease.lifetime_s = *answer.lifetime;
  return lease;
}

ClientMachine::ClientMachine(MachineConfig config, tsp::sasl::NonceSource& nonces, tsp::Transport transport)
    : config_(std::move(config)), nonces_(nonces), transport_(transport) {
  config_.session.tunnel_type = tsp::TunnelType::kV4V6;
  config_.renew_fraction = std::clamp(config_.renew_fraction, 0.05, 0.95);
  if (config_.server_count == 0) config_.server_count = 1;
  config_.retry_min_ms = std::max<std::uint64_t>(config_.retry_min_ms, 1);
  config_.retry_max_ms = std::max(config_.retry_max_ms, config_.retry_min_ms);
}

ClientMachine::~ClientMachine() = default;

void ClientMachine::start(std::uint64_t now_ms) {
  if (state_ != State::kIdle) return;
  state_ = State::kConnecting;
  deadline_ms_ = now_ms + config_.answer_timeout_ms;
  actions_.push_back(Connect{server_index_});
}

void ClientMachine::on_connected(std::uint64_t now_ms) {
  if (state_ != State::kConnecting) return;
  session_ = std::make_unique<tsp::ClientSession>(config_.session, nonces_, transport_);
  session_->start();
  state_ = State::kHandshake;
  deadline_ms_ = now_ms + config_.answer_timeout_ms;
  flush_writes();
}

void ClientMachine::on_connect_failed(std::uint64_t now_ms, const std::string& reason) {
  if (state_ != State::kConnecting) return;
  log::warning("cannot reach server #" + std::to_string(server_index_) + ": " + reason);
  last_error_ = reason;
  server_index_ = (server_index_ + 1) % config_.server_count;
  actions_.push_back(Disconnect{});
  retry_later(now_ms, true);
}

void ClientMachine::on_input(std::uint64_t now_ms, std::string_view bytes) {
  if (!session_) return;
  session_->on_input(bytes);
  drain(now_ms);
}

void ClientMachine::on_disconnected(std::uint64_t now_ms, const std::string& reason) {
  if (!session_ && state_ != State::kConnecting) return;
  drop_session(now_ms, "connection lost: " + reason);
}

void ClientMachine::drain(std::uint64_t now_ms) {
  flush_writes();
  for (auto& event : session_->take_events()) {
    if (!session_) break;  // an earlier event ended the session
    if (std::holds_alternative<tsp::ClientAuthenticated>(event)) {
      log::info("authenticated with " +
                std::string(tsp::sasl::wire_name(std::get<tsp::ClientAuthenticated>(event).mechanism)));
      send_create(now_ms);
    } else if (auto* reply = std::get_if<tsp::TunnelReply>(&event)) {
      handle_reply(now_ms, *reply);
    } else if (auto* request = std::get_if<tsp::ServerRequest>(&event)) {
      handle_server_request(now_ms, request->message);
    } else if (auto* redirect = std::get_if<tsp::Redirected>(&event)) {
      // A referral to another broker: we only talk to the configured servers, so try the next.
      server_index_ = (server_index_ + 1) % config_.server_count;
      drop_session(now_ms, "server referred us elsewhere (" + code_text(redirect->code) + ")");
    } else if (auto* rejected = std::get_if<tsp::VersionRejected>(&event)) {
      drop_session(now_ms, "server refused TSP version " + rejected->version);
    } else if (auto* failed = std::get_if<tsp::ClientFailed>(&event)) {
      // The reason often quotes the server's status line already; name the code only if not.
      const bool quoted = failed->code == 0 || failed->reason.find(std::to_string(failed->code)) != std::string::npos;
      drop_session(now_ms, "session failed: " + (quoted ? std::string() : code_text(failed->code) + ": ") +
                               failed->reason);
    }
  }
  if (session_ && session_->closed()) drop_session(now_ms, "session closed by the server");
  if (session_) flush_writes();
}

void ClientMachine::send_create(std::uint64_t now_ms) {
  tsp::TunnelMessage m;
  m.action = tsp::TunnelAction::kCreate;
  m.type = tsp::TunnelType::kV4V6;
  tsp::Endpoint client;
  // Renewal and reconnection carry the address we hold (flow 2; sticky allocation).
  const auto ipv4 = lease_ ? std::optional(lease_->ipv4) : wanted_ipv4_;
  if (ipv4) client.addresses.push_back({tsp::AddressType::kIpv4, ipv4->to_string()});
  // TSP profile for DSTM: the node's link-local and global IPv6 addresses.
  if (config_.link_local) client.addresses.push_back({tsp::AddressType::kIpv6, config_.link_local->to_string()});
  client.addresses.push_back({tsp::AddressType::kIpv6, config_.global.to_string()});
  m.client = std::move(client);
  if (!session_ || !session_->request(m)) {
    drop_session(now_ms, "session not ready for a request");
    return;
  }
  state_ = lease_ ? State::kRenewing : State::kRequesting;
  deadline_ms_ = now_ms + config_.answer_timeout_ms;
  log::debug("sent " + tsp::describe(m));
  flush_writes();
}

void ClientMachine::handle_reply(std::uint64_t now_ms, const tsp::TunnelReply& reply) {
  // The server's Tunnel Delete can cross our renewal on the wire; the session then takes it
  // for the reply to our create (same framing). It is still a delete.
  if (reply.message && reply.message->action == tsp::TunnelAction::kDelete) {
    return handle_server_request(now_ms, *reply.message);
  }
  if (state_ != State::kRequesting && state_ != State::kRenewing) return;
  const bool renewing = state_ == State::kRenewing;
  if (reply.code == tsp::code_of(tsp::Status::kSuccess)) {
    if (!reply.message) {
      last_error_ = "200 answer without Tunnel Info";
      log::error("rejecting the answer: " + last_error_);
      session_->reject();
      flush_writes();
      return retry_later(now_ms, false);
    }
    auto lease = lease_from_answer(*reply.message);
    if (!lease) {
      last_error_ = "bad Tunnel Info: " + lease.error();
      log::error("rejecting the lease: " + lease.error() + " (" + tsp::describe(*reply.message) + ")");
      session_->reject();
      flush_writes();
      return retry_later(now_ms, false);
    }
    session_->accept();
    flush_writes();
    lease->granted_ms = now_ms;
    lease->expires_ms = now_ms + std::uint64_t{lease->lifetime_s} * 1000;
    renew_at_ms_ = now_ms + static_cast<std::uint64_t>(static_cast<double>(lease->lifetime_s) * 1000.0 *
                                                        config_.renew_fraction);
    if (dti_up_ && lease_ &&
        (lease_->ipv4 != lease->ipv4 || lease_->tep_ipv4 != lease->tep_ipv4 || lease_->tep_ipv6 != lease->tep_ipv6)) {
      tear_down("the server changed the lease");
    }
    const bool configure = !dti_up_;
    log::info(std::string(renewing && !configure ? "renewed" : "leased") + " " + lease->ipv4.to_string() +
              " via TEP " + lease->tep_ipv4.to_string() + " / " + lease->tep_ipv6.to_string() + " for " +
              std::to_string(lease->lifetime_s) + " s (renewal in " + seconds(renew_at_ms_ - now_ms) + ")");
    if (renewing) ++renewals_;
    lease_ = *lease;
    wanted_ipv4_ = lease->ipv4;
    backoff_ms_ = 0;
    last_error_.clear();
    state_ = State::kLeased;
    if (configure) {
      dti_up_ = true;
      actions_.push_back(ConfigureDti{*lease});
    }
    return;
  }
  last_error_ = "server answered " + code_text(reply.code);
  if (reply.code == tsp::code_of(tsp::Status::kAddressUnavailable) && (lease_ || wanted_ipv4_)) {
    // 308: the address we hold or asked for is gone; give it up and ask for any.
    log::warning(last_error_ + " for " + (lease_ ? lease_->ipv4 : *wanted_ipv4_).to_string() +
                 ": asking for a new address");
    if (dti_up_) tear_down("the server no longer grants " + lease_->ipv4.to_string());
    lease_.reset();
    wanted_ipv4_.reset();
    return send_create(now_ms);
  }
  if (reply.code == tsp::code_of(tsp::Status::kInvalidIpv6)) {
    log::error(last_error_ + ": the server refuses the node's IPv6 address " + config_.global.to_string() +
               " (check node.ipv6 / node.interface)");
  } else {
    log::warning(last_error_ + (renewing ? " to the renewal" : " to the request"));
  }
  retry_later(now_ms, false);
}

void ClientMachine::handle_server_request(std::uint64_t now_ms, const tsp::TunnelMessage& message) {
  if (message.action != tsp::TunnelAction::kDelete) {
    log::warning("ignoring the server's " + tsp::describe(message));
    return;
  }
  // Flow 3: the server ended the lease (expiry at its side, or an operator's release).
  log::info("the server deleted the tunnel: " + tsp::describe(message));
  if (dti_up_) tear_down("Tunnel Delete from the server");
  lease_.reset();
  wanted_ipv4_.reset();  // the address went back to the pool
  last_error_ = "tunnel deleted by the server";
  // Ask again, but only after the longest back-off: a release must not bounce straight back.
  backoff_ms_ = config_.retry_max_ms / 2;
  retry_later(now_ms, false);
}

void ClientMachine::drop_session(std::uint64_t now_ms, const std::string& reason) {
  log::warning(reason);
  last_error_ = reason;
  session_.reset();
  actions_.push_back(Disconnect{});
  retry_later(now_ms, true);
}

void ClientMachine::retry_later(std::uint64_t now_ms, bool reconnect) {
  if (state_ == State::kStopped) return;
  backoff_ms_ = backoff_ms_ == 0 ? config_.retry_min_ms : std::min(backoff_ms_ * 2, config_.retry_max_ms);
  state_ = State::kBackoff;
  reconnect_after_backoff_ = reconnect || !session_;
  deadline_ms_ = now_ms + backoff_ms_;
  log::debug("next attempt in " + seconds(backoff_ms_) + (reconnect_after_backoff_ ? " (reconnect)" : ""));
}

void ClientMachine::tear_down(const std::string& reason) {
  if (!dti_up_) return;
  dti_up_ = false;
  log::info("tearing down the DTI: " + reason);
  actions_.push_back(TearDownDti{reason});
}

void ClientMachine::check_expiry(std::uint64_t now_ms) {
  if (!lease_ || now_ms < lease_->expires_ms) return;
  log::warning("lease of " + lease_->ipv4.to_string() + " expired without renewal");
  tear_down("lease expired");
  lease_.reset();  // wanted_ipv4_ stays: the server may still give it back
  if (state_ == State::kLeased) retry_later(now_ms, false);
}

void ClientMachine::on_timer(std::uint64_t now_ms) {
  check_expiry(now_ms);
  switch (state_) {
    case State::kIdle:
    case State::kStopped: return;
    case State::kConnecting:
      if (now_ms >= deadline_ms_) {
        on_connect_failed(now_ms, "no connection after " + seconds(config_.answer_timeout_ms));
      }
      return;
    case State::kHandshake:
    case State::kRequesting:
    case State::kRenewing:
      if (now_ms >= deadline_ms_) {
        drop_session(now_ms, std::string("no answer from the server while ") + std::string(state_name(state_)));
      }
      return;
    case State::kLeased:
      if (now_ms >= renew_at_ms_) send_create(now_ms);
      return;
    case State::kBackoff:
      if (now_ms < deadline_ms_) return;
      if (reconnect_after_backoff_ || !session_) {
        session_.reset();
        ++reconnects_;
        state_ = State::kConnecting;
        deadline_ms_ = now_ms + config_.answer_timeout_ms;
        actions_.push_back(Connect{server_index_});
      } else {
        send_create(now_ms);
      }
      return;
  }
}

void ClientMachine::stop(std::uint64_t /*now_ms*/) {
  if (state_ == State::kStopped) return;
  tear_down("stopping");
  if (session_) actions_.push_back(Disconnect{});
  session_.reset();
  state_ = State::kStopped;
}

void ClientMachine::on_dti_failed(std::uint64_t now_ms, const std::string& reason) {
  log::error("cannot configure the DTI: " + reason);
  dti_up_ = false;
  last_error_ = "DTI: " + reason;
  // Keep the address: the next create asks for it again and configures the DTI afresh.
  if (lease_) wanted_ipv4_ = lease_->ipv4;
  lease_.reset();
  retry_later(now_ms, false);
}

std::optional<std::uint64_t> ClientMachine::next_deadline() const {
  std::optional<std::uint64_t> next;
  auto consider = [&next](std::uint64_t t) { next = next ? std::min(*next, t) : t; };
  switch (state_) {
    case State::kIdle:
    case State::kStopped: return std::nullopt;
    case State::kLeased: consider(renew_at_ms_); break;
    default: consider(deadline_ms_); break;
  }
  if (lease_) consider(lease_->expires_ms);
  return next;
}

std::vector<Action> ClientMachine::take_actions() { return std::exchange(actions_, {}); }

void ClientMachine::flush_writes() {
  if (!session_) return;
  for (auto& w : session_->take_writes()) actions_.push_back(Send{std::move(w)});
}

}  // namespace dstm::client
