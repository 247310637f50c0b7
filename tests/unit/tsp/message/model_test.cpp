// The model's names, lookups and log summary (tunnel.h).
#include <catch2/catch.hpp>

#include "examples.h"
#include "tsp/message/tunnel.h"

namespace dstm::tsp {
namespace {

using namespace examples;

TEST_CASE("enum names round-trip and parse case-insensitively", "[xml]") {
  for (auto a : {TunnelAction::kCreate, TunnelAction::kInfo, TunnelAction::kAccept,
                 TunnelAction::kDelete, TunnelAction::kReject}) {
    CHECK(parse_action(xml_name(a)) == a);
  }
  for (auto t :
       {TunnelType::kV6V4, TunnelType::kV6UdpV4, TunnelType::kV6AnyV4, TunnelType::kV4V6}) {
    CHECK(parse_tunnel_type(xml_name(t)) == t);
  }
  for (auto t : {AddressType::kIpv4, AddressType::kIpv6, AddressType::kDn}) {
    CHECK(parse_address_type(xml_name(t)) == t);
  }
  CHECK(xml_name(TunnelAction::kAccept) == "accept");
  CHECK(xml_name(TunnelType::kV6UdpV4) == "v6udpv4");
  CHECK(xml_name(AddressType::kDn) == "dn");
  CHECK(parse_action("ReJeCt") == TunnelAction::kReject);
  CHECK(parse_tunnel_type("V6ANYV4") == TunnelType::kV6AnyV4);
  CHECK(parse_address_type("IPV4") == AddressType::kIpv4);
  CHECK(!parse_action("creat"));
  CHECK(!parse_action("create "));
  CHECK(!parse_tunnel_type("v6v4x"));
  CHECK(!parse_tunnel_type(""));
  CHECK(!parse_address_type("ipv"));
}

TEST_CASE("capability names are the upper-case CAPABILITY tokens", "[xml]") {
  // tsp-digest.md §2.2: gogoc compares TUNNEL=V6V4 etc. case-sensitively; no V6ANYV4 exists.
  CHECK(capability_name(TunnelType::kV6V4) == "V6V4");
  CHECK(capability_name(TunnelType::kV6UdpV4) == "V6UDPV4");
  CHECK(capability_name(TunnelType::kV4V6) == "V4V6");
  CHECK(capability_name(TunnelType::kV6AnyV4).empty());
}

TEST_CASE("Endpoint::find and all pick addresses by type in order", "[xml]") {
  const Endpoint e = endpoint({v6("fe80::1"), v4("192.0.2.2"), v6("2001:db8::2")});
  REQUIRE(e.find(AddressType::kIpv6) != nullptr);
  CHECK(e.find(AddressType::kIpv6)->value == "fe80::1");
  CHECK(e.find(AddressType::kIpv4)->value == "192.0.2.2");
  CHECK(e.find(AddressType::kDn) == nullptr);
  const auto v6s = e.all(AddressType::kIpv6);
  REQUIRE(v6s.size() == 2);
  CHECK(v6s[0] == &e.addresses[0]);
  CHECK(v6s[1] == &e.addresses[2]);
  CHECK(e.all(AddressType::kDn).empty());
}

TEST_CASE("describe gives one readable line", "[xml]") {
  CHECK(describe(v4v6_create()) ==
        "create type=v4v6 proxy=no client{ ipv6=::1 keepalive=30/ipv4=127.0.0.1 }");
  CHECK(describe(v4v6_answer()) ==
        "info type=v4v6 lifetime=1440 server{ ipv4=192.0.2.1 ipv6=::1 }"
        " client{ ipv4=192.0.2.2 ipv6=::1 dns{ ipv6=::1 } keepalive=30/ipv4=192.0.2.1 }");
  const std::string router = describe(router_create());
  CHECK(router.find("router{ prefix=/64 dns{ dn=ns1.example.net dn=ns2.example.net } }") !=
        std::string::npos);

  TunnelMessage hostile;
  hostile.action = TunnelAction::kInfo;
  hostile.mtu = 1280;
  hostile.brokers = {dn("evil\r\nFAKE LOG LINE")};
  const std::string line = describe(hostile);
  CHECK(line == "info mtu=1280 brokers{ dn=evil??FAKE LOG LINE }");
  CHECK(line.find('\n') == std::string::npos);
}

}  // namespace
}  // namespace dstm::tsp
