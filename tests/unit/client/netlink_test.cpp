// The DTI's netlink requests, read back attribute by attribute from what a fake channel kept
// (this machine's kernel has no ip6tnl), and the kernel backend's undo on every path.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <net/if.h>
// <netinet/in.h> and <net/if.h> before the <linux/...> headers: libc-compat then skips their IFF_* enum.
#include <linux/if_link.h>
#include <linux/if_tunnel.h>
#include <linux/ip6_tunnel.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "dti.h"
#include "netlink.h"

using namespace dstm;
using namespace dstm::client;

namespace {

const auto kLocal = *net::Ipv6Address::parse("2001:db8:1::2");
const auto kTep6 = *net::Ipv6Address::parse("2001:db8:1::a");
const auto kLeased = *net::Ipv4Address::parse("192.0.2.2");

// One request as the kernel would read it.
struct Request {
  std::uint16_t type = 0;
  std::uint16_t flags = 0;
  std::vector<std::uint8_t> bytes;  // the whole netlink message
  nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(bytes.data()); }
};

class FakeChannel final : public nl::Channel {
 public:
  std::vector<Request> requests;
  std::map<std::string, int> links;
  // Fails the request with this index (0-based) with `fail_errno`.
  std::optional<std::size_t> fail_at;
  int fail_errno = -EEXIST;

  int request(nl::Message message) override {
    REQUIRE(message);
    nlmsghdr* h = nlmsg_hdr(message.get());
    Request r;
    r.type = h->nlmsg_type;
    r.flags = h->nlmsg_flags;
    const auto* p = reinterpret_cast<const std::uint8_t*>(h);
    r.bytes.assign(p, p + h->nlmsg_len);
    const std::size_t index = requests.size();
    requests.push_back(std::move(r));
    if (fail_at && *fail_at == index) return fail_errno;
    if (h->nlmsg_type == RTM_NEWLINK && (h->nlmsg_flags & NLM_F_CREATE)) links["dstm0"] = 7;
    if (h->nlmsg_type == RTM_DELLINK) links.erase("dstm0");
    return 0;
  }
  int link_index(const std::string& name) override {
    auto it = links.find(name);
    return it == links.end() ? 0 : it->second;
  }
};

template <std::size_t N>
struct Attrs {
  std::array<nlattr*, N + 1> tb{};
  nlattr* operator[](int i) const { return tb[static_cast<std::size_t>(i)]; }
};

Attrs<IFLA_MAX> link_attrs(Request& r, ifinfomsg*& info) {
  Attrs<IFLA_MAX> a;
  info = static_cast<ifinfomsg*>(nlmsg_data(r.header()));
  REQUIRE(nlmsg_parse(r.header(), sizeof(ifinfomsg), a.tb.data(), IFLA_MAX, nullptr) == 0);
  return a;
}

std::string ipv6_of(nlattr* a) {
  REQUIRE(a != nullptr);
  REQUIRE(nla_len(a) == 16);
  return net::Ipv6Address::from_bytes(static_cast<const std::uint8_t*>(nla_data(a))).to_string();
}
std::string ipv4_of(nlattr* a) {
  REQUIRE(a != nullptr);
  REQUIRE(nla_len(a) == 4);
  return net::Ipv4Address::from_bytes(static_cast<const std::uint8_t*>(nla_data(a))).to_string();
}

struct TunnelAttrs {
  std::string kind;
  Attrs<IFLA_IPTUN_MAX> data;
};

TunnelAttrs tunnel_attrs(nlattr* linkinfo) {
  REQUIRE(linkinfo != nullptr);
  Attrs<IFLA_INFO_MAX> info;
  REQUIRE(nla_parse_nested(info.tb.data(), IFLA_INFO_MAX, linkinfo, nullptr) == 0);
  TunnelAttrs t;
  REQUIRE(info[IFLA_INFO_KIND] != nullptr);
  t.kind = nla_get_string(info[IFLA_INFO_KIND]);
  REQUIRE(info[IFLA_INFO_DATA] != nullptr);
  REQUIRE(nla_parse_nested(t.data.tb.data(), IFLA_IPTUN_MAX, info[IFLA_INFO_DATA], nullptr) == 0);
  return t;
}

DtiSettings settings() {
  DtiSettings s;
  s.backend = DtiBackend::kKernel;
  s.local = kLocal;
  s.routes = {*net::Ipv4Prefix::parse("0.0.0.0/0")};
  return s;
}

Lease lease() {
  Lease l;
  l.ipv4 = kLeased;
  l.tep_ipv4 = *net::Ipv4Address::parse("198.51.100.1");
  l.tep_ipv6 = kTep6;
  l.lifetime_s = 100;
  return l;
}

}  // namespace

TEST_CASE("ip6tnl create: kind, ipip6 mode, local/remote, encaplimit none, MTU, up", "[client][netlink]") {
  FakeChannel ch;
  nl::Ip6TnlSpec spec{"dstm0", kLocal, kTep6, 1280, std::nullopt};
  REQUIRE(ch.request(nl::build_ip6tnl_add(spec)) == 0);
  Request& r = ch.requests.at(0);
  CHECK(r.type == RTM_NEWLINK);
  CHECK((r.flags & NLM_F_CREATE) != 0);
  CHECK((r.flags & NLM_F_EXCL) != 0);
  ifinfomsg* info = nullptr;
  auto a = link_attrs(r, info);
  CHECK((info->ifi_flags & IFF_UP) != 0);
  REQUIRE(a[IFLA_IFNAME] != nullptr);
  CHECK(std::string(nla_get_string(a[IFLA_IFNAME])) == "dstm0");
  REQUIRE(a[IFLA_MTU] != nullptr);
  CHECK(nla_get_u32(a[IFLA_MTU]) == 1280);
  auto t = tunnel_attrs(a[IFLA_LINKINFO]);
  CHECK(t.kind == "ip6tnl");
  REQUIRE(t.data[IFLA_IPTUN_PROTO] != nullptr);
  CHECK(nla_get_u8(t.data[IFLA_IPTUN_PROTO]) == IPPROTO_IPIP);
  CHECK(ipv6_of(t.data[IFLA_IPTUN_LOCAL]) == "2001:db8:1::2");
  CHECK(ipv6_of(t.data[IFLA_IPTUN_REMOTE]) == "2001:db8:1::a");
  REQUIRE(t.data[IFLA_IPTUN_FLAGS] != nullptr);
  CHECK((nla_get_u32(t.data[IFLA_IPTUN_FLAGS]) & IP6_TNL_F_IGN_ENCAP_LIMIT) != 0);
  REQUIRE(t.data[IFLA_IPTUN_TTL] != nullptr);
  CHECK(nla_get_u8(t.data[IFLA_IPTUN_TTL]) == 64);
}

TEST_CASE("ip6tnl create with an encapsulation limit carries it and not the ignore flag", "[client][netlink]") {
  FakeChannel ch;
  nl::Ip6TnlSpec spec{"dstm0", kLocal, kTep6, 1400, std::uint8_t{4}};
  REQUIRE(ch.request(nl::build_ip6tnl_add(spec)) == 0);
  ifinfomsg* info = nullptr;
  auto a = link_attrs(ch.requests.at(0), info);
  CHECK(nla_get_u32(a[IFLA_MTU]) == 1400);
  auto t = tunnel_attrs(a[IFLA_LINKINFO]);
  REQUIRE(t.data[IFLA_IPTUN_ENCAP_LIMIT] != nullptr);
  CHECK(nla_get_u8(t.data[IFLA_IPTUN_ENCAP_LIMIT]) == 4);
  if (t.data[IFLA_IPTUN_FLAGS] != nullptr) {
    CHECK((nla_get_u32(t.data[IFLA_IPTUN_FLAGS]) & IP6_TNL_F_IGN_ENCAP_LIMIT) == 0);
  }
}

TEST_CASE("address /32 and route requests", "[client][netlink]") {
  FakeChannel ch;
  REQUIRE(ch.request(nl::build_address(true, 7, kLeased)) == 0);
  REQUIRE(ch.request(nl::build_route(true, 7, *net::Ipv4Prefix::parse("198.51.100.0/24"), kLeased)) == 0);
  REQUIRE(ch.request(nl::build_route(false, 7, *net::Ipv4Prefix::parse("0.0.0.0/0"), kLeased)) == 0);
  REQUIRE(ch.request(nl::build_address(false, 7, kLeased)) == 0);

  Request& addr = ch.requests[0];
  CHECK(addr.type == RTM_NEWADDR);
  CHECK((addr.flags & NLM_F_CREATE) != 0);
  auto* ifa = static_cast<ifaddrmsg*>(nlmsg_data(addr.header()));
  CHECK(ifa->ifa_family == AF_INET);
  CHECK(ifa->ifa_prefixlen == 32);
  CHECK(ifa->ifa_index == 7);
  Attrs<IFA_MAX> aa;
  REQUIRE(nlmsg_parse(addr.header(), sizeof(ifaddrmsg), aa.tb.data(), IFA_MAX, nullptr) == 0);
  CHECK(ipv4_of(aa[IFA_LOCAL]) == "192.0.2.2");

  Request& route = ch.requests[1];
  CHECK(route.type == RTM_NEWROUTE);
  CHECK((route.flags & NLM_F_CREATE) != 0);
  auto* rtm = static_cast<rtmsg*>(nlmsg_data(route.header()));
  CHECK(rtm->rtm_family == AF_INET);
  CHECK(rtm->rtm_dst_len == 24);
  CHECK(rtm->rtm_table == RT_TABLE_MAIN);
  CHECK(rtm->rtm_scope == RT_SCOPE_LINK);
  CHECK(rtm->rtm_type == RTN_UNICAST);
  Attrs<RTA_MAX> ra;
  REQUIRE(nlmsg_parse(route.header(), sizeof(rtmsg), ra.tb.data(), RTA_MAX, nullptr) == 0);
  CHECK(ipv4_of(ra[RTA_DST]) == "198.51.100.0");
  CHECK(ipv4_of(ra[RTA_PREFSRC]) == "192.0.2.2");
  REQUIRE(ra[RTA_OIF] != nullptr);
  CHECK(nla_get_u32(ra[RTA_OIF]) == 7);

  Request& del_route = ch.requests[2];
  CHECK(del_route.type == RTM_DELROUTE);
  CHECK(static_cast<rtmsg*>(nlmsg_data(del_route.header()))->rtm_dst_len == 0);
  CHECK(ch.requests[3].type == RTM_DELADDR);
}

TEST_CASE("kernel DTI: up creates link, address, routes; down removes them newest first", "[client][netlink]") {
  FakeChannel ch;
  auto s = settings();
  s.routes.push_back(*net::Ipv4Prefix::parse("203.0.113.0/24"));
  KernelDti dti(ch, s);
  REQUIRE(dti.up(lease()));
  CHECK(dti.is_up());
  std::vector<std::uint16_t> types;
  for (auto& r : ch.requests) types.push_back(r.type);
  CHECK(types == std::vector<std::uint16_t>{RTM_NEWLINK, RTM_NEWADDR, RTM_NEWROUTE, RTM_NEWROUTE});
  ch.requests.clear();
  CHECK_FALSE(dti.down());
  types.clear();
  for (auto& r : ch.requests) types.push_back(r.type);
  CHECK(types == std::vector<std::uint16_t>{RTM_DELROUTE, RTM_DELROUTE, RTM_DELADDR, RTM_DELLINK});
  auto* ifi = static_cast<ifinfomsg*>(nlmsg_data(ch.requests.back().header()));
  CHECK(ifi->ifi_index == 7);
  CHECK(ch.links.empty());
  ch.requests.clear();
  CHECK_FALSE(dti.down());  // idempotent: nothing left to remove
  CHECK(ch.requests.empty());
}

TEST_CASE("kernel DTI: a failure half way removes what was added", "[client][netlink]") {
  FakeChannel ch;
  ch.fail_at = 2;  // the route
  ch.fail_errno = -EEXIST;
  KernelDti dti(ch, settings());
  auto r = dti.up(lease());
  REQUIRE_FALSE(r);
  CHECK_FALSE(r.error().unsupported);
  CHECK(r.error().text.find("already has a route") != std::string::npos);
  CHECK_FALSE(dti.is_up());
  std::vector<std::uint16_t> types;
  for (auto& req : ch.requests) types.push_back(req.type);
  CHECK(types == std::vector<std::uint16_t>{RTM_NEWLINK, RTM_NEWADDR, RTM_NEWROUTE, RTM_DELADDR, RTM_DELLINK});
  CHECK(ch.links.empty());
}

TEST_CASE("kernel DTI: EOPNOTSUPP on create means no ip6tnl (auto falls back)", "[client][netlink]") {
  FakeChannel ch;
  ch.fail_at = 0;
  ch.fail_errno = -EOPNOTSUPP;
  KernelDti dti(ch, settings());
  auto r = dti.up(lease());
  REQUIRE_FALSE(r);
  CHECK(r.error().unsupported);
  CHECK(ch.requests.size() == 1);
  ch.requests.clear();
  ch.fail_at = 0;
  ch.fail_errno = -EEXIST;
  KernelDti other(ch, settings());
  auto e = other.up(lease());
  REQUIRE_FALSE(e);
  CHECK_FALSE(e.error().unsupported);
  CHECK(e.error().text.find("already exists") != std::string::npos);
}
