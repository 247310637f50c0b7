// The DTI's user-space backend: see tun_dti.h.
#include "tun_dti.h"

#include <fcntl.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "datapath.h"
#include "util/log.h"

namespace dstm::client {
namespace {

// Packets handled per wake-up before yielding to the loop (timers, the TSP session).
constexpr int kBurst = 64;

void count_drop(DtiCounters& c, Verdict v) {
  switch (v) {
    case Verdict::kForward: return;
    case Verdict::kDropMalformed: ++c.drop_malformed; return;
    case Verdict::kDropNotFromTep: ++c.drop_not_from_tep; return;
    case Verdict::kDropWrongDestination: ++c.drop_wrong_destination; return;
    case Verdict::kDropWrongSource: ++c.drop_wrong_source; return;
  }
}

std::string sys_error(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace

TunDti::TunDti(asio::io_context& io, nl::Channel& channel, DtiSettings settings)
    : channel_(channel), settings_(std::move(settings)), changes_(channel), tun_(io), raw_(io) {}

TunDti::~TunDti() { down(); }

Expected<void, DtiError> TunDti::up(const Lease& lease) {
  if (up_) down();
  if (channel_.link_index(settings_.name) != 0) {
    return unexpected(DtiError{false, "a link named " + settings_.name + " already exists (left by another program? `ip link del " +
                                          settings_.name + "` if it is stale)"});
  }
  const int tun = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (tun < 0) return unexpected(DtiError{false, sys_error("cannot open /dev/net/tun")});
  ifreq ifr{};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::strncpy(ifr.ifr_name, settings_.name.c_str(), IFNAMSIZ - 1);
  if (::ioctl(tun, TUNSETIFF, &ifr) != 0) {
    auto e = sys_error("cannot create TUN " + settings_.name);
    ::close(tun);
    return unexpected(DtiError{false, e});
  }
  // Only now into epoll: a TUN fd polled before TUNSETIFF answers EPOLLERR without joining
  // the device's wait queue, so an earlier registration would never be woken.
  tun_.assign(tun);
  // An IPv4-only link: without this the kernel would send its IPv6 link-local chatter (router
  // solicitations, MLD) into the tunnel. Our own device, so no undo is needed.
  if (FILE* f = std::fopen(("/proc/sys/net/ipv6/conf/" + settings_.name + "/disable_ipv6").c_str(), "w")) {
    std::fputs("1", f);
    std::fclose(f);
  }
  // The outer header is the kernel's: a raw IPv6 socket of protocol 4 sends next header 4
  // from the address it is bound to (RFC 2473 §3: tunnel entry-point = the node's global).
  const int raw = ::socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_IPIP);
  if (raw < 0) {
    auto e = sys_error("cannot open a raw IPv6 socket (needs CAP_NET_RAW)");
    close_fds();
    return unexpected(DtiError{false, e});
  }
  raw_.assign(raw);
  sockaddr_in6 local{};
  local.sin6_family = AF_INET6;
  settings_.local.to_bytes(local.sin6_addr.s6_addr);
  const int hops = 64;
  if (::bind(raw, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0 ||
      ::setsockopt(raw, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof hops) != 0) {
    auto e = sys_error("cannot bind the raw socket to " + settings_.local.to_string());
    close_fds();
    return unexpected(DtiError{false, e});
  }
  const int ifindex = channel_.link_index(settings_.name);
  if (ifindex == 0) {
    close_fds();
    return unexpected(DtiError{false, "TUN " + settings_.name + " has no index"});
  }
  // The device disappears with its file descriptor: setting it up needs no undo.
  if (int rc = channel_.request(nl::build_link_up(ifindex, settings_.mtu)); rc != 0) {
    close_fds();
    return unexpected(DtiError{false, "cannot set " + settings_.name + " up: " + nl::errno_text(rc)});
  }
  if (auto r = add_address_and_routes(changes_, ifindex, settings_, lease); !r) {
    changes_.undo();
    close_fds();
    return r;
  }
  lease_ = lease;
  up_ = true;
  alive_ = std::make_shared<int>(0);
  wait_tun();
  wait_raw();
  log::info("DTI " + settings_.name + " (TUN, user-space ipip6) up: " + settings_.local.to_string() + " -> " +
            lease.tep_ipv6.to_string() + ", " + lease.ipv4.to_string() + "/32, " +
            std::to_string(settings_.routes.size()) + " route(s)");
  return {};
}

std::optional<std::string> TunDti::down() {
  auto problem = changes_.undo();
  alive_.reset();
  close_fds();
  if (up_) log::info("DTI " + settings_.name + " removed");
  up_ = false;
  lease_.reset();
  return problem;
}

void TunDti::close_fds() {
  asio::error_code ignored;
  if (tun_.is_open()) tun_.close(ignored);
  if (raw_.is_open()) raw_.close(ignored);
}

void TunDti::wait_tun() {
  tun_.async_wait(asio::posix::stream_descriptor::wait_read,
                  [this, alive = std::weak_ptr<int>(alive_)](const asio::error_code& ec) {
                    if (ec || alive.expired()) return;
                    drain_tun();
                  });
}

void TunDti::wait_raw() {
  raw_.async_wait(asio::posix::stream_descriptor::wait_read,
                  [this, alive = std::weak_ptr<int>(alive_)](const asio::error_code& ec) {
                    if (ec || alive.expired()) return;
                    drain_raw();
                  });
}

// Node -> TEP: each IPv4 packet the node routes into the TUN goes out in IPv6.
void TunDti::drain_tun() {
  std::array<std::uint8_t, 65536> buf;
  sockaddr_in6 tep{};
  tep.sin6_family = AF_INET6;
  lease_->tep_ipv6.to_bytes(tep.sin6_addr.s6_addr);
  for (int i = 0; i < kBurst; ++i) {
    const ssize_t n = ::read(tun_.native_handle(), buf.data(), buf.size());
    if (n <= 0) break;
    const auto packet = std::span<const std::uint8_t>(buf.data(), static_cast<std::size_t>(n));
    const Verdict v = check_outbound(packet, lease_->ipv4);
    if (v != Verdict::kForward) {
      count_drop(counters_, v);
      continue;
    }
    if (::sendto(raw_.native_handle(), buf.data(), packet.size(), 0, reinterpret_cast<const sockaddr*>(&tep),
                 sizeof tep) < 0) {
      ++counters_.drop_io_error;
      continue;
    }
    ++counters_.packets_out;
    counters_.bytes_out += packet.size();
  }
  wait_tun();
}

// TEP -> node: a raw IPv6 socket hands over the payload after the IPv6 header, i.e. the IPv4
// packet, with the outer source in the address.
void TunDti::drain_raw() {
  std::array<std::uint8_t, 65536> buf;
  for (int i = 0; i < kBurst; ++i) {
    sockaddr_in6 from{};
    socklen_t from_len = sizeof from;
    const ssize_t n = ::recvfrom(raw_.native_handle(), buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from),
                                 &from_len);
    if (n < 0) break;
    const auto inner = std::span<const std::uint8_t>(buf.data(), static_cast<std::size_t>(n));
    const Verdict v = check_inbound(net::Ipv6Address::from_bytes(from.sin6_addr.s6_addr), inner, lease_->tep_ipv6,
                                    lease_->ipv4);
    if (v != Verdict::kForward) {
      count_drop(counters_, v);
      continue;
    }
    const std::size_t length = ipv4_packet_length(inner);  // without any padding after it
    if (::write(tun_.native_handle(), buf.data(), length) != static_cast<ssize_t>(length)) {
      ++counters_.drop_io_error;
      continue;
    }
    ++counters_.packets_in;
    counters_.bytes_in += length;
  }
  wait_raw();
}

}  // namespace dstm::client
