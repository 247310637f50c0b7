// The netlink requests dstm-client makes to configure its DTI, built with libnl-route-3, and
// the thin channel that sends them. The channel is the one place that talks to the kernel:
// tests replace it with a fake that keeps the messages and read them back attribute by
// attribute (this machine's kernel has no ip6tnl, so the kernel backend is checked that way).
#pragma once

#include <netlink/msg.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "net/net.h"
#include "util/expected.h"

namespace dstm::client::nl {

struct MessageDeleter {
  void operator()(nl_msg* m) const { nlmsg_free(m); }
};
using Message = std::unique_ptr<nl_msg, MessageDeleter>;

// Sends one request and waits for the kernel's acknowledgement.
class Channel {
 public:
  virtual ~Channel() = default;
  // 0, or the kernel's negative errno (-EEXIST, -EOPNOTSUPP, ...).
  virtual int request(Message message) = 0;
  // The index of the link called `name`, 0 when there is none.
  virtual int link_index(const std::string& name) = 0;
};

// A NETLINK_ROUTE socket through libnl.
Expected<std::unique_ptr<Channel>, std::string> open_route_channel();

// An ip6tnl link in ipip6 mode (RFC 2473 IPv4-in-IPv6): iproute2's
// `ip link add NAME type ip6tnl mode ipip6 local L remote R encaplimit none|N ttl 64`, up.
struct Ip6TnlSpec {
  std::string name;
  net::Ipv6Address local;   // the node's global IPv6
  net::Ipv6Address remote;  // the TEP's IPv6
  std::uint32_t mtu = 1280;
  // nullopt = "encaplimit none": no RFC 2473 §4.1.1 Tunnel Encapsulation Limit option, so the
  // TEP sees next header 4 right after the IPv6 header (the DSTM default).
  std::optional<std::uint8_t> encap_limit;
};
Message build_ip6tnl_add(const Ip6TnlSpec& spec);
Message build_link_delete(int ifindex);
// Sets an existing link up with `mtu` (RTM_NEWLINK without NLM_F_CREATE).
Message build_link_up(int ifindex, std::uint32_t mtu);
// The leased address as ADDRESS/32 on the DTI.
Message build_address(bool add, int ifindex, net::Ipv4Address address);
// A route for `prefix` out of the DTI, preferring `source` (the leased address) as source.
Message build_route(bool add, int ifindex, const net::Ipv4Prefix& prefix, net::Ipv4Address source);

// Every change made through it is remembered with its inverse; undo() reverts them newest
// first, so the node's network is left as it was found (also after a partial failure).
class ChangeLog {
 public:
  explicit ChangeLog(Channel& channel) : channel_(channel) {}
  ~ChangeLog() = default;
  // Sends `apply`; on success keeps `revert` for undo(). 0 or a negative errno.
  int apply(Message apply, Message revert);
  // Keeps `revert` for a change made some other way (a link created before its index is known).
  void remember(Message revert) { reverts_.push_back(std::move(revert)); }
  // Reverts everything, newest first; the first failure, if any, as text (the rest still run).
  std::optional<std::string> undo();
  bool empty() const { return reverts_.empty(); }

 private:
  Channel& channel_;
  std::vector<Message> reverts_;
};

std::string errno_text(int negative_errno);

}  // namespace dstm::client::nl
