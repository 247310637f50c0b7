// Private to lib/tspnet: what a Listener's TCP side (tspnet.cpp) and UDP side (udp.cpp) share.
#pragma once

#include <asio.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tspnet/tls.h"
#include "tspnet/tspnet.h"
#include "util/log.h"

namespace dstm::tspnet {

// Milliseconds on the steady clock: session deadlines, idle peers, back-off.
std::uint64_t now_ms();

inline constexpr std::size_t kMaxDatagram = 65536;

struct Listener::Shared {
  asio::io_context& io;
  ListenerConfig config;
  const tsp::sasl::CredentialStore& credentials;
  tsp::sasl::NonceSource& nonces;
  Application& app;
  ListenerCounters counters;
  std::uint64_t next_id = 1;
  std::map<std::uint64_t, std::weak_ptr<Session>> registry;
  std::map<std::string, std::size_t> per_source;
  struct Backoff {
    int failures = 0;
    std::uint64_t blocked_until = 0;
    std::uint64_t next_ms = 0;
  };
  std::map<std::string, Backoff> backoff;
  TlsContextPtr tls_context;  // set by start() when config.tls

  // Admission of a new session from `peer`; a refusal is counted and logged.
  bool admit(const std::string& peer, const char* transport) {
    const std::string key = source_key(peer);
    const char* why = nullptr;
    if (config.allow && !config.allow(peer)) {
      ++counters.refused_source;
      why = "not allowed";
    } else if (registry.size() >= config.max_sessions) {
      ++counters.refused_full;
      why = "session cap reached";
    } else if (config.max_per_64 != 0 && per_source[key] >= config.max_per_64) {
      ++counters.refused_per_64;
      why = "per-/64 session cap reached";
    } else if (auto it = backoff.find(key); it != backoff.end() && it->second.blocked_until > now_ms()) {
      ++counters.refused_backoff;
      why = "backing off after repeated failed authentications or TLS handshakes";
    }
    if (why != nullptr) {
      log::warning(config.name + ": refused " + transport + " from " + peer + " (" + why + ")");
      return false;
    }
    ++counters.accepted;
    return true;
  }

  void auth_failed(const std::string& peer) {
    ++counters.auth_failures;
    failed_attempt(peer);
  }
  // A failed TLS handshake (bad or missing client certificate, not TLS at all, the deadline
  // passed) is a failed attempt to get in too: otherwise a source could try certificates, or
  // hold handshakes open, without ever meeting the back-off that guards passwords.
  void tls_failed(const std::string& peer) {
    ++counters.tls_failures;
    failed_attempt(peer);
  }
  void failed_attempt(const std::string& peer) {
    auto& b = backoff[source_key(peer)];
    if (++b.failures < config.auth_failures_before_backoff) return;
    b.next_ms = b.next_ms == 0 ? config.backoff_initial_ms : std::min(b.next_ms * 2, config.backoff_max_ms);
    b.blocked_until = now_ms() + b.next_ms;
    b.failures = 0;
    log::warning(config.name + ": " + source_key(peer) + " refused for " + std::to_string(b.next_ms) +
                 " ms after repeated failed authentications or TLS handshakes");
  }

  void registered(const SessionPtr& s) {
    registry[s->id()] = s;
    ++per_source[source_key(s->peer())];
  }
  void unregistered(Session& s) {
    registry.erase(s.id());
    auto it = per_source.find(source_key(s.peer()));
    if (it != per_source.end() && --it->second == 0) per_source.erase(it);
  }

  // Handles what a session reported; `flush` sends its writes (now or after an answer).
  void handle_events(tsp::ServerSession& session, const SessionPtr& self, const std::string& label,
                     const std::function<void()>& flush) {
    for (auto& event : session.take_events()) {
      if (auto* a = std::get_if<tsp::Authenticated>(&event)) {
        ++counters.authenticated;
        self->note_mechanism(a->mechanism);
        backoff.erase(source_key(self->peer()));
        const std::string& cn = self->peer_certificate_cn();
        log::info(config.name + " " + label + ": authenticated as '" + a->identity + "' (" +
                  std::string(tsp::sasl::wire_name(a->mechanism)) +
                  (cn.empty() ? std::string() : ", certificate CN '" + cn + "'") + ")");
      } else if (auto* r = std::get_if<tsp::TunnelRequested>(&event)) {
        ++counters.requests;
        std::weak_ptr<Session> weak = self;
        const std::string what = tsp::describe(r->message);
        const std::string name = config.name;
        app.on_request(self, r->message,
                       [weak, &session, label, what, name, flush](tsp::Status status,
                                                                  std::optional<tsp::TunnelMessage> m,
                                                                  std::string detail) {
                         log::info(name + " " + label + ": " + what + " -> " +
                                   std::to_string(tsp::code_of(status)) + " " + detail);
                         auto s = weak.lock();
                         // The session object lives as long as its Session handle.
                         if (!s || !s->open()) return;
                         session.answer(status, m ? &*m : nullptr);
                         flush();
                       });
      } else if (std::holds_alternative<tsp::TunnelAccepted>(event)) {
        app.on_accepted(self);
      } else if (std::holds_alternative<tsp::TunnelRejected>(event)) {
        app.on_rejected(self);
      } else if (auto* e = std::get_if<tsp::ProtocolError>(&event)) {
        if (e->status == tsp::Status::kAuthFailed) {
          auth_failed(self->peer());
        } else {
          ++counters.protocol_errors;
        }
        log::warning(config.name + " " + label + ": " + std::to_string(tsp::code_of(e->status)) + " " +
                     e->detail);
      } else if (auto* c = std::get_if<tsp::SessionClosed>(&event)) {
        log::info(config.name + " " + label + ": session closed (" +
                  std::to_string(tsp::code_of(c->status)) + " " + c->reason + ")");
      }
    }
  }
};

class UdpSession;

// One UDP listening socket and the RUDP peers it serves (udp.cpp).
struct Listener::UdpEndpoint {
  explicit UdpEndpoint(asio::io_context& io) : socket(io) {}
  asio::ip::udp::socket socket;
  asio::ip::udp::endpoint from;
  std::array<char, kMaxDatagram> buffer{};
  std::map<asio::ip::udp::endpoint, std::shared_ptr<UdpSession>> peers;
  std::uint64_t last_sweep_ms = 0;
};

}  // namespace dstm::tspnet
