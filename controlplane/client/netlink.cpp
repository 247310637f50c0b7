// libnl-route-3 builders for dstm-client's DTI, and the NETLINK_ROUTE channel.
#include "netlink.h"

#include <netinet/in.h>
#include <net/if.h>
// <netinet/in.h> and <net/if.h> before the <linux/...> headers: libc-compat then skips their IFF_* enum.
#include <linux/if_tunnel.h>
#include <linux/ip6_tunnel.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/handlers.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/ip6tnl.h>
#include <netlink/route/route.h>

#include <cstring>

namespace dstm::client::nl {
namespace {

template <class T, void (*Free)(T*)>
struct Freer {
  void operator()(T* p) const { Free(p); }
};
using Link = std::unique_ptr<rtnl_link, Freer<rtnl_link, rtnl_link_put>>;
using Addr = std::unique_ptr<nl_addr, Freer<nl_addr, nl_addr_put>>;
using RouteAddr = std::unique_ptr<rtnl_addr, Freer<rtnl_addr, rtnl_addr_put>>;
using Route = std::unique_ptr<rtnl_route, Freer<rtnl_route, rtnl_route_put>>;

in6_addr to_in6(const net::Ipv6Address& a) {
  in6_addr out{};
  a.to_bytes(out.s6_addr);
  return out;
}

Addr ipv4_addr(net::Ipv4Address a, unsigned prefix_length) {
  auto bytes = a.bytes();
  Addr out(nl_addr_build(AF_INET, bytes.data(), bytes.size()));
  if (out) nl_addr_set_prefixlen(out.get(), static_cast<int>(prefix_length));
  return out;
}

// libnl reports allocation failure as a null message; the caller's request then fails. (rc is
// computed before the call: argument order is unspecified, so msg must already be set.)
Message take(int rc, nl_msg* msg) {
  if (rc < 0) {
    nlmsg_free(msg);
    return nullptr;
  }
  return Message(msg);
}

class RouteChannel final : public Channel {
 public:
  explicit RouteChannel(nl_sock* sock) : sock_(sock) {}
  ~RouteChannel() override { nl_socket_free(sock_); }

  int request(Message message) override {
    if (!message) return -ENOMEM;
    int kernel_error = 0;
    // The kernel's nlmsgerr carries the errno; libnl would fold it into its own codes.
    nl_socket_modify_err_cb(
        sock_, NL_CB_CUSTOM,
        [](sockaddr_nl*, nlmsgerr* e, void* arg) -> int {
          *static_cast<int*>(arg) = e->error;
          return NL_STOP;
        },
        &kernel_error);
    if (int rc = nl_send_auto(sock_, message.get()); rc < 0) return -EIO;
    const int rc = nl_wait_for_ack(sock_);
    if (kernel_error != 0) return kernel_error;
    return rc < 0 ? -EIO : 0;
  }
  int link_index(const std::string& name) override {
    return static_cast<int>(if_nametoindex(name.c_str()));
  }

 private:
  nl_sock* sock_;
};

}  // namespace

Expected<std::unique_ptr<Channel>, std::string> open_route_channel() {
  nl_sock* sock = nl_socket_alloc();
  if (sock == nullptr) return unexpected(std::string("netlink: out of memory"));
  if (int rc = nl_connect(sock, NETLINK_ROUTE); rc < 0) {
    nl_socket_free(sock);
    return unexpected(std::string("netlink: cannot open a NETLINK_ROUTE socket: ") + nl_geterror(rc));
  }
  return std::unique_ptr<Channel>(std::make_unique<RouteChannel>(sock));
}

Message build_ip6tnl_add(const Ip6TnlSpec& spec) {
  Link link(rtnl_link_ip6_tnl_alloc());
  if (!link) return nullptr;
  rtnl_link_set_name(link.get(), spec.name.c_str());
  rtnl_link_set_mtu(link.get(), spec.mtu);
  rtnl_link_set_flags(link.get(), IFF_UP);
  in6_addr local = to_in6(spec.local), remote = to_in6(spec.remote);
  rtnl_link_ip6_tnl_set_local(link.get(), &local);
  rtnl_link_ip6_tnl_set_remote(link.get(), &remote);
  rtnl_link_ip6_tnl_set_proto(link.get(), IPPROTO_IPIP);  // mode ipip6: IPv4 inside
  rtnl_link_ip6_tnl_set_ttl(link.get(), 64);
  if (spec.encap_limit) {
    rtnl_link_ip6_tnl_set_encaplimit(link.get(), *spec.encap_limit);
    rtnl_link_ip6_tnl_set_flags(link.get(), 0);
  } else {
    rtnl_link_ip6_tnl_set_flags(link.get(), IP6_TNL_F_IGN_ENCAP_LIMIT);
  }
  nl_msg* msg = nullptr;
  const int rc = rtnl_link_build_add_request(link.get(), NLM_F_CREATE | NLM_F_EXCL, &msg);
  return take(rc, msg);
}

Message build_link_delete(int ifindex) {
  Link link(rtnl_link_alloc());
  if (!link) return nullptr;
  rtnl_link_set_ifindex(link.get(), ifindex);
  nl_msg* msg = nullptr;
  const int rc = rtnl_link_build_delete_request(link.get(), &msg);
  return take(rc, msg);
}

Message build_link_up(int ifindex, std::uint32_t mtu) {
  Link link(rtnl_link_alloc());
  if (!link) return nullptr;
  rtnl_link_set_ifindex(link.get(), ifindex);
  rtnl_link_set_flags(link.get(), IFF_UP);
  rtnl_link_set_mtu(link.get(), mtu);
  nl_msg* msg = nullptr;
  const int rc = rtnl_link_build_add_request(link.get(), 0, &msg);
  return take(rc, msg);
}

Message build_address(bool add, int ifindex, net::Ipv4Address address) {
  RouteAddr a(rtnl_addr_alloc());
  Addr local = ipv4_addr(address, 32);
  if (!a || !local) return nullptr;
  rtnl_addr_set_ifindex(a.get(), ifindex);
  rtnl_addr_set_family(a.get(), AF_INET);
  rtnl_addr_set_local(a.get(), local.get());
  rtnl_addr_set_prefixlen(a.get(), 32);
  rtnl_addr_set_scope(a.get(), RT_SCOPE_UNIVERSE);
  nl_msg* msg = nullptr;
  const int rc = add ? rtnl_addr_build_add_request(a.get(), NLM_F_CREATE | NLM_F_EXCL, &msg)
                     : rtnl_addr_build_delete_request(a.get(), 0, &msg);
  return take(rc, msg);
}

Message build_route(bool add, int ifindex, const net::Ipv4Prefix& prefix, net::Ipv4Address source) {
  Route route(rtnl_route_alloc());
  Addr dst = ipv4_addr(prefix.network(), prefix.length());
  Addr src = ipv4_addr(source, 32);
  if (!route || !dst || !src) return nullptr;
  rtnl_route_set_family(route.get(), AF_INET);
  rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
  rtnl_route_set_type(route.get(), RTN_UNICAST);
  rtnl_route_set_scope(route.get(), RT_SCOPE_LINK);
  rtnl_route_set_protocol(route.get(), RTPROT_STATIC);
  rtnl_route_set_dst(route.get(), dst.get());
  rtnl_route_set_pref_src(route.get(), src.get());
  rtnl_nexthop* nh = rtnl_route_nh_alloc();
  if (nh == nullptr) return nullptr;
  rtnl_route_nh_set_ifindex(nh, ifindex);
  rtnl_route_add_nexthop(route.get(), nh);  // the route owns it now
  nl_msg* msg = nullptr;
  const int rc = add ? rtnl_route_build_add_request(route.get(), NLM_F_CREATE | NLM_F_EXCL, &msg)
                     : rtnl_route_build_del_request(route.get(), 0, &msg);
  return take(rc, msg);
}

int ChangeLog::apply(Message apply, Message revert) {
  if (!apply || !revert) return -ENOMEM;
  const int rc = channel_.request(std::move(apply));
  if (rc == 0) reverts_.push_back(std::move(revert));
  return rc;
}

std::optional<std::string> ChangeLog::undo() {
  std::optional<std::string> first;
  while (!reverts_.empty()) {
    Message m = std::move(reverts_.back());
    reverts_.pop_back();
    // ESRCH/ENODEV/EADDRNOTAVAIL: already gone (the link took its routes with it): fine.
    const int rc = channel_.request(std::move(m));
    if (rc != 0 && rc != -ESRCH && rc != -ENODEV && rc != -EADDRNOTAVAIL && !first) first = errno_text(rc);
  }
  return first;
}

std::string errno_text(int negative_errno) { return std::strerror(-negative_errno); }

}  // namespace dstm::client::nl
