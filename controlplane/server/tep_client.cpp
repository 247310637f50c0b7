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

class TepClient::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(TepClient& owner, int index) : owner_(owner), index_(index), socket_(owner.io_), timer_(owner.io_) {}

  bool ready() const { return session_ && session_->ready() && !current_; }
  bool authenticated() const { return authenticated_; }
  bool connecting() const { return connecting_; }

  void connect() {
    if (owner_.stopped_) return;
    connecting_ = true;
    authenticated_ = false;
    asio::error_code ec;
    const auto address = asio::ip::make_address(owner_.config_.endpoint.host, ec);
    if (ec) return failed("bad endpoint " + owner_.config_.endpoint.to_string());
    tsp::ClientSessionConfig cfg;
    cfg.mechanisms = {owner_.config_.mechanism};
    cfg.credentials = {owner_.config_.username, owner_.config_.password};
    cfg.digest_host = owner_.config_.endpoint.host;
    session_ = std::make_unique<tsp::ClientSession>(cfg, owner_.nonces_, tsp::Transport::kStream);
    socket_ = tcp::socket(owner_.io_);
    auto self = shared_from_this();
    socket_.async_connect(tcp::endpoint(address, owner_.config_.endpoint.port), [self](asio::error_code e) {
      if (e) return self->failed("connect: " + e.message());
      asio::error_code ignored;
      self->socket_.set_option(tcp::no_delay(true), ignored);
      self->session_->start();
      self->flush();
      self->read();
    });
  }

  void send(Pending p) {
    current_ = std::move(p);
    sent_at_ = now_ms();
    session_->request(current_->message);
    flush();
  }

  // A request in flight past its deadline: fail it and start over (the stream may be mid-reply).
  void check_deadline(std::uint64_t now) {
    if (current_ && now >= current_->deadline_ms) {
      Pending p = std::move(*current_);
      current_.reset();
      ++owner_.stats_.timeouts;
      owner_.fail(p, 0, "TEP " + owner_.config_.name + " did not answer in time");
      failed("request timed out");
    }
  }

  void stop() {
    asio::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
  }

 private:
  void read() {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(buffer_), [self](asio::error_code ec, std::size_t n) {
      if (ec) return self->failed(ec == asio::error::eof ? "closed by the agent" : "read: " + ec.message());
      self->session_->on_input(std::string_view(self->buffer_.data(), n));
      self->events();
      self->flush();
      if (self->socket_.is_open()) self->read();
    });
  }

  void events() {
    for (auto& e : session_->take_events()) {
      if (std::holds_alternative<tsp::ClientAuthenticated>(e)) {
        connecting_ = false;
        authenticated_ = true;
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
        failed("TSP: " + std::to_string(f->code) + " " + f->reason);
        return;
      }
    }
  }

  void flush() {
    for (auto& w : session_->take_writes()) out_.push_back(std::move(w));
    write_next();
  }

  void write_next() {
    if (writing_ || out_.empty() || !socket_.is_open()) return;
    writing_ = true;
    auto self = shared_from_this();
    asio::async_write(socket_, asio::buffer(out_.front()), [self](asio::error_code ec, std::size_t) {
      self->writing_ = false;
      self->out_.pop_front();
      if (ec) return self->failed("write: " + ec.message());
      self->write_next();
    });
  }

  void failed(const std::string& why) {
    if (!socket_.is_open() && !connecting_ && !authenticated_ && reconnect_armed_) return;
    asio::error_code ignored;
    socket_.close(ignored);
    out_.clear();
    writing_ = false;
    const bool was_up = authenticated_;
    authenticated_ = false;
    connecting_ = false;
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
    reconnect_armed_ = true;
    timer_.expires_after(std::chrono::milliseconds(backoff_ms_));
    auto self = shared_from_this();
    timer_.async_wait([self](asio::error_code ec) {
      self->reconnect_armed_ = false;
      if (!ec) self->connect();
    });
    owner_.dispatch();
  }

  TepClient& owner_;
  int index_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::unique_ptr<tsp::ClientSession> session_;
  std::array<char, 8192> buffer_{};
  std::deque<std::string> out_;
  bool writing_ = false;
  bool connecting_ = false;
  bool authenticated_ = false;
  bool reconnect_armed_ = false;
  std::uint64_t backoff_ms_ = 0;
  std::optional<Pending> current_;
  std::uint64_t sent_at_ = 0;
};

TepClient::TepClient(asio::io_context& io, const TepConfig& config, tsp::sasl::NonceSource& nonces)
    : io_(io), config_(config), nonces_(nonces), sweeper_(io) {}

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
