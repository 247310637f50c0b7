// The connection to the DSTM server: see tsp_link.h.
#include "tsp_link.h"

#include <chrono>

namespace dstm::client {
namespace {

std::uint32_t now_ms32() {
  using namespace std::chrono;
  return static_cast<std::uint32_t>(duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

}  // namespace

TspLink::TspLink(asio::io_context& io, bool udp, LinkCallbacks callbacks)
    : io_(io), udp_(udp), callbacks_(std::move(callbacks)), tcp_(io), udp_socket_(io), retransmit_(io) {}

void TspLink::connect(const tspnet::ListenAddress& server) {
  close();
  asio::error_code ec;
  const auto address = asio::ip::make_address(server.host, ec);
  if (ec) return fail("bad server address " + server.host);
  const std::uint64_t gen = generation_;
  if (udp_) {
    const asio::ip::udp::endpoint peer(address, server.port);
    udp_socket_.open(peer.protocol(), ec);
    if (!ec) udp_socket_.connect(peer, ec);
    if (ec) return fail("udp " + server.to_string() + ": " + ec.message());
    rudp_ = tsp::RudpClientPeer{};
    read_udp();
    asio::post(io_, [this, gen] {
      if (gen == generation_) callbacks_.connected();
    });
    return;
  }
  tcp_.async_connect(asio::ip::tcp::endpoint(address, server.port), [this, gen, server](const asio::error_code& e) {
    if (gen != generation_) return;
    if (e) return fail("tcp " + server.to_string() + ": " + e.message());
    asio::error_code ignored;
    tcp_.set_option(asio::ip::tcp::no_delay(true), ignored);
    // The session idles between renewals (half a lease); keepalives notice a dead path, and
    // keep middleboxes from forgetting the connection the server sends Tunnel Delete on.
    tcp_.set_option(asio::socket_base::keep_alive(true), ignored);
    read_tcp();
    callbacks_.connected();
  });
}

void TspLink::send(std::string bytes) {
  if (!udp_) {
    if (!tcp_.is_open()) return;
    auto data = std::make_shared<std::string>(std::move(bytes));
    const std::uint64_t gen = generation_;
    asio::async_write(tcp_, asio::buffer(*data), [this, gen, data](const asio::error_code& e, std::size_t) {
      if (gen == generation_ && e) fail("send: " + e.message());
    });
    return;
  }
  queue_.push_back(std::move(bytes));
  if (!outstanding_) send_next_datagram();
}

void TspLink::send_next_datagram() {
  if (queue_.empty() || !udp_socket_.is_open()) return;
  const std::string datagram = rudp_.send(queue_.front(), now_ms32());
  queue_.pop_front();
  outstanding_ = true;
  asio::error_code ec;
  udp_socket_.send(asio::buffer(datagram), 0, ec);  // a loss is handled by retransmission
  arm_retransmit();
}

void TspLink::arm_retransmit() {
  const auto deadline = rudp_.retransmit_deadline();
  if (!deadline) return;
  const std::uint32_t now = now_ms32();
  const std::uint32_t wait = *deadline > now ? *deadline - now : 0;
  retransmit_.expires_after(std::chrono::milliseconds(wait));
  const std::uint64_t gen = generation_;
  retransmit_.async_wait([this, gen](const asio::error_code& e) {
    if (e || gen != generation_ || !outstanding_) return;
    auto again = rudp_.retransmit(now_ms32());
    if (!again) return fail("no answer from the server (UDP retransmissions exhausted)");
    asio::error_code ec;
    udp_socket_.send(asio::buffer(*again), 0, ec);
    arm_retransmit();
  });
}

void TspLink::read_udp() {
  const std::uint64_t gen = generation_;
  udp_socket_.async_receive(asio::buffer(buf_), [this, gen](const asio::error_code& e, std::size_t n) {
    if (gen != generation_) return;
    if (e) {
      // ICMP port unreachable shows up as connection_refused on a connected UDP socket.
      if (e == asio::error::connection_refused) return fail("udp: server port unreachable");
      if (e == asio::error::operation_aborted) return;
    } else if (auto payload = rudp_.accept(std::string_view(buf_.data(), n))) {
      outstanding_ = false;
      retransmit_.cancel();
      callbacks_.input(*payload);
      if (gen != generation_) return;
      send_next_datagram();
    }
    read_udp();
  });
}

void TspLink::read_tcp() {
  const std::uint64_t gen = generation_;
  tcp_.async_read_some(asio::buffer(buf_), [this, gen](const asio::error_code& e, std::size_t n) {
    if (gen != generation_) return;
    if (e) return fail(e == asio::error::eof ? std::string("server closed the connection") : e.message());
    callbacks_.input(std::string_view(buf_.data(), n));
    if (gen == generation_) read_tcp();
  });
}

void TspLink::fail(const std::string& reason) {
  close();
  // Reported from the loop, never from inside the caller's own call into the link.
  asio::post(io_, [this, reason, gen = generation_] {
    if (gen == generation_) callbacks_.failed(reason);
  });
}

void TspLink::close() {
  ++generation_;
  asio::error_code ignored;
  if (tcp_.is_open()) tcp_.close(ignored);
  if (udp_socket_.is_open()) udp_socket_.close(ignored);
  retransmit_.cancel();
  queue_.clear();
  outstanding_ = false;
}

}  // namespace dstm::client
