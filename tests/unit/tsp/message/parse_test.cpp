// parse_tunnel reads every form real peers send (tsp-digest.md §2, §3.3, §3.4) into the model.
#include <catch2/catch.hpp>

#include "examples.h"
#include "tsp/message/tunnel_xml.h"

namespace dstm::tsp {
namespace {

using namespace examples;

TunnelMessage parse_ok(std::string_view xml) {
  auto parsed = parse_tunnel(xml);
  if (!parsed) FAIL("parse failed: " << parsed.error().detail);
  return std::move(parsed).value();
}

TEST_CASE("every digest example parses into its model", "[xml]") {
  struct Case {
    const char* name;
    const std::string& xml;
    TunnelMessage expected;
  };
  TunnelMessage accept;
  accept.action = TunnelAction::kAccept;
  TunnelMessage ruby_info;
  ruby_info.action = TunnelAction::kInfo;
  ruby_info.type = TunnelType::kV6AnyV4;
  TunnelMessage ruby_delete;
  ruby_delete.action = TunnelAction::kDelete;
  const Case cases[] = {
      {"v6v4 create", kV6V4Create, v6v4_create()},
      {"v6v4 answer", kV6V4Answer, v6v4_answer()},
      {"accept", kAccept, accept},
      {"v6udpv4 create", kV6UdpV4Create, v6udpv4_create()},
      {"router create", kRouterCreate, router_create()},
      {"v4v6 create", kV4V6Create, v4v6_create()},
      {"v4v6 router create", kV4V6RouterCreate, v4v6_router_create()},
      {"v4v6 answer", kV4V6Answer, v4v6_answer()},
      {"tsp-ruby info", kRubyInfo, ruby_info},
      {"tsp-ruby delete", kRubyDelete, ruby_delete},
      {"Freenet6 answer (jipv6)", kFreenet6Answer, freenet6_answer()},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    CHECK(parse_ok(c.xml) == c.expected);
  }
}

TEST_CASE("the Freenet6 answer's fields are where the DSTM code looks", "[xml]") {
  const TunnelMessage m = parse_ok(kFreenet6Answer);
  REQUIRE(m.client);
  CHECK(m.client->find(AddressType::kDn)->value == "Joakim.broker.freenet6.net");
  CHECK(m.client->router->prefix->length == 56);
  CHECK(m.client->keepalive->address->value == "2001:05c0:1400:000b:0000:0000:0000:1634");
}

TEST_CASE("jipv6's one-line request parses", "[xml]") {
  // tsp-digest.md §3.4: keepalive without an address, optional router with a bare prefix.
  const TunnelMessage m = parse_ok(
      "<tunnel action=\"create\" type=\"v6udpv4\"><client><address type=\"ipv4\">10.0.0.5"
      "</address><keepalive interval=\"30\"></keepalive><router><prefix length=\"64\"/>"
      "</router></client></tunnel>\r\n");
  TunnelMessage expected;
  expected.action = TunnelAction::kCreate;
  expected.type = TunnelType::kV6UdpV4;
  expected.client =
      endpoint({v4("10.0.0.5")}, {}, router(Prefix{64, ""}), Keepalive{30, std::nullopt});
  CHECK(m == expected);
}

TEST_CASE("draft-00 v4v6 create with link-local and global IPv6 parses", "[xml]") {
  // draft-blanchet-v6ops-tunnelbroker-tsp-00 §4.7.3 (tags lost in our copy; rebuilt around
  // its two address values). A server must take one or two IPv6 addresses (tsp-digest.md §7b).
  const TunnelMessage m = parse_ok(crlf(R"(<tunnel action="create" type="v4v6">
 <client>
  <address type="ipv6">fe80:0000:0000:0000:0000:0000:0000:0001</address>
  <address type="ipv6">3ffe:0b00:0c18:ffff:0000:0000:0000:0001</address>
 </client>
</tunnel>
)"));
  REQUIRE(m.client);
  const auto v6s = m.client->all(AddressType::kIpv6);
  REQUIRE(v6s.size() == 2);
  CHECK(v6s[0]->value == "fe80:0000:0000:0000:0000:0000:0000:0001");
  CHECK(v6s[1]->value == "3ffe:0b00:0c18:ffff:0000:0000:0000:0001");
  CHECK(m.client->find(AddressType::kIpv4) == nullptr);
  CHECK(!m.proxy);
}

TEST_CASE("a renewal create carrying the leased IPv4 parses", "[xml]") {
  // DESIGN.md flow 2: the node sends Tunnel Create with its IPv4 before the lifetime ends.
  std::string xml = kV4V6Create;
  xml.insert(xml.find("  <keepalive"), "  <address type=\"ipv4\">192.0.2.2</address>\r\n");
  const TunnelMessage m = parse_ok(xml);
  TunnelMessage expected = v4v6_create();
  expected.client->addresses.push_back(v4("192.0.2.2"));
  CHECK(m == expected);
}

TEST_CASE("broker lists parse, several <broker> elements are joined", "[xml]") {
  const TunnelMessage m = parse_ok(
      "<tunnel action=\"info\"><broker><address type=\"ipv4\">192.0.2.7</address>"
      "<address type=\"ipv6\">2001:db8::7</address></broker>"
      "<broker><address type=\"dn\">broker2.example.net</address></broker></tunnel>");
  CHECK(m.brokers ==
        std::vector<Address>{v4("192.0.2.7"), v6("2001:db8::7"), dn("broker2.example.net")});
}

TEST_CASE("tsps's tab-indented v6udpv4 answer parses", "[xml]") {
  // tsp-digest.md §3.4, tsps xml.c build_tunnel_offer, with values filled in.
  const TunnelMessage m = parse_ok(
      "<tunnel action=\"info\" type=\"v6udpv4\" lifetime=\"604800\">\r\n"
      "\t<server>\r\n\t\t<address type=\"ipv4\">192.0.2.1</address>\r\n"
      "\t\t<address type=\"ipv6\">2001:db8::1</address>\r\n\t</server>\r\n"
      "\t<client>\r\n\t\t<address type=\"ipv4\">192.0.2.2</address>\r\n"
      "\t\t<address type=\"ipv6\">2001:db8::2</address>\r\n"
      "\t\t<keepalive interval=\"30\">\r\n\t\t\t<address type=\"ipv6\">2001:db8::1</address>\r\n"
      "\t\t</keepalive>\r\n\t</client>\r\n</tunnel>\r\n");
  CHECK(m == info(TunnelType::kV6UdpV4, 604800, endpoint({v4("192.0.2.1"), v6("2001:db8::1")}),
                  endpoint({v4("192.0.2.2"), v6("2001:db8::2")}, {}, {},
                           Keepalive{30, v6("2001:db8::1")})));
}

TEST_CASE("enumerated values are case-insensitive, free text keeps its case", "[xml]") {
  const TunnelMessage m = parse_ok(
      "<tunnel action=\"CREATE\" type=\"V4V6\" proxy=\"No\"><client>"
      "<address type=\"IPv6\">FE80::1</address><router protocol=\"RIP\"></router>"
      "</client></tunnel>");
  CHECK(m.action == TunnelAction::kCreate);
  CHECK(m.type == TunnelType::kV4V6);
  CHECK(m.proxy == false);
  CHECK(m.client->addresses == std::vector<Address>{v6("FE80::1")});
  CHECK(m.client->router->protocol == "RIP");
}

TEST_CASE("unknown elements, attributes, comments and a prolog are ignored", "[xml]") {
  const TunnelMessage m = parse_ok(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- from a future client -->\n"
      "<tunnel action=\"create\" type=\"v4v6\" nonce=\"x\">\n<!-- c -->\n"
      "<extension><address type=\"ipv4\">10.9.9.9</address></extension>\n"
      "<client nat=\"yes\"><hint/><address type=\"ipv6\" scope=\"global\">::1</address>"
      "<keepalive interval=\"30\" jitter=\"5\"><address type=\"ipv4\">127.0.0.1</address>"
      "<extra/></keepalive></client></tunnel>\n");
  TunnelMessage expected = v4v6_create();
  expected.proxy.reset();
  CHECK(m == expected);
}

TEST_CASE("values are trimmed, entities decoded, CDATA and split text joined", "[xml]") {
  const TunnelMessage m = parse_ok(
      "<tunnel action=\" info \" lifetime=\" 1440 \"><client>"
      "<address type=\"ipv4\">\r\n   192.0.2.2 \t\r\n</address>"
      "<address type=\"dn\">a&amp;b&lt;c&gt;&quot;&apos;</address>"
      "<address type=\"dn\"><![CDATA[x<y]]>z</address>"
      "<address type=\"ipv6\">2001:<!-- split -->db8::1</address>"
      "<address type=\"ipv6\"></address></client></tunnel>");
  CHECK(m.action == TunnelAction::kInfo);
  CHECK(m.lifetime == 1440u);
  CHECK(m.client->addresses == std::vector<Address>{v4("192.0.2.2"), dn("a&b<c>\"'"), dn("x<yz"),
                                                    v6("2001:db8::1"), v6("")});
}

TEST_CASE("numbers accept leading zeros and the full uint32 range", "[xml]") {
  const TunnelMessage m = parse_ok(
      "<tunnel action=\"info\" lifetime=\"4294967295\" mtu=\"01280\"><client>"
      "<router><prefix length=\"128\"/></router><keepalive interval=\"0\"/></client></tunnel>");
  CHECK(m.lifetime == 4294967295u);
  CHECK(m.mtu == 1280u);
  CHECK(m.client->router->prefix->length == 128u);
  CHECK(m.client->keepalive->interval == 0u);
}

TEST_CASE("the deepest real message fits the default limits with room", "[xml]") {
  // tunnel/client/router/dns_server/address is depth 5 of 8.
  CHECK(parse_tunnel(kRouterCreate, limits_with(&XmlLimits::max_depth, 5)));
  CHECK(!parse_tunnel(kRouterCreate, limits_with(&XmlLimits::max_depth, 4)));
}

TEST_CASE("replace=yes|no (dstm server -> TEP extension) is read and written back", "[xml]") {
  const TunnelMessage m = parse_ok(
      "<tunnel action=\"create\" type=\"v4v6\" replace=\"YES\"><client>"
      "<address type=\"ipv4\">10.64.0.9</address><address type=\"ipv6\">2001:db8::9</address>"
      "</client></tunnel>");
  REQUIRE(m.replace.has_value());
  CHECK(*m.replace);
  const std::string xml = serialize_tunnel(m, XmlStyle::kClientRequest);
  CHECK(xml.find("replace=\"yes\"") != std::string::npos);
  CHECK(parse_ok(xml) == m);
  CHECK_FALSE(parse_ok("<tunnel action=\"create\" type=\"v4v6\"></tunnel>").replace.has_value());
}

}  // namespace
}  // namespace dstm::tsp
