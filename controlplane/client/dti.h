// The Dynamic Tunnel Interface (DSTM draft §3): the node's IPv4-in-IPv6 tunnel towards the
// TEP, with the leased IPv4 address as /32 on it and the IPv4 routes into it. One interface,
// two backends:
//   kernel  an ip6tnl link in ipip6 mode (netlink), the kernel does the data path
//   tun     a TUN device; dstm-client encapsulates and decapsulates (datapath.h)
//   auto    kernel where the kernel has ip6tnl, else tun (with a log line saying so)
// Whatever up() adds, down() removes, also when up() fails half way.
#pragma once

#include <asio.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client_machine.h"
#include "netlink.h"

namespace dstm::client {

enum class DtiBackend { kAuto, kKernel, kTun };
std::string_view backend_name(DtiBackend backend);

struct DtiSettings {
  DtiBackend backend = DtiBackend::kAuto;
  std::string name = "dstm0";
  std::uint32_t mtu = 1280;
  std::optional<std::uint8_t> encap_limit;  // kernel backend; nullopt = none
  std::vector<net::Ipv4Prefix> routes;      // default: 0.0.0.0/0
  net::Ipv6Address local;                   // the node's global IPv6: outer source
};

// The user-space data path's counters (the kernel backend has the link's own statistics).
struct DtiCounters {
  std::uint64_t packets_out = 0, bytes_out = 0;  // TUN -> TEP
  std::uint64_t packets_in = 0, bytes_in = 0;    // TEP -> TUN
  std::uint64_t drop_not_from_tep = 0;           // outer source is not the TEP
  std::uint64_t drop_wrong_destination = 0;      // inner destination is not the leased IPv4
  std::uint64_t drop_wrong_source = 0;           // from the TUN with another source than the lease
  std::uint64_t drop_malformed = 0;              // not a well-formed IPv4 packet
  std::uint64_t drop_io_error = 0;               // send/write failed
};

struct DtiError {
  bool unsupported = false;  // the kernel has no ip6tnl (auto falls back to tun)
  std::string text;
};

class Dti {
 public:
  virtual ~Dti() = default;
  virtual std::string_view backend() const = 0;
  virtual Expected<void, DtiError> up(const Lease& lease) = 0;
  // Removes everything up() added; the first problem as text (the rest is removed anyway).
  virtual std::optional<std::string> down() = 0;
  virtual bool is_up() const = 0;
  virtual DtiCounters counters() const { return {}; }
};

// ip6tnl through netlink.
class KernelDti final : public Dti {
 public:
  KernelDti(nl::Channel& channel, DtiSettings settings) : channel_(channel), settings_(std::move(settings)), changes_(channel) {}
  ~KernelDti() override { down(); }
  std::string_view backend() const override { return "kernel"; }
  Expected<void, DtiError> up(const Lease& lease) override;
  std::optional<std::string> down() override;
  bool is_up() const override { return up_; }

 private:
  nl::Channel& channel_;
  DtiSettings settings_;
  nl::ChangeLog changes_;
  bool up_ = false;
};

// Adds ADDRESS/32 and the routes on link `ifindex` through `changes` (shared by both backends).
Expected<void, DtiError> add_address_and_routes(nl::ChangeLog& changes, int ifindex, const DtiSettings& settings,
                                                const Lease& lease);

class TunDti;  // tun_dti.h

// kernel if it works, else tun; decided at the first up() and kept.
class AutoDti final : public Dti {
 public:
  AutoDti(asio::io_context& io, nl::Channel& channel, DtiSettings settings);
  ~AutoDti() override;
  std::string_view backend() const override;
  Expected<void, DtiError> up(const Lease& lease) override;
  std::optional<std::string> down() override { return chosen_ ? chosen_->down() : std::nullopt; }
  bool is_up() const override { return chosen_ && chosen_->is_up(); }
  DtiCounters counters() const override { return chosen_ ? chosen_->counters() : DtiCounters{}; }

 private:
  asio::io_context& io_;
  nl::Channel& channel_;
  DtiSettings settings_;
  std::unique_ptr<Dti> chosen_;
};

std::unique_ptr<Dti> make_dti(asio::io_context& io, nl::Channel& channel, const DtiSettings& settings);

}  // namespace dstm::client
