// The connection to the DSTM server under the state machine: TCP, or TSP's reliable UDP
// (one request outstanding, retransmitted with RudpClientPeer's bounds). Callbacks come from
// the event loop; a closed link never calls back again.
#pragma once

#include <asio.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <string>

#include "tsp/tsp.h"
#include "tspnet/tspnet.h"

namespace dstm::client {

struct LinkCallbacks {
  std::function<void()> connected;
  std::function<void(const std::string& reason)> failed;  // connect failed, or the link dropped
  std::function<void(std::string_view bytes)> input;
};

class TspLink {
 public:
  TspLink(asio::io_context& io, bool udp, LinkCallbacks callbacks);
  ~TspLink() { close(); }
  void connect(const tspnet::ListenAddress& server);
  void send(std::string bytes);
  void close();

 private:
  void read_tcp();
  void read_udp();
  void send_next_datagram();
  void arm_retransmit();
  void fail(const std::string& reason);

  asio::io_context& io_;
  bool udp_;
  LinkCallbacks callbacks_;
  asio::ip::tcp::socket tcp_;
  asio::ip::udp::socket udp_socket_;
  asio::steady_timer retransmit_;
  tsp::RudpClientPeer rudp_;
  bool outstanding_ = false;
  std::deque<std::string> queue_;  // UDP: requests waiting for the outstanding one's reply
  std::uint64_t generation_ = 0;   // bumped by close(): stale handlers return
  std::array<char, 65536> buf_;
};

}  // namespace dstm::client
