#include "tspnet/tspnet.h"

#include <array>
#include <chrono>
#include <deque>

#include "net/net.h"
#include "tspnet/listener_shared.h"
#include "util/log.h"

namespace dstm::tspnet {
namespace {
using asio::ip::tcp;
}  // namespace

std::uint64_t now_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

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

}  // namespace

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
    // Port 0 (tests): take the port TCP got, so one number names both.
    if (auto u = open_udp(l, address, l.port != 0 ? l.port : bound.port); !u) return u;
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

}  // namespace dstm::tspnet
