#include "tep_client.h"

#include <chrono>

#include "util/log.h"

namespace dstm::server {
namespace {

using asio::ip::tcp;

std::uint64_t now_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

constexpr std::uint64_t kBackoffMinMs = 100;
constexpr std::uint64_t kBackoffMaxMs = 5000;

}  // namespace

// One TSP session slot to the agent. Each connection attempt is a Link of its own (socket,
// TSP session, output queue): handlers of a failed attempt hold their Link and find it is no
// longer the current one, so they never touch the next attempt's socket or queue.
class TepClient::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(TepClient& owner, int index) : owner_(owner), index_(index), timer_(owner.io_) {}

  bool ready() const { return link_ && link_->session->ready() && !current_; }
  bool authenticated() const { return link_ && link_->authenticated; }
  bool connecting() const { return link_ && !link_->authenticated; }

  void connect() {
    if (owner_.stopped_) return;
    asio::error_code ec;
    const auto address = asio::ip::make_address(owner_.config_.endpoint.host, ec);
    if (ec) return failed(nullptr, "bad endpoint " + owner_.config_.endpoint.to_string());
    tsp::ClientSessionConfig cfg;
    cfg.mechanisms = {owner_.config_.mechanism};
    cfg.credentials = {owner_.config_.username, owner_.config_.password};
    cfg.digest_host = owner_.config_.endpoint.host;
    auto link = std::make_shared<Link>(owner_.io_, owner_.tls_);
    link->session = std::make_unique<tsp::ClientSession>(cfg, owner_.nonces_, tsp::Transport::kStream);
    link_ = link;
    auto self = shared_from_this();
    link->stream.socket().async_connect(tcp::endpoint(address, owner_.config_.endpoint.port), [self, link](asio::error_code e) {
      if (link != self->link_) return;
      if (e) return self->failed(link, "connect: " + e.message());
      asio::error_code ignored;
      link->stream.socket().set_option(tcp::no_delay(true), ignored);
      if (auto* tls = link->stream.tls()) return self->handshake(link, *tls);
      self->begin(link);
    });
  }

  void send(Pending p) {
    current_ = std::move(p);
    link_->session->request(current_->message);
    flush(link_);
  }

  // A request in flight past its deadline: fail it and start over (the stream may be mid-reply).
  void check_deadline(std::uint64_t now) {
    if (current_ && now >= current_->deadline_ms) {
      Pending p = std::move(*current_);
      current_.reset();
      ++owner_.stats_.timeouts;
      owner_.fail(p, 0, "TEP " + owner_.config_.name + " did not answer in time");
      failed(link_, "request timed out");
    }
  }

  void stop() {
    timer_.cancel();
    if (link_) link_->stream.close();
    link_.reset();
  }

 private:
  struct Link {
    Link(asio::io_context& io, const tspnet::TlsContextPtr& tls)
        : stream(tls ? tspnet::TcpStream(tcp::socket(io), *tls) : tspnet::TcpStream(tcp::socket(io))) {}
    tspnet::TcpStream stream;
    std::unique_ptr<tsp::ClientSession> session;
    std::array<char, 8192> buffer{};
    std::deque<std::string> out;  // out.front() is being written while `writing`
    bool writing = false;
    bool authenticated = false;
  };

  // TLS before TSP. A stuck handshake holds no request (only ready sessions get one; queued
  // requests fail at their deadline) and the agent's handshake deadline ends it.
  void handshake(const std::shared_ptr<Link>& link, tspnet::TcpStream::Tls& tls) {
    tspnet::set_server_name(tls, owner_.config_.tls->server_name);
    auto self = shared_from_this();
    tls.async_handshake(asio::ssl::stream_base::client, [self, link](asio::error_code e) {
      if (link != self->link_) return;
      if (e) return self->failed(link, "TLS handshake: " + e.message());
      self->begin(link);
    });
  }

  void begin(const std::shared_ptr<Link>& link) {
    link->session->start();
    flush(link);
    read(link);
  }

  void read(const std::shared_ptr<Link>& link) {
    auto self = shared_from_this();
    link->stream.async_read_some(asio::buffer(link->buffer), [self, link](asio::error_code ec, std::size_t n) {
      if (link != self->link_) return;
      if (ec) return self->failed(link, ec == asio::error::eof ? "closed by the agent" : "read: " + ec.message());
      link->session->on_input(std::string_view(link->buffer.data(), n));
      self->events(link);
      if (link != self->link_) return;  // the events failed this link
      self->flush(link);
      self->read(link);
    });
  }

  void events(const std::shared_ptr<Link>& link) {
    for (auto& e : link->session->take_events()) {
      if (std::holds_alternative<tsp::ClientAuthenticated>(e)) {
        link->authenticated = true;
        backoff_ms_ = 0;
        log::info("tep " + owner_.config_.name + "#" + std::to_string(index_) + ": connected to " +
                  owner_.config_.endpoint.to_string());
        owner_.dispatch();
      } else if (auto* r = std::get_if<tsp::TunnelReply>(&e)) {
        if (!current_) continue;
        Pending p = std::move(*current_);
        current_.reset();
        if (r->code == 200) {
          ++owner_.stats_.ok;
        } else {
          ++owner_.stats_.errors;
        }
        p.done(r->code, r->message, "TEP " + owner_.config_.name + " answered " + std::to_string(r->code));
        owner_.dispatch();
      } else if (auto* f = std::get_if<tsp::ClientFailed>(&e)) {
        failed(link, "TSP: " + std::to_string(f->code) + " " + f->reason);
        return;
      }
      if (link != link_) return;
    }
  }

  void flush(const std::shared_ptr<Link>& link) {
    for (auto& w : link->session->take_writes()) link->out.push_back(std::move(w));
    write_next(link);
  }

  void write_next(const std::shared_ptr<Link>& link) {
    if (link->writing || link->out.empty() || link != link_) return;
    link->writing = true;
    auto self = shared_from_this();
    link->stream.async_write(asio::buffer(link->out.front()), [self, link](asio::error_code ec, std::size_t) {
      link->writing = false;
      link->out.pop_front();  // the Link owns its queue: never cleared under a pending write
      if (link != self->link_) return;
      if (ec) return self->failed(link, "write: " + ec.message());
      self->write_next(link);
    });
  }

  // Ends `link` (nullptr: no link yet) and schedules the next attempt.
  void failed(const std::shared_ptr<Link>& link, const std::string& why) {
    if (link != link_) return;  // already failed
    const bool was_up = link && link->authenticated;
    if (link) link->stream.close();  // its pending handlers see link != link_ and stop
    link_.reset();
    owner_.last_error_ = why;
    if (was_up) log::warning("tep " + owner_.config_.name + "#" + std::to_string(index_) + ": " + why);
    if (current_) {
      // The agent is idempotent: a create or delete may be sent again on another session.
      Pending p = std::move(*current_);
      current_.reset();
      if (!p.retried && now_ms() < p.deadline_ms) {
        p.retried = true;
        owner_.queue_.push_front(std::move(p));
      } else {
        owner_.fail(p, 0, "TEP " + owner_.config_.name + ": " + why);
      }
    }
    if (owner_.stopped_) return;
    ++owner_.stats_.reconnects;
    backoff_ms_ = backoff_ms_ == 0 ? kBackoffMinMs : std::min(backoff_ms_ * 2, kBackoffMaxMs);
    timer_.expires_after(std::chrono::milliseconds(backoff_ms_));
    auto self = shared_from_this();
    timer_.async_wait([self](asio::error_code ec) {
      if (!ec && !self->link_) self->connect();
    });
    owner_.dispatch();
  }

  TepClient& owner_;
  int index_;
  asio::steady_timer timer_;
  std::shared_ptr<Link> link_;  // the current attempt; null between attempts
  std::uint64_t backoff_ms_ = 0;
  std::optional<Pending> current_;
};

TepClient::TepClient(asio::io_context& io, const TepConfig& config, tsp::sasl::NonceSource& nonces,
                     tspnet::TlsContextPtr tls)
    : io_(io), config_(config), nonces_(nonces), tls_(std::move(tls)), sweeper_(io) {}

TepClient::~TepClient() { stop(); }

void TepClient::start() {
  for (std::uint32_t i = 0; i < config_.connections; ++i) {
    connections_.push_back(std::make_shared<Connection>(*this, static_cast<int>(i)));
    connections_.back()->connect();
  }
  sweep();
}

void TepClient::stop() {
  stopped_ = true;
  sweeper_.cancel();
  for (auto& c : connections_) c->stop();
}

bool TepClient::up() const {
  for (const auto& c : connections_) {
    if (c->authenticated()) return true;
  }
  return false;
}

std::string TepClient::state() const {
  if (up()) return "up";
  for (const auto& c : connections_) {
    if (c->connecting()) return last_error_.empty() ? "connecting" : "connecting (last: " + last_error_ + ")";
  }
  return "down: " + last_error_;
}

void TepClient::fail(Pending& p, int code, const std::string& detail) {
  p.done(code, std::nullopt, detail);
}

void TepClient::request(tsp::TunnelMessage message, Done done) {
  ++stats_.requests;
  queue_.push_back(Pending{std::move(message), std::move(done), now_ms() + config_.timeout_ms, false});
  dispatch();
}

void TepClient::dispatch() {
  for (auto& c : connections_) {
    if (queue_.empty()) return;
    if (!c->ready()) continue;
    Pending p = std::move(queue_.front());
    queue_.pop_front();
    c->send(std::move(p));
  }
}

void TepClient::sweep() {
  const std::uint64_t now = now_ms();
  while (!queue_.empty() && queue_.front().deadline_ms <= now) {
    Pending p = std::move(queue_.front());
    queue_.pop_front();
    ++stats_.timeouts;
    fail(p, 0, "TEP " + config_.name + " unreachable (" + (last_error_.empty() ? "no session" : last_error_) + ")");
  }
  for (auto& c : connections_) c->check_deadline(now);
  if (stopped_) return;
  sweeper_.expires_after(std::chrono::milliseconds(20));
  sweeper_.async_wait([this](asio::error_code ec) {
    if (!ec) sweep();
  });
}

}  // namespace dstm::server
