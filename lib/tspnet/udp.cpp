// dstm::tspnet — a Listener's reliable-UDP side: one socket per listen address serving every
// RUDP peer (tsp-digest.md §1: 8-byte header, one reply per request).
#include <cstdint>
#include <string>

#include "tspnet/listener_shared.h"

namespace dstm::tspnet {
namespace {

using asio::ip::udp;

// What a UDP listener asks for as its receive buffer (see Listener::open_udp).
constexpr int kUdpReceiveBuffer = 4 << 20;
// How often a UDP listener walks its peers to forget the silent and the finished ones.
constexpr std::uint64_t kUdpSweepIntervalMs = 1000;
// Datagrams a UDP listener takes from its socket per turn of the event loop, at most.
constexpr int kUdpDatagramsPerTurn = 64;

}  // namespace

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

Expected<void, std::string> Listener::open_udp(const ListenAddress& l, const asio::ip::address& address,
                                               std::uint16_t port) {
  const auto& cfg = shared_->config;
  auto u = std::make_unique<UdpEndpoint>(shared_->io);
  const udp::endpoint uep(address, port);
  asio::error_code ec;
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
  log::info(cfg.name + ": listening on UDP " + ListenAddress{l.host, port}.to_string() + " (receive buffer " +
            std::to_string(got.value()) + " bytes)");
  udp_.push_back(std::move(u));
  return {};
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
