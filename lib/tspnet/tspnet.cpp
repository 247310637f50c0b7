#include "tspnet/tspnet.h"

#include <array>
#include <chrono>
#include <deque>

#include "net/net.h"
#include "util/log.h"

namespace dstm::tspnet {
namespace {

// What a UDP listener asks for as its receive buffer (see Listener::start).
constexpr int kUdpReceiveBuffer = 4 << 20;
// How often a UDP listener walks its peers to forget the silent and the finished ones.
constexpr std::uint64_t kUdpSweepIntervalMs = 1000;
// Datagrams a UDP listener takes from its socket per turn of the event loop, at most.
constexpr int kUdpDatagramsPerTurn = 64;

using asio::ip::tcp;
using asio::ip::udp;

std::uint64_t now_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

constexpr std::size_t kMaxDatagram = 65536;

}  // namespace

std::string numeric(const asio::ip::address& a) {
  // A v4 peer on a dual-stack socket: judge and log it as the IPv4 address it is.
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string();
  }
  return a.to_string();
}

std::string source_key(const std::string& numeric_address) {
  if (auto v6 = net::Ipv6Address::parse(numeric_address)) {
    auto b = v6->bytes();
    for (std::size_t i = 8; i < 16; ++i) b[i] = 0;
    return net::Ipv6Address::from_bytes(b.data()).to_string() + "/64";
  }
  return numeric_address;
}

std::string ListenAddress::to_string() const {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<ListenAddress> ListenAddress::parse(std::string_view text) {
  ListenAddress out;
  std::string_view host = text;
  std::string_view port;
  bool has_port = false;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
      has_port = true;
    }
    if (!net::Ipv6Address::parse(host)) return std::nullopt;
  } else {
    auto colon = text.find(':');
    if (colon != std::string_view::npos) {
      host = text.substr(0, colon);
      port = text.substr(colon + 1);
      has_port = true;
    }
    if (!net::Ipv4Address::parse(host)) return std::nullopt;
  }
  if (has_port) {
    if (port.empty() || port.size() > 5) return std::nullopt;
    unsigned value = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) return std::nullopt;
    out.port = static_cast<std::uint16_t>(value);
  }
  out.host = std::string(host);
  return out;
}

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

namespace {

tsp::ServerSessionConfig session_config(const Listener::Shared& shared) {
  tsp::ServerSessionConfig c = shared.config.session;
  if (shared.tls_context) c.transport_secure = true;  // PLAIN may be offered (issue #5)
  return c;
}

TcpStream make_stream(const Listener::Shared& shared, tcp::socket socket) {
  if (shared.tls_context) return TcpStream(std::move(socket), *shared.tls_context);
  return TcpStream(std::move(socket));
}

// One TCP session, plain or TLS. Owned by the shared_ptrs its pending asynchronous operations
// hold.
class TcpSession final : public Session, public std::enable_shared_from_this<TcpSession> {
 public:
  TcpSession(std::shared_ptr<Listener::Shared> shared, tcp::socket socket, std::string peer)
      : Session(shared->next_id++, peer, true, now_ms()),
        shared_(std::move(shared)),
        stream_(make_stream(*shared_, std::move(socket))),
        timer_(shared_->io),
        label_(peer + (shared_->tls_context ? " tls" : " tcp")),
        session_(session_config(*shared_), shared_->credentials, shared_->nonces, tsp::Transport::kStream,
                 now_ms()) {}

  void start() {
    shared_->registered(shared_from_this());
    asio::error_code ignored;
    stream_.socket().set_option(tcp::no_delay(true), ignored);  // one TSP line, one segment
    if (auto* tls = stream_.tls()) return handshake(*tls);
    read();
    arm_timer();
  }

  const std::string& identity() const override { return session_.identity(); }
  bool open() const override { return !closed_ && !session_.closed(); }
  bool send_request(const tsp::TunnelMessage& m) override {
    if (!open() || !session_.send_request(m)) return false;
    flush();
    return true;
  }
  void close() override {
    if (closed_) return;
    closed_ = true;
    timer_.cancel();
    stream_.close();
    shared_->unregistered(*this);
    shared_->app.on_closed(shared_from_this());
  }

 private:
  // TLS before any TSP byte, within the session's handshake deadline (counted from accept, so
  // a slow TLS handshake leaves less time for TSP's).
  void handshake(TcpStream::Tls& tls) {
    auto self = shared_from_this();
    timer_.expires_after(std::chrono::milliseconds(shared_->config.session.handshake_deadline_ms));
    timer_.async_wait([self](asio::error_code ec) {
      if (ec || self->closed_ || self->tls_up_) return;
      self->tls_timed_out_ = true;
      asio::error_code ignored;
      self->stream_.socket().cancel(ignored);  // the handshake's handler counts and closes
    });
    tls.async_handshake(asio::ssl::stream_base::server, [self, &tls](asio::error_code ec) {
      if (self->closed_) return;
      if (ec || self->tls_timed_out_) {
        self->shared_->tls_failed(self->peer());
        log::warning(self->shared_->config.name + " " + self->label_ + ": TLS handshake failed (" +
                     (self->tls_timed_out_ ? std::string("deadline passed") : ec.message()) + ")");
        return self->close();
      }
      self->tls_up_ = true;
      self->note_tls(certificate_cn(tls.native_handle()));
      const std::string& cn = self->peer_certificate_cn();
      log::info(self->shared_->config.name + " " + self->label_ + ": " + describe_tls(tls.native_handle()) +
                (cn.empty() ? std::string(", no client certificate") : ", client certificate CN '" + cn + "'"));
      self->timer_.cancel();
      self->read();
      self->arm_timer();
    });
  }

  void read() {
    auto self = shared_from_this();
    stream_.async_read_some(asio::buffer(buffer_), [self](asio::error_code ec, std::size_t n) {
      if (ec || self->closed_) return self->close();
      self->session_.on_input(std::string_view(self->buffer_.data(), n), now_ms());
      self->after_input();
      if (!self->session_.closed()) self->read();
    });
  }

  void after_input() {
    std::weak_ptr<TcpSession> weak = shared_from_this();
    std::function<void()> flush_fn = [weak] {
      if (auto s = weak.lock()) s->flush();
    };
    shared_->handle_events(session_, shared_from_this(), label_, flush_fn);
    flush();
    arm_timer();
  }

  void flush() {
    for (auto& w : session_.take_writes()) out_.push_back(std::move(w.bytes));
    write_next();
  }

  void write_next() {
    if (writing_ || closed_) return;
    if (out_.empty()) {
      if (session_.closed()) close();
      return;
    }
    writing_ = true;
    auto self = shared_from_this();
    stream_.async_write(asio::buffer(out_.front()), [self](asio::error_code ec, std::size_t) {
      self->writing_ = false;
      self->out_.pop_front();
      if (ec) return self->close();
      self->write_next();
    });
  }

  void arm_timer() {
    const auto deadline = session_.next_deadline();
    if (!deadline || closed_) return;
    const std::uint64_t now = now_ms();
    timer_.expires_after(std::chrono::milliseconds(*deadline > now ? *deadline - now : 0));
    auto self = shared_from_this();
    timer_.async_wait([self](asio::error_code ec) {
      if (ec || self->closed_) return;  // re-armed or closed
      self->session_.on_timer(now_ms());
      self->after_input();
    });
  }

  std::shared_ptr<Listener::Shared> shared_;
  TcpStream stream_;
  asio::steady_timer timer_;
  std::string label_;
  tsp::ServerSession session_;
  std::array<char, 4096> buffer_{};
  std::deque<std::string> out_;
  bool writing_ = false;
  bool closed_ = false;
  bool tls_up_ = false;
  bool tls_timed_out_ = false;
};

// One RUDP peer of a UDP listening socket.
class UdpSession final : public Session, public std::enable_shared_from_this<UdpSession> {
 public:
  UdpSession(std::shared_ptr<Listener::Shared> shared, udp::socket& socket, udp::endpoint to,
             std::string peer)
      : Session(shared->next_id++, peer, false, now_ms()),
        shared_(std::move(shared)),
        socket_(socket),
        to_(std::move(to)),
        label_(peer + " udp"),
        session_(shared_->config.session, shared_->credentials, shared_->nonces,
                 tsp::Transport::kDatagram, now_ms()),
        last_seen_(now_ms()) {}

  const std::string& identity() const override { return session_.identity(); }
  bool open() const override { return !closed_ && !session_.closed(); }
  bool send_request(const tsp::TunnelMessage&) override { return false; }
  void close() override {
    if (closed_) return;
    closed_ = true;
    shared_->unregistered(*this);
    shared_->app.on_closed(shared_from_this());
  }
  std::uint64_t last_seen() const { return last_seen_; }
  bool restarted_by(const tsp::RudpHeader& header, std::string_view payload) const {
    return rudp_.is_restart(header, payload);
  }

  void on_datagram(const tsp::RudpHeader& header, std::string_view payload) {
    last_seen_ = now_ms();
    switch (rudp_.classify(header)) {
      case tsp::RudpServerPeer::Verdict::kResendCached:
        send(rudp_.cached_reply());
        return;
      case tsp::RudpServerPeer::Verdict::kPending:
      case tsp::RudpServerPeer::Verdict::kDrop:
        return;
      case tsp::RudpServerPeer::Verdict::kProcess:
        break;
    }
    session_.on_input(payload, last_seen_);
    std::weak_ptr<UdpSession> weak = shared_from_this();
    std::function<void()> flush_fn = [weak] {
      if (auto s = weak.lock()) s->flush();
    };
    shared_->handle_events(session_, shared_from_this(), label_, flush_fn);
    flush();
  }

 private:
  void flush() {
    for (auto& w : session_.take_writes()) {
      // Each input gets exactly one reply, the client's header echoed; a kill goes out with
      // the disconnect sequence (tsps).
      send(w.unsolicited ? tsp::encode_rudp({tsp::kRudpDisconnectSequence, 0}, w.bytes)
                         : rudp_.reply(w.bytes));
    }
    if (session_.closed()) close();
  }
  void send(const std::string& bytes) {
    asio::error_code ignored;
    socket_.send_to(asio::buffer(bytes), to_, 0, ignored);  // a datagram: never blocks long
  }

  std::shared_ptr<Listener::Shared> shared_;
  udp::socket& socket_;
  udp::endpoint to_;
  std::string label_;
  tsp::ServerSession session_;
  tsp::RudpServerPeer rudp_;
  std::uint64_t last_seen_;
  bool closed_ = false;
};

}  // namespace

struct Listener::UdpEndpoint {
  explicit UdpEndpoint(asio::io_context& io) : socket(io) {}
  udp::socket socket;
  udp::endpoint from;
  std::array<char, kMaxDatagram> buffer{};
  std::map<udp::endpoint, std::shared_ptr<UdpSession>> peers;
  std::uint64_t last_sweep_ms = 0;
};

Listener::Listener(asio::io_context& io, ListenerConfig config,
                   const tsp::sasl::CredentialStore& credentials, tsp::sasl::NonceSource& nonces,
                   Application& app)
    : shared_(std::make_shared<Shared>(Shared{io, std::move(config), credentials, nonces, app, {}, 1, {}, {}, {}, {}})) {}

Listener::~Listener() {
  stop();
  // Close what is still open so the application hears of every session's end.
  for (auto& s : sessions()) s->close();
  for (auto& u : udp_) u->peers.clear();
}

std::size_t Listener::live() const { return shared_->registry.size(); }
const ListenerCounters& Listener::counters() const { return shared_->counters; }
void Listener::set_allow(std::function<bool(const std::string&)> allow) { shared_->config.allow = std::move(allow); }
void Listener::set_max_sessions(std::size_t n) { shared_->config.max_sessions = n; }

std::vector<SessionPtr> Listener::sessions() const {
  std::vector<SessionPtr> out;
  for (auto& [id, weak] : shared_->registry) {
    if (auto s = weak.lock()) out.push_back(s);
  }
  return out;
}

Expected<void, std::string> Listener::start() {
  const auto& cfg = shared_->config;
  if (cfg.tls) {
    auto context = make_server_context(*cfg.tls);
    if (!context) return unexpected(cfg.name + " TLS: " + context.error());
    shared_->tls_context = std::move(*context);
  }
  for (const auto& l : cfg.listen) {
    asio::error_code ec;
    const auto address = asio::ip::make_address(l.host, ec);
    if (ec) return unexpected(cfg.name + " listen " + l.to_string() + ": " + ec.message());
    auto acceptor = std::make_unique<tcp::acceptor>(shared_->io);
    const tcp::endpoint ep(address, l.port);
    acceptor->open(ep.protocol(), ec);
    if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
    // "[::]" serves IPv4 too.
    if (!ec && address.is_v6()) acceptor->set_option(asio::ip::v6_only(false), ec);
    if (!ec) acceptor->bind(ep, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return unexpected(cfg.name + " listen " + l.to_string() + " (TCP): " + ec.message());
    accept_next(*acceptor);
    ListenAddress bound = l;  // with the port the kernel chose for port 0
    bound.port = acceptor->local_endpoint().port();
    log::info(cfg.name + ": listening on TCP " + bound.to_string() + (cfg.tls ? " (TLS)" : ""));
    acceptors_.push_back(std::move(acceptor));

    if (!cfg.udp) continue;
    auto u = std::make_unique<UdpEndpoint>(shared_->io);
    // Port 0 (tests): take the port TCP got, so one number names both.
    const udp::endpoint uep(address, l.port != 0 ? l.port : acceptors_.back()->local_endpoint().port());
    u->socket.open(uep.protocol(), ec);
    if (!ec && address.is_v6()) u->socket.set_option(asio::ip::v6_only(false), ec);
    if (!ec) u->socket.bind(uep, ec);
    if (ec) return unexpected(cfg.name + " listen " + l.to_string() + " (UDP): " + ec.message());
    // Every node's datagrams queue on this one socket: with Linux's default receive buffer
    // (212992 bytes of truesize) a burst from a few hundred nodes overflows it and the nodes
    // wait out RUDP's 2 s retransmission (measured with dstm-perf --udp, 256 nodes). Ask for
    // kUdpReceiveBuffer; the kernel caps it at net.core.rmem_max, which the log line shows.
    asio::error_code buffer_ec;
    u->socket.set_option(asio::socket_base::receive_buffer_size(kUdpReceiveBuffer), buffer_ec);
    asio::socket_base::receive_buffer_size got;
    u->socket.get_option(got, buffer_ec);
    // Non-blocking: receive_next() drains the queue with receive_from() until would_block.
    u->socket.non_blocking(true, ec);
    if (ec) return unexpected(cfg.name + " listen " + l.to_string() + " (UDP): " + ec.message());
    receive_next(*u);
    log::info(cfg.name + ": listening on UDP " + bound.to_string() + " (receive buffer " +
              std::to_string(got.value()) + " bytes)");
    udp_.push_back(std::move(u));
  }
  return {};
}

void Listener::stop() {
  asio::error_code ignored;
  for (auto& a : acceptors_) a->close(ignored);
  for (auto& u : udp_) u->socket.close(ignored);
}

std::vector<std::uint16_t> Listener::tcp_ports() const {
  std::vector<std::uint16_t> out;
  for (const auto& a : acceptors_) out.push_back(a->local_endpoint().port());
  return out;
}

std::vector<std::uint16_t> Listener::udp_ports() const {
  std::vector<std::uint16_t> out;
  for (const auto& u : udp_) out.push_back(u->socket.local_endpoint().port());
  return out;
}

void Listener::accept_next(tcp::acceptor& acceptor) {
  acceptor.async_accept([this, &acceptor](asio::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (!ec) {
      asio::error_code rec;
      const auto remote = socket.remote_endpoint(rec);
      if (!rec) {
        const std::string peer = numeric(remote.address());
        if (shared_->admit(peer, "TCP")) {
          std::make_shared<TcpSession>(shared_, std::move(socket), peer)->start();
        }
      }
    }
    accept_next(acceptor);
  });
}

void Listener::receive_next(UdpEndpoint& u) {
  u.socket.async_receive_from(asio::buffer(u.buffer), u.from, [this, &u](asio::error_code ec, std::size_t n) {
    if (ec == asio::error::operation_aborted || !u.socket.is_open()) return;
    if (!ec) on_datagram(u, n);
    // Then what else is queued, up to a bound, before going back to the reactor: requests that
    // arrive together are handled in one turn of the loop, so their lease writes share one
    // group commit (lib/daemon/group_commit.h). One datagram per turn meant one fsync per
    // allocation over RUDP.
    for (int i = 0; i < kUdpDatagramsPerTurn && u.socket.is_open(); ++i) {
      asio::error_code again;
      const std::size_t m = u.socket.receive_from(asio::buffer(u.buffer), u.from, 0, again);
      if (again) break;  // would_block: the queue is empty
      on_datagram(u, m);
    }
    receive_next(u);
  });
}

void Listener::on_datagram(UdpEndpoint& u, std::size_t n) {
  const std::string_view datagram(u.buffer.data(), n);
  if (const auto header = tsp::parse_rudp_header(datagram)) {
    auto it = u.peers.find(u.from);
    const std::string_view payload = datagram.substr(tsp::kRudpHeaderSize);
    if (it != u.peers.end() && it->second->open() && it->second->restarted_by(*header, payload)) {
      log::info(shared_->config.name + " " + numeric(u.from.address()) + " udp: a new client on port " +
                std::to_string(u.from.port()) + " (VERSION at the initial sequence): the old session ends");
      it->second->close();
    }
    if (it != u.peers.end() && !it->second->open()) {
      u.peers.erase(it);  // a finished session: the peer starts over
      it = u.peers.end();
    }
    if (it == u.peers.end()) {
      // Forget silent peers before judging a new one, at most once per interval: a walk over
      // every peer for each new one made a run of N allocations cost O(N^2).
      const std::uint64_t now = now_ms();
      if (now - u.last_sweep_ms >= kUdpSweepIntervalMs) {
        u.last_sweep_ms = now;
        for (auto p = u.peers.begin(); p != u.peers.end();) {
          if (!p->second->open() || now - p->second->last_seen() > shared_->config.udp_idle_ms) {
            p->second->close();
            p = u.peers.erase(p);
          } else {
            ++p;
          }
        }
      }
      const std::string peer = numeric(u.from.address());
      if (shared_->admit(peer, "UDP")) {
        auto s = std::make_shared<UdpSession>(shared_, u.socket, u.from, peer);
        shared_->registered(s);
        it = u.peers.emplace(u.from, std::move(s)).first;
      }
    }
    if (it != u.peers.end()) {
      auto keep = it->second;  // on_datagram may close it
      keep->on_datagram(*header, payload);
    }
  }
  // Not TSP control: nothing of ours; ignore.
}

}  // namespace dstm::tspnet
