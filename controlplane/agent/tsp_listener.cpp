#include "tsp_listener.h"

#include <chrono>
#include <deque>

#include "util/log.h"

namespace dstm::agent {
namespace {

using asio::ip::tcp;
using asio::ip::udp;

std::uint64_t now_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

// A UDP peer that has said nothing for this long is forgotten (RUDP has no close).
constexpr std::uint64_t kUdpIdleMs = 10 * 60 * 1000;
constexpr std::size_t kMaxDatagram = 65536;

std::string numeric(const asio::ip::address& a) {
  // A v4 peer on a dual-stack socket: judge and log it as the IPv4 address it is.
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string();
  }
  return a.to_string();
}

}  // namespace

struct TspListener::Shared {
  asio::io_context& io;
  const AgentConfig& config;
  TepService& service;
  const tsp::sasl::CredentialStore& credentials;
  tsp::sasl::NonceSource& nonces;
  tsp::ServerSessionConfig session_config;
  ListenerCounters counters;
  std::size_t live = 0;

  // Handles what a session reported; `flush` sends its writes (now or after an async answer).
  template <class Flush>
  void handle_events(tsp::ServerSession& session, const std::string& peer,
                     const std::shared_ptr<void>& keep_alive, Flush flush) {
    for (auto& event : session.take_events()) {
      if (auto* a = std::get_if<tsp::Authenticated>(&event)) {
        ++counters.authenticated;
        log::info("tsp " + peer + ": authenticated as '" + a->identity + "' (" +
                  std::string(tsp::sasl::wire_name(a->mechanism)) + ")");
      } else if (auto* r = std::get_if<tsp::TunnelRequested>(&event)) {
        ++counters.requests;
        const std::string what = tsp::describe(r->message);
        // The session object lives as long as keep_alive; the answer may come after the
        // connection closed, and then it is only logged.
        std::weak_ptr<void> weak = keep_alive;
        service.tunnel_request(
            r->message, session.identity(), now_ms(),
            [weak, &session, peer, what, flush](Answer answer) {
              log::info("tsp " + peer + ": " + what + " -> " +
                        std::to_string(tsp::code_of(answer.status)) + " " + answer.detail);
              if (weak.expired() || session.closed()) return;
              session.answer(answer.status, answer.message ? &*answer.message : nullptr);
              flush();
            });
      } else if (auto* e = std::get_if<tsp::ProtocolError>(&event)) {
        if (e->status == tsp::Status::kAuthFailed) {
          ++counters.auth_failures;
        } else {
          ++counters.protocol_errors;
        }
        log::warning("tsp " + peer + ": " + std::to_string(tsp::code_of(e->status)) + " " + e->detail);
      } else if (auto* c = std::get_if<tsp::SessionClosed>(&event)) {
        log::info("tsp " + peer + ": session closed (" + std::to_string(tsp::code_of(c->status)) +
                  " " + c->reason + ")");
      }
    }
  }
};

// One TCP session. Owned by shared_ptrs held by its pending asynchronous operations.
class TcpConnection : public std::enable_shared_from_this<TcpConnection> {
 public:
  TcpConnection(std::shared_ptr<TspListener::Shared> shared, tcp::socket socket, std::string peer)
      : shared_(std::move(shared)),
        socket_(std::move(socket)),
        timer_(shared_->io),
        peer_(std::move(peer)),
        session_(shared_->session_config, shared_->credentials, shared_->nonces,
                 tsp::Transport::kStream, now_ms()) {
    ++shared_->live;
  }
  ~TcpConnection() { --shared_->live; }

  void start() {
    asio::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);  // one TSP line, one segment
    read();
    arm_timer();
  }

 private:
  void read() {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(buffer_), [self](asio::error_code ec, std::size_t n) {
      if (ec) return self->close();
      self->session_.on_input(std::string_view(self->buffer_.data(), n), now_ms());
      self->after_input();
      if (!self->session_.closed()) self->read();
    });
  }

  void after_input() {
    auto self = shared_from_this();
    std::weak_ptr<TcpConnection> weak = self;
    shared_->handle_events(session_, peer_, self, [weak] {
      if (auto s = weak.lock()) s->flush();
    });
    flush();
    arm_timer();
  }

  void flush() {
    for (auto& w : session_.take_writes()) out_.push_back(std::move(w.bytes));
    // Events raised by an answer (e.g. accept processed from buffered input) are handled too.
    write_next();
  }

  void write_next() {
    if (writing_) return;
    if (out_.empty()) {
      if (session_.closed()) close();
      return;
    }
    writing_ = true;
    auto self = shared_from_this();
    asio::async_write(socket_, asio::buffer(out_.front()), [self](asio::error_code ec, std::size_t) {
      self->writing_ = false;
      self->out_.pop_front();
      if (ec) return self->close();
      self->write_next();
    });
  }

  void arm_timer() {
    const auto deadline = session_.next_deadline();
    if (!deadline) return;
    const std::uint64_t now = now_ms();
    timer_.expires_after(std::chrono::milliseconds(*deadline > now ? *deadline - now : 0));
    auto self = shared_from_this();
    timer_.async_wait([self](asio::error_code ec) {
      if (ec) return;  // re-armed or closed
      self->session_.on_timer(now_ms());
      self->after_input();
    });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    asio::error_code ignored;
    timer_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  std::shared_ptr<TspListener::Shared> shared_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::string peer_;
  tsp::ServerSession session_;
  std::array<char, 4096> buffer_{};
  std::deque<std::string> out_;
  bool writing_ = false;
  bool closed_ = false;
};

// One UDP listening socket and its RUDP peers (keyed by source endpoint).
struct TspListener::UdpEndpoint {
  struct Peer {
    Peer(const Shared& shared, std::uint64_t now)
        : session(shared.session_config, shared.credentials, shared.nonces,
                  tsp::Transport::kDatagram, now),
          last_seen(now) {}
    tsp::ServerSession session;
    tsp::RudpServerPeer rudp;
    std::uint64_t last_seen;
  };
  explicit UdpEndpoint(asio::io_context& io) : socket(io), sweep(io) {}
  udp::socket socket;
  asio::steady_timer sweep;
  udp::endpoint from;
  std::array<char, kMaxDatagram> buffer{};
  std::map<udp::endpoint, std::shared_ptr<Peer>> peers;
};

TspListener::TspListener(asio::io_context& io, const AgentConfig& config, TepService& service,
                         const tsp::sasl::CredentialStore& credentials,
                         tsp::sasl::NonceSource& nonces)
    : io_(io),
      shared_(std::make_shared<Shared>(Shared{io, config, service, credentials, nonces, {}, {}, 0})) {
  auto& sc = shared_->session_config;
  sc.offer.tunnel_types = {tsp::TunnelType::kV4V6};
  sc.offer.mechanisms = config.mechanisms;
  sc.handshake_deadline_ms = config.handshake_timeout_ms;
  sc.sasl.realm = config.realm;
}

TspListener::~TspListener() { stop(); }

std::size_t TspListener::sessions() const { return shared_->live; }
const ListenerCounters& TspListener::counters() const { return shared_->counters; }

Expected<void, std::string> TspListener::start() {
  for (const auto& l : shared_->config.listen) {
    asio::error_code ec;
    const auto address = asio::ip::make_address(l.host, ec);
    if (ec) return unexpected("tsp.listen " + l.to_string() + ": " + ec.message());
    auto acceptor = std::make_unique<tcp::acceptor>(io_);
    const tcp::endpoint ep(address, l.port);
    acceptor->open(ep.protocol(), ec);
    if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
    // "[::]" serves IPv4 too (DSTM servers may reach the TEP over either family).
    if (!ec && address.is_v6()) acceptor->set_option(asio::ip::v6_only(false), ec);
    if (!ec) acceptor->bind(ep, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return unexpected("tsp.listen " + l.to_string() + " (TCP): " + ec.message());
    accept_next(*acceptor);
    acceptors_.push_back(std::move(acceptor));
    log::info("tsp: listening on TCP " + l.to_string());

    if (!shared_->config.udp) continue;
    auto u = std::make_unique<UdpEndpoint>(io_);
    const udp::endpoint uep(address, l.port);
    u->socket.open(uep.protocol(), ec);
    if (!ec && address.is_v6()) u->socket.set_option(asio::ip::v6_only(false), ec);
    if (!ec) u->socket.bind(uep, ec);
    if (ec) return unexpected("tsp.listen " + l.to_string() + " (UDP): " + ec.message());
    receive_next(*u);
    udp_.push_back(std::move(u));
    log::info("tsp: listening on UDP " + l.to_string());
  }
  return {};
}

void TspListener::stop() {
  asio::error_code ignored;
  for (auto& a : acceptors_) a->close(ignored);
  for (auto& u : udp_) {
    u->socket.close(ignored);
    u->sweep.cancel();
  }
}

std::vector<std::uint16_t> TspListener::tcp_ports() const {
  std::vector<std::uint16_t> out;
  for (const auto& a : acceptors_) out.push_back(a->local_endpoint().port());
  return out;
}

std::vector<std::uint16_t> TspListener::udp_ports() const {
  std::vector<std::uint16_t> out;
  for (const auto& u : udp_) out.push_back(u->socket.local_endpoint().port());
  return out;
}

void TspListener::accept_next(tcp::acceptor& acceptor) {
  acceptor.async_accept([this, &acceptor](asio::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (!ec) {
      asio::error_code rec;
      const auto remote = socket.remote_endpoint(rec);
      const std::string peer = rec ? std::string("?") : numeric(remote.address());
      if (rec || !shared_->config.source_allowed(peer)) {
        ++shared_->counters.refused_source;
        log::warning("tsp: refused TCP connection from " + peer + " (not in tsp.allow)");
      } else if (shared_->live >= shared_->config.max_sessions) {
        ++shared_->counters.refused_full;
        log::warning("tsp: refused TCP connection from " + peer + " (tsp.max_sessions reached)");
      } else {
        ++shared_->counters.accepted;
        std::make_shared<TcpConnection>(shared_, std::move(socket), peer + " tcp")->start();
      }
    }
    accept_next(acceptor);
  });
}

void TspListener::receive_next(UdpEndpoint& u) {
  u.socket.async_receive_from(asio::buffer(u.buffer), u.from, [this, &u](asio::error_code ec, std::size_t n) {
    if (ec == asio::error::operation_aborted || !u.socket.is_open()) return;
    if (!ec) {
      const std::uint64_t now = now_ms();
      const std::string_view datagram(u.buffer.data(), n);
      const std::string peer = numeric(u.from.address());
      const auto header = tsp::parse_rudp_header(datagram);
      auto it = u.peers.find(u.from);
      if (!header) {
        // Not TSP control: a TEP carries no tunnel data on its control port. Ignore.
      } else if (it == u.peers.end() && !shared_->config.source_allowed(peer)) {
        ++shared_->counters.refused_source;
        log::warning("tsp: ignored UDP from " + peer + " (not in tsp.allow)");
      } else {
        if (it == u.peers.end()) {
          // Forget idle and closed peers before taking a new one.
          for (auto p = u.peers.begin(); p != u.peers.end();) {
            if (p->second->session.closed() || now - p->second->last_seen > kUdpIdleMs) {
              p = u.peers.erase(p);
              --shared_->live;
            } else {
              ++p;
            }
          }
          if (shared_->live >= shared_->config.max_sessions) {
            ++shared_->counters.refused_full;
            log::warning("tsp: ignored UDP from " + peer + " (tsp.max_sessions reached)");
            return receive_next(u);
          }
          ++shared_->counters.accepted;
          ++shared_->live;
          it = u.peers.emplace(u.from, std::make_shared<UdpEndpoint::Peer>(*shared_, now)).first;
        }
        auto p = it->second;
        p->last_seen = now;
        const udp::endpoint to = u.from;
        auto send = [&u, to](const std::string& bytes) {
          asio::error_code ignored;
          u.socket.send_to(asio::buffer(bytes), to, 0, ignored);  // a datagram: never blocks long
        };
        switch (p->rudp.classify(*header)) {
          case tsp::RudpServerPeer::Verdict::kResendCached:
            send(p->rudp.cached_reply());
            break;
          case tsp::RudpServerPeer::Verdict::kPending:
          case tsp::RudpServerPeer::Verdict::kDrop:
            break;
          case tsp::RudpServerPeer::Verdict::kProcess: {
            p->session.on_input(datagram.substr(tsp::kRudpHeaderSize), now);
            std::weak_ptr<UdpEndpoint::Peer> weak = p;
            auto flush = [weak, send] {
              auto peer_state = weak.lock();
              if (!peer_state) return;
              for (auto& w : peer_state->session.take_writes()) {
                // Each input gets exactly one reply, with the client's header echoed.
                send(w.unsolicited
                         ? tsp::encode_rudp({tsp::kRudpDisconnectSequence, 0}, w.bytes)
                         : peer_state->rudp.reply(w.bytes));
              }
            };
            shared_->handle_events(p->session, peer + " udp", p, flush);
            flush();
            break;
          }
        }
      }
    }
    receive_next(u);
  });
}

}  // namespace dstm::agent
