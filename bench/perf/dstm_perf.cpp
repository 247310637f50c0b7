// dstm-perf: load generator for dstm-server (the project's counterpart of Kea's perfdhcp).
// Simulates DSTM nodes over loopback, each a full TSP client (lib/tsp ClientSession):
// connect, VERSION, CAPABILITY, AUTHENTICATE, create (v4v6), answer, accept. Modes:
//   alloc  N nodes at a time do full allocations until --count are done; each node then
//          deletes its lease (or, with --keep, leaves it) and closes: allocations/s, latency.
//   renew  --concurrency nodes allocate once, then renew (create carrying their IPv4) on the
//          kept-open session until --count renewals are done: renewals/s, latency.
//   idle   --count nodes allocate and stay connected, silent, until --hold-s passes; with
//          --server-pid the server's RSS is read while they are held.
// --udp: the nodes speak TSP over reliable UDP (RUDP, one connected socket each, requests
// retransmitted on lib/tsp's RudpClientPeer schedule), as gogoCLIENT does by default. An idle
// RUDP node costs the server a session and its lease but no descriptor (the listener's one
// socket serves every peer), so several dstm-perf processes together can hold more sessions than
// one process may open descriptors.
// Prints one JSON object; exit 0 when every request was answered 200.
#include <asio.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "net/net.h"
#include "tsp/tsp.h"

namespace {

using namespace dstm;
using asio::ip::tcp;
using asio::ip::udp;

std::uint64_t now_us() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count());
}

struct Options {
  std::string mode = "alloc";
  std::string host = "127.0.0.1";
  std::uint16_t port = 3653;
  std::vector<std::string> sources{"127.0.0.1"};  // bind addresses (more = more ports)
  std::size_t concurrency = 64;
  std::size_t count = 10000;
  std::uint64_t duration_s = 60;  // stop anyway after this long
  std::uint64_t hold_s = 5;
  bool keep = false;
  bool udp = false;
  std::string ipv6_prefix = "2001:db8:f000::";
  std::uint64_t first_node = 1;
  tsp::sasl::Mechanism mechanism = tsp::sasl::Mechanism::kAnonymous;
  std::string user = "anonymous", password;
  long server_pid = 0;
};

struct Stats {
  std::vector<std::uint64_t> create_us;  // create sent -> 200 received
  std::vector<std::uint64_t> full_us;    // connect -> offer accepted
  std::uint64_t ok = 0, errors = 0, connect_failures = 0, renewals = 0, held = 0, retransmits = 0;
  std::map<int, std::uint64_t> codes;
};

class Node;

struct Run {
  asio::io_context io{1};
  Options o;
  Stats stats;
  tsp::sasl::OpenSslNonceSource nonces;
  std::size_t started = 0;   // nodes begun
  std::size_t finished = 0;  // allocations (alloc) or renewals (renew) counted
  std::size_t live = 0;
  std::size_t allocated = 0;  // idle/renew: nodes holding a lease
  bool stopping = false;
  std::uint64_t t0 = 0, t_end = 0;
  std::vector<std::shared_ptr<Node>> holders;
  void maybe_start();
};

net::Ipv6Address node_address(const Options& o, std::uint64_t n) {
  auto b = net::Ipv6Address::parse(o.ipv6_prefix)->bytes();
  for (int i = 0; i < 8; ++i) b[static_cast<std::size_t>(15 - i)] = static_cast<std::uint8_t>(n >> (8 * i));
  return net::Ipv6Address::from_bytes(b.data());
}

class Node : public std::enable_shared_from_this<Node> {
 public:
  Node(Run& run, std::uint64_t index)
      : run_(run), index_(index), socket_(run.io), udp_socket_(run.io), retransmit_(run.io) {}

  void start() {
    if (run_.o.udp) return start_udp();
    const auto& src = run_.o.sources[index_ % run_.o.sources.size()];
    asio::error_code ec;
    socket_.open(tcp::v4(), ec);
    if (!ec && run_.o.sources.size() > 1) socket_.bind(tcp::endpoint(asio::ip::make_address(src), 0), ec);
    if (ec) return fail_connect();
    t_connect_ = now_us();
    auto self = shared_from_this();
    socket_.async_connect(tcp::endpoint(asio::ip::make_address(run_.o.host), run_.o.port), [self](asio::error_code e) {
      if (e) return self->fail_connect();
      asio::error_code ignored;
      self->socket_.set_option(tcp::no_delay(true), ignored);
      tsp::ClientSessionConfig cfg;
      cfg.mechanisms = {self->run_.o.mechanism};
      cfg.credentials = {self->run_.o.user, self->run_.o.password};
      cfg.digest_host = self->run_.o.host;
      self->session_ = std::make_unique<tsp::ClientSession>(cfg, self->run_.nonces, tsp::Transport::kStream);
      self->session_->start();
      self->flush();
      self->read();
    });
  }

  void close() {
    asio::error_code ignored;
    socket_.close(ignored);
    udp_socket_.close(ignored);
    retransmit_.cancel();
  }

 private:
  void fail_connect() {
    ++run_.stats.connect_failures;
    done_node();
  }

  void done_node() {
    close();
    if (counted_live_) {
      counted_live_ = false;
    }
    --run_.live;
    run_.maybe_start();
  }

  // RUDP: a connected UDP socket, the same session in datagram mode.
  void start_udp() {
    const auto& src = run_.o.sources[index_ % run_.o.sources.size()];
    asio::error_code ec;
    udp_socket_.open(udp::v4(), ec);
    if (!ec && run_.o.sources.size() > 1) udp_socket_.bind(udp::endpoint(asio::ip::make_address(src), 0), ec);
    if (!ec) udp_socket_.connect(udp::endpoint(asio::ip::make_address(run_.o.host), run_.o.port), ec);
    if (ec) return fail_connect();
    t_connect_ = now_us();
    tsp::ClientSessionConfig cfg;
    cfg.mechanisms = {run_.o.mechanism};
    cfg.credentials = {run_.o.user, run_.o.password};
    cfg.digest_host = run_.o.host;
    session_ = std::make_unique<tsp::ClientSession>(cfg, run_.nonces, tsp::Transport::kDatagram);
    session_->start();
    flush();
    read_udp();
  }

  void read_udp() {
    auto self = shared_from_this();
    udp_socket_.async_receive(asio::buffer(buf_), [self](asio::error_code ec, std::size_t n) {
      if (self->closed_) return;
      if (ec) {
        self->closed_ = true;
        if (!self->done_) ++self->run_.stats.errors;
        return self->done_node();
      }
      // A header-only reply is an acknowledgement the session must see too.
      if (auto payload = self->rudp_.accept(std::string_view(self->buf_.data(), n))) {
        self->retransmit_.cancel();
        self->session_->on_input(*payload);
        self->events();
        self->flush();
      }
      if (!self->closed_) self->read_udp();
    });
  }

  // Sends the outstanding request again on RudpClientPeer's schedule; out of tries: an error.
  void arm_retransmit() {
    const auto due = rudp_.retransmit_deadline();
    if (!due) return;
    const auto now_ms = static_cast<std::uint32_t>(now_us() / 1000);
    retransmit_.expires_after(std::chrono::milliseconds(*due > now_ms ? *due - now_ms : 0));
    auto self = shared_from_this();
    retransmit_.async_wait([self](asio::error_code ec) {
      if (ec || self->closed_) return;
      auto again = self->rudp_.retransmit(static_cast<std::uint32_t>(now_us() / 1000));
      if (!again) {
        self->closed_ = true;
        ++self->run_.stats.errors;
        return self->done_node();
      }
      ++self->run_.stats.retransmits;
      self->out_.push_back(std::move(*again));
      self->write_next();
      self->arm_retransmit();
    });
  }

  void read() {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(buf_), [self](asio::error_code ec, std::size_t n) {
      if (ec) {
        if (!self->closed_) {
          self->closed_ = true;
          if (!self->done_) ++self->run_.stats.errors;
          self->done_node();
        }
        return;
      }
      self->session_->on_input(std::string_view(self->buf_.data(), n));
      self->events();
      self->flush();
      if (!self->closed_) self->read();
    });
  }

  void flush() {
    for (auto& w : session_->take_writes()) {
      out_.push_back(run_.o.udp ? rudp_.send(w, static_cast<std::uint32_t>(now_us() / 1000)) : std::move(w));
    }
    if (run_.o.udp) arm_retransmit();
    write_next();
  }
  void write_next() {
    if (writing_ || out_.empty() || closed_) return;
    writing_ = true;
    auto self = shared_from_this();
    if (run_.o.udp) {
      udp_socket_.async_send(asio::buffer(out_.front()), [self](asio::error_code, std::size_t) {
        self->writing_ = false;
        self->out_.pop_front();
        self->write_next();
      });
      return;
    }
    asio::async_write(socket_, asio::buffer(out_.front()), [self](asio::error_code ec, std::size_t) {
      self->writing_ = false;
      self->out_.pop_front();
      if (!ec) self->write_next();
    });
  }

  void send_create(bool renewal) {
    tsp::TunnelMessage m;
    m.action = tsp::TunnelAction::kCreate;
    m.type = tsp::TunnelType::kV4V6;
    m.proxy = false;
    tsp::Endpoint e;
    if (renewal) e.addresses.push_back({tsp::AddressType::kIpv4, leased_});
    e.addresses.push_back({tsp::AddressType::kIpv6, node_address(run_.o, run_.o.first_node + index_).to_string()});
    m.client = e;
    t_create_ = now_us();
    session_->request(m);
  }

  void finish(bool close_it) {
    done_ = true;
    if (close_it && !closed_) {
      closed_ = true;
      done_node();
    }
  }

  void events() {
    for (auto& e : session_->take_events()) {
      if (std::holds_alternative<tsp::ClientAuthenticated>(e)) {
        send_create(false);
      } else if (auto* r = std::get_if<tsp::TunnelReply>(&e)) {
        const std::uint64_t t = now_us();
        ++run_.stats.codes[r->code];
        if (deleting_) {  // the answer to our delete: this node is done
          if (r->code != 200) ++run_.stats.errors;
          finish(true);
          return;
        }
        if (r->code != 200 || !r->message || !r->message->client ||
            r->message->client->find(tsp::AddressType::kIpv4) == nullptr) {
          ++run_.stats.errors;
          finish(true);
          return;
        }
        ++run_.stats.ok;
        run_.stats.create_us.push_back(t - t_create_);
        if (leased_.empty()) {  // the allocation
          leased_ = r->message->client->find(tsp::AddressType::kIpv4)->value;
          session_->accept();
          run_.stats.full_us.push_back(now_us() - t_connect_);
          if (run_.o.mode == "alloc") {
            ++run_.finished;
            if (!run_.o.keep) {
              tsp::TunnelMessage del;
              del.action = tsp::TunnelAction::kDelete;
              del.type = tsp::TunnelType::kV4V6;
              del.client = tsp::Endpoint{{{tsp::AddressType::kIpv4, leased_},
                                          {tsp::AddressType::kIpv6, node_address(run_.o, run_.o.first_node + index_).to_string()}},
                                         {}, {}, {}};
              deleting_ = true;
              session_->request(del);
              return;
            }
            finish(true);
            return;
          }
          ++run_.allocated;
          if (run_.o.mode == "idle") {
            ++run_.stats.held;
            run_.holders.push_back(shared_from_this());
            run_.maybe_start();
            return;
          }
          send_create(true);  // renew mode: renew at once
        } else {  // a renewal
          ++run_.stats.renewals;
          ++run_.finished;
          if (run_.finished >= run_.o.count || run_.stopping) {
            finish(true);
            run_.maybe_start();
            return;
          }
          send_create(true);
        }
      } else if (auto* f = std::get_if<tsp::ClientFailed>(&e)) {
        ++run_.stats.codes[f->code];
        ++run_.stats.errors;
        finish(true);
        return;
      }
    }
  }

  Run& run_;
  std::uint64_t index_;
  tcp::socket socket_;
  udp::socket udp_socket_;
  tsp::RudpClientPeer rudp_;
  asio::steady_timer retransmit_;
  std::unique_ptr<tsp::ClientSession> session_;
  std::array<char, 8192> buf_{};
  std::deque<std::string> out_;
  bool writing_ = false, closed_ = false, done_ = false, deleting_ = false, counted_live_ = true;
  std::string leased_;
  std::uint64_t t_connect_ = 0, t_create_ = 0;
};

void Run::maybe_start() {
  const bool time_up = now_us() - t0 > o.duration_s * 1'000'000;
  if (time_up) stopping = true;
  if (o.mode == "alloc") {
    while (!stopping && live < o.concurrency && started < o.count) {
      ++live;
      std::make_shared<Node>(*this, started++)->start();
    }
    if ((finished >= o.count || stopping) && live == 0) {
      t_end = now_us();
      io.stop();
    }
  } else if (o.mode == "renew") {
    while (!stopping && live < o.concurrency && started < o.concurrency) {
      ++live;
      std::make_shared<Node>(*this, started++)->start();
    }
    if (live == 0) {
      t_end = now_us();
      io.stop();
    }
  } else {  // idle: keep up to `concurrency` handshakes in flight until `count` are held
    while (!stopping && live - holders.size() < o.concurrency && started < o.count) {
      ++live;
      std::make_shared<Node>(*this, started++)->start();
    }
    if (started >= o.count && live == holders.size()) {
      if (t_end == 0) t_end = now_us();
    }
    if (stopping && t_end == 0) t_end = now_us();
  }
}

std::uint64_t percentile(std::vector<std::uint64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

long rss_kib(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "dstm-perf: %s\n"
               "usage: dstm-perf [--mode alloc|renew|idle] --connect HOST:PORT [--udp] [--source A]... [--concurrency N]\n"
               "                 [--count N] [--duration-s S] [--hold-s S] [--keep] [--ipv6-prefix P] [--first-node N]\n"
               "                 [--mechanism ANONYMOUS|DIGEST-MD5|SCRAM-SHA-256 --user U --password P] [--server-pid PID]\n",
               why);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  Run run;
  Options& o = run.o;
  bool sources_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    if (a == "--mode") o.mode = value();
    else if (a == "--connect") {
      const std::string hp = value();
      const auto colon = hp.rfind(':');
      if (colon == std::string::npos) usage("--connect HOST:PORT");
      o.host = hp.substr(0, colon);
      o.port = static_cast<std::uint16_t>(std::stoi(hp.substr(colon + 1)));
    } else if (a == "--source") {
      if (!sources_given) o.sources.clear();
      sources_given = true;
      o.sources.push_back(value());
    } else if (a == "--concurrency") o.concurrency = std::stoul(value());
    else if (a == "--count") o.count = std::stoul(value());
    else if (a == "--duration-s") o.duration_s = std::stoul(value());
    else if (a == "--hold-s") o.hold_s = std::stoul(value());
    else if (a == "--keep") o.keep = true;
    else if (a == "--udp") o.udp = true;
    else if (a == "--ipv6-prefix") o.ipv6_prefix = value();
    else if (a == "--first-node") o.first_node = std::stoull(value());
    else if (a == "--mechanism") {
      auto m = tsp::sasl::mechanism_from_name(value());
      if (!m) usage("unknown mechanism");
      o.mechanism = *m;
    } else if (a == "--user") o.user = value();
    else if (a == "--password") o.password = value();
    else if (a == "--server-pid") o.server_pid = std::stol(value());
    else if (a == "--help" || a == "-h") usage("help");
    else usage(("unknown option " + a).c_str());
  }
  if (o.mode != "alloc" && o.mode != "renew" && o.mode != "idle") usage("--mode alloc|renew|idle");
  if (!net::Ipv6Address::parse(o.ipv6_prefix)) usage("--ipv6-prefix must be an IPv6 address");
  run.t0 = now_us();
  run.maybe_start();
  long rss_held = -1;
  asio::steady_timer watchdog(run.io);
  std::function<void()> tick = [&] {
    watchdog.expires_after(std::chrono::milliseconds(100));
    watchdog.async_wait([&](asio::error_code ec) {
      if (ec) return;
      run.maybe_start();
      if (o.mode == "idle" && run.t_end != 0 && now_us() - run.t_end > o.hold_s * 1'000'000) {
        if (o.server_pid != 0) rss_held = rss_kib(o.server_pid);
        for (auto& h : run.holders) h->close();
        run.io.stop();
        return;
      }
      if (run.stopping && o.mode != "idle" && now_us() - run.t0 > (o.duration_s + 10) * 1'000'000) {
        run.io.stop();  // stragglers: give up
        return;
      }
      tick();
    });
  };
  tick();
  run.io.run();
  if (run.t_end == 0) run.t_end = now_us();
  const double secs = static_cast<double>(run.t_end - run.t0) / 1e6;
  auto& s = run.stats;
  const double rate = o.mode == "renew" ? static_cast<double>(s.renewals) / secs
                                        : static_cast<double>(s.full_us.size()) / secs;
  std::printf("{\"mode\": \"%s\", \"seconds\": %.3f, \"ok\": %llu, \"errors\": %llu, \"connect_failures\": %llu, "
              "\"allocations\": %zu, \"renewals\": %llu, \"held\": %llu, \"retransmits\": %llu, \"per_s\": %.0f, "
              "\"create_p50_us\": %llu, \"create_p99_us\": %llu, \"full_p50_us\": %llu, \"full_p99_us\": %llu, "
              "\"server_rss_kib\": %ld, \"codes\": {",
              o.mode.c_str(), secs, static_cast<unsigned long long>(s.ok), static_cast<unsigned long long>(s.errors),
              static_cast<unsigned long long>(s.connect_failures), s.full_us.size(),
              static_cast<unsigned long long>(s.renewals), static_cast<unsigned long long>(s.held),
              static_cast<unsigned long long>(s.retransmits), rate,
              static_cast<unsigned long long>(percentile(s.create_us, 0.5)),
              static_cast<unsigned long long>(percentile(s.create_us, 0.99)),
              static_cast<unsigned long long>(percentile(s.full_us, 0.5)),
              static_cast<unsigned long long>(percentile(s.full_us, 0.99)), rss_held);
  bool first = true;
  for (const auto& [code, n] : s.codes) {
    std::printf("%s\"%d\": %llu", first ? "" : ", ", code, static_cast<unsigned long long>(n));
    first = false;
  }
  std::printf("}}\n");
  return s.errors == 0 && s.connect_failures == 0 ? 0 : 1;
}
