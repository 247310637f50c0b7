// serialize_tunnel writes the digest's bytes exactly (tsp-digest.md §2, §3.4): real clients
// parse with strstr and count characters, and peers check Content-length against our size.
#include <catch2/catch.hpp>

#include "examples.h"
#include "tsp/message/tunnel_xml.h"
#include "tsp/status.h"

namespace dstm::tsp {
namespace {

using namespace examples;

// What goes on the wire after the 8-byte RUDP header (tsp-digest.md §2.4).
std::string request_frame(const std::string& xml) {
  return "Content-length: " + std::to_string(xml.size()) + "\r\n" + xml;
}
std::string reply_frame(const std::string& xml) {
  const std::string body = status_line(Status::kSuccess) + xml;
  return "Content-length: " + std::to_string(body.size()) + "\r\n" + body;
}

TEST_CASE("client requests serialize to gogoc's exact bytes", "[xml]") {
  struct Case {
    const char* name;
    TunnelMessage message;
    const std::string& expected;
    std::size_t content_length;
  };
  const Case cases[] = {
      {"v6v4 create (§2)", v6v4_create(), kV6V4Create, 211},
      {"v6udpv4 create (§3.4)", v6udpv4_create(), kV6UdpV4Create, 214},
      {"router create with dns_server names (§3.4)", router_create(), kRouterCreate, 399},
      {"v4v6 create (§3.4)", v4v6_create(), kV4V6Create, 212},
      {"v4v6 router create (§3.4)", v4v6_router_create(), kV4V6RouterCreate, 263},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const std::string xml = serialize_tunnel(c.message, XmlStyle::kClientRequest);
    CHECK(xml == c.expected);
    CHECK(xml.size() == c.content_length);
  }
}

TEST_CASE("the observed v6v4 create frame is reproduced byte for byte", "[xml]") {
  // tsp-digest.md §2, the client's create payload as captured (Python repr decoded).
  const std::string observed =
      "Content-length: 211\r\n<tunnel action=\"create\" type=\"v6v4\" proxy=\"no\">\r\n"
      " <client>\r\n  <address type=\"ipv4\">127.0.0.1</address>\r\n"
      "  <keepalive interval=\"30\">\r\n    <address type=\"ipv6\">::</address>\r\n"
      "  </keepalive>\r\n </client>\r\n</tunnel>\r\n";
  CHECK(request_frame(serialize_tunnel(v6v4_create(), XmlStyle::kClientRequest)) == observed);
}

TEST_CASE("messages without children serialize on one line", "[xml]") {
  TunnelMessage accept;
  accept.action = TunnelAction::kAccept;
  const std::string xml = serialize_tunnel(accept, XmlStyle::kClientRequest);
  CHECK(xml == kAccept);
  CHECK(xml.size() == 35);
  CHECK(request_frame(xml) == "Content-length: 35\r\n<tunnel action=\"accept\"></tunnel>\r\n");

  TunnelMessage del;
  del.action = TunnelAction::kDelete;
  CHECK(serialize_tunnel(del, XmlStyle::kClientRequest) == kRubyDelete);

  // tsp-ruby writes "\n</tunnel>" on its own line; we write the one-line form, which every
  // parser in the digest reads the same way.
  TunnelMessage ruby_info;
  ruby_info.action = TunnelAction::kInfo;
  ruby_info.type = TunnelType::kV6AnyV4;
  CHECK(serialize_tunnel(ruby_info, XmlStyle::kClientRequest) ==
        "<tunnel action=\"info\" type=\"v6anyv4\"></tunnel>\r\n");
}

TEST_CASE("server replies serialize to the answers gogoc accepted", "[xml]") {
  const std::string v6v4 = serialize_tunnel(v6v4_answer(), XmlStyle::kServerReply);
  CHECK(v6v4 == kV6V4Answer);
  CHECK(status_line(Status::kSuccess).size() == 13);
  CHECK(status_line(Status::kSuccess).size() + v6v4.size() == 469);
  CHECK(reply_frame(v6v4).rfind("Content-length: 469\r\n200 Success\r\n<tunnel ", 0) == 0);

  const std::string v4v6 = serialize_tunnel(v4v6_answer(), XmlStyle::kServerReply);
  CHECK(v4v6 == kV4V6Answer);
  CHECK(status_line(Status::kSuccess).size() + v4v6.size() == 448);
}

TEST_CASE("reply with a delegated prefix writes the prefix verbatim", "[xml]") {
  // tsp-digest.md §3.4: "as the host answer plus <router><prefix length=..>EXPANDED</prefix>
  // </router> inside <client>"; our order is address, dns_server, router, keepalive.
  TunnelMessage m = v6v4_answer();
  m.client->router = router(Prefix{56, "2001:05c0:1501:e300:0000:0000:0000:0000"});
  const std::string xml = serialize_tunnel(m, XmlStyle::kServerReply);
  const std::string expected_router = crlf(
      "  </dns_server>\n"
      "  <router>\n"
      "   <prefix length=\"56\">2001:05c0:1501:e300:0000:0000:0000:0000</prefix>\n"
      "  </router>\n"
      "  <keepalive interval=\"30\">\n");
  CHECK(xml.find(expected_router) != std::string::npos);
}

TEST_CASE("attribute order follows gogoc in requests and the answers in replies", "[xml]") {
  TunnelMessage m;
  m.action = TunnelAction::kCreate;
  m.type = TunnelType::kV4V6;
  m.lifetime = 1440;
  m.proxy = true;
  m.mtu = 1280;
  CHECK(serialize_tunnel(m, XmlStyle::kClientRequest) ==
        "<tunnel action=\"create\" type=\"v4v6\" proxy=\"yes\" lifetime=\"1440\" mtu=\"1280\">"
        "</tunnel>\r\n");
  CHECK(serialize_tunnel(m, XmlStyle::kServerReply) ==
        "<tunnel action=\"create\" type=\"v4v6\" lifetime=\"1440\" proxy=\"yes\" mtu=\"1280\">"
        "</tunnel>\r\n");
}

TEST_CASE("broker lists, router protocol and AS serialize", "[xml]") {
  TunnelMessage m;
  m.action = TunnelAction::kInfo;
  m.client = endpoint({}, {}, Router{"bgp", std::nullopt, {}, As{"64512", "AS64512"}});
  m.brokers = {v4("192.0.2.7"), dn("broker2.example.net")};
  CHECK(serialize_tunnel(m, XmlStyle::kServerReply) == crlf(R"(<tunnel action="info">
 <client>
  <router protocol="bgp">
   <as number="64512">AS64512</as>
  </router>
 </client>
 <broker>
  <address type="ipv4">192.0.2.7</address>
  <address type="dn">broker2.example.net</address>
 </broker>
</tunnel>
)"));
}

TEST_CASE("text and attribute values are escaped", "[xml]") {
  TunnelMessage m;
  m.action = TunnelAction::kInfo;
  m.client = endpoint({dn("a&b<c>d\"e'f")}, {}, Router{"x\"&<>", std::nullopt, {}, std::nullopt});
  CHECK(serialize_tunnel(m, XmlStyle::kServerReply) == crlf(R"(<tunnel action="info">
 <client>
  <address type="dn">a&amp;b&lt;c&gt;d&quot;e'f</address>
  <router protocol="x&quot;&amp;&lt;&gt;"></router>
 </client>
</tunnel>
)"));
}

TEST_CASE("every serialization ends with </tunnel> CRLF and has no bare LF", "[xml]") {
  for (const TunnelMessage& m : {v6v4_create(), v6v4_answer(), router_create(), v4v6_answer()}) {
    for (XmlStyle style : {XmlStyle::kClientRequest, XmlStyle::kServerReply}) {
      const std::string xml = serialize_tunnel(m, style);
      CHECK(xml.size() >= 11);
      CHECK(xml.substr(xml.size() - 11) == "</tunnel>\r\n");
      for (std::size_t i = 0; i < xml.size(); ++i) {
        if (xml[i] == '\n') REQUIRE((i > 0 && xml[i - 1] == '\r'));
      }
      CHECK(xml.find('\'') == std::string::npos);  // double quotes only (§3.3)
      CHECK(xml.rfind("<tunnel ", 0) == 0);        // no prolog (§3.3)
    }
  }
}

}  // namespace
}  // namespace dstm::tsp
