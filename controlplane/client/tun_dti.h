// The DTI's user-space backend: a TUN device (IFF_TUN | IFF_NO_PI) carries the node's IPv4
// packets to dstm-client, which sends them to the TEP in IPv6 (next header 4, RFC 2473) on a
// raw IPv6 socket, and writes what the TEP sends back into the TUN. For kernels without
// ip6tnl. Everything runs on the daemon's event loop, non-blocking.
#pragma once

#include <asio.hpp>

#include <memory>

#include "dti.h"

namespace dstm::client {

class TunDti final : public Dti {
 public:
  TunDti(asio::io_context& io, nl::Channel& channel, DtiSettings settings);
  ~TunDti() override;
  std::string_view backend() const override { return "tun"; }
  Expected<void, DtiError> up(const Lease& lease) override;
  std::optional<std::string> down() override;
  bool is_up() const override { return up_; }
  DtiCounters counters() const override { return counters_; }

 private:
  void wait_tun();
  void wait_raw();
  void drain_tun();
  void drain_raw();
  void close_fds();

  nl::Channel& channel_;
  DtiSettings settings_;
  nl::ChangeLog changes_;
  std::optional<Lease> lease_;
  asio::posix::stream_descriptor tun_;
  asio::posix::stream_descriptor raw_;
  std::shared_ptr<int> alive_;  // handlers of a closed device see it expired
  DtiCounters counters_;
  bool up_ = false;
};

}  // namespace dstm::client
