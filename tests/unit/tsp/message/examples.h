// The <tunnel> messages of tsp-digest.md, as exact bytes and as models. Shared by the
// serialize and parse tests. Texts are written with "\n" and turned into CRLF by crlf(),
// because every gogoc line ends in CRLF (tsp-digest.md §2).
#pragma once

#include <string>
#include <string_view>

#include "tsp/message/tunnel.h"
#include "tsp/message/tunnel_xml.h"

namespace dstm::tsp::examples {

inline std::string crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

inline Address v4(std::string value) {
  return {AddressType::kIpv4, std::move(value)};
}
inline Address v6(std::string value) {
  return {AddressType::kIpv6, std::move(value)};
}
inline Address dn(std::string value) {
  return {AddressType::kDn, std::move(value)};
}

// Builders that name every field, so -Wmissing-field-initializers stays quiet (GCC 12 warns on
// partial designated initializers too).
inline Endpoint endpoint(std::vector<Address> addresses, std::vector<Address> dns_servers = {},
                         std::optional<Router> router = {},
                         std::optional<Keepalive> keepalive = {}) {
  return Endpoint{std::move(addresses), std::move(dns_servers), std::move(router),
                  std::move(keepalive)};
}
inline Router router(std::optional<Prefix> prefix, std::vector<Address> dns_servers = {}) {
  return Router{std::nullopt, std::move(prefix), std::move(dns_servers), std::nullopt};
}
inline XmlLimits limits_with(std::size_t XmlLimits::*field, std::size_t value) {
  XmlLimits limits;
  limits.*field = value;
  return limits;
}

inline TunnelMessage create(TunnelType type, Endpoint client) {
  TunnelMessage m;
  m.action = TunnelAction::kCreate;
  m.type = type;
  m.proxy = false;
  m.client = std::move(client);
  return m;
}

inline TunnelMessage info(TunnelType type, std::uint32_t lifetime, Endpoint server,
                          Endpoint client) {
  TunnelMessage m;
  m.action = TunnelAction::kInfo;
  m.type = type;
  m.lifetime = lifetime;
  m.server = std::move(server);
  m.client = std::move(client);
  return m;
}

// §2: gogoc v6v4 host request, Content-length 211.
inline const std::string kV6V4Create = crlf(R"(<tunnel action="create" type="v6v4" proxy="no">
 <client>
  <address type="ipv4">127.0.0.1</address>
  <keepalive interval="30">
    <address type="ipv6">::</address>
  </keepalive>
 </client>
</tunnel>
)");
inline TunnelMessage v6v4_create() {
  return create(TunnelType::kV6V4, endpoint({v4("127.0.0.1")}, {}, {}, Keepalive{30, v6("::")}));
}

// §2: the answer gogoc accepted; Content-length 469 with the "200 Success\r\n" line.
inline const std::string kV6V4Answer = crlf(R"(<tunnel action="info" type="v6v4" lifetime="604800">
 <server>
  <address type="ipv4">127.0.0.1</address>
  <address type="ipv6">2001:db8::1</address>
 </server>
 <client>
  <address type="ipv4">127.0.0.1</address>
  <address type="ipv6">2001:db8::2</address>
  <dns_server>
   <address type="ipv6">2001:db8::53</address>
  </dns_server>
  <keepalive interval="30">
   <address type="ipv6">::1</address>
  </keepalive>
 </client>
</tunnel>
)");
inline TunnelMessage v6v4_answer() {
  return info(TunnelType::kV6V4, 604800, endpoint({v4("127.0.0.1"), v6("2001:db8::1")}),
              endpoint({v4("127.0.0.1"), v6("2001:db8::2")}, {v6("2001:db8::53")}, {},
                       Keepalive{30, v6("::1")}));
}

// §2.4: 35 bytes, identical in gogoc, jipv6 and tsp-ruby.
inline const std::string kAccept = "<tunnel action=\"accept\"></tunnel>\r\n";

// §3.4: gogoc v6udpv4 request, Content-length 214.
inline const std::string kV6UdpV4Create = crlf(R"(<tunnel action="create" type="v6udpv4" proxy="no">
 <client>
  <address type="ipv4">127.0.0.1</address>
  <keepalive interval="30">
    <address type="ipv6">::</address>
  </keepalive>
 </client>
</tunnel>
)");
inline TunnelMessage v6udpv4_create() {
  return create(TunnelType::kV6UdpV4, endpoint({v4("127.0.0.1")}, {}, {}, Keepalive{30, v6("::")}));
}

// §3.4: gogoc router request with reverse-DNS servers, Content-length 399 (odd 4/5 indents).
inline const std::string kRouterCreate = crlf(R"(<tunnel action="create" type="v6v4" proxy="no">
 <client>
  <address type="ipv4">127.0.0.1</address>
  <keepalive interval="30">
    <address type="ipv6">::</address>
  </keepalive>
  <router>
   <prefix length="64"/>
   <dns_server>
     <address type="dn">ns1.example.net</address>
     <address type="dn">ns2.example.net</address>
   </dns_server>
  </router>
 </client>
</tunnel>
)");
inline TunnelMessage router_create() {
  return create(TunnelType::kV6V4,
                endpoint({v4("127.0.0.1")}, {},
                         router(Prefix{64, ""}, {dn("ns1.example.net"), dn("ns2.example.net")}),
                         Keepalive{30, v6("::")}));
}

// §3.4: gogoc v4v6 (DSTM) request over IPv6, Content-length 212.
inline const std::string kV4V6Create = crlf(R"(<tunnel action="create" type="v4v6" proxy="no">
 <client>
  <address type="ipv6">::1</address>
  <keepalive interval="30">
    <address type="ipv4">127.0.0.1</address>
  </keepalive>
 </client>
</tunnel>
)");
inline TunnelMessage v4v6_create() {
  return create(TunnelType::kV4V6, endpoint({v6("::1")}, {}, {}, Keepalive{30, v4("127.0.0.1")}));
}

// §3.4: the v4v6 router variant (prefixlen=24), Content-length 263.
inline const std::string kV4V6RouterCreate = crlf(R"(<tunnel action="create" type="v4v6" proxy="no">
 <client>
  <address type="ipv6">::1</address>
  <keepalive interval="30">
    <address type="ipv4">127.0.0.1</address>
  </keepalive>
  <router>
   <prefix length="24"/>
  </router>
 </client>
</tunnel>
)");
inline TunnelMessage v4v6_router_create() {
  TunnelMessage m = v4v6_create();
  m.client->router = router(Prefix{24, ""});
  return m;
}

// §3.4: the v4v6 info answer gogoc accepted; Content-length 448 with the status line.
inline const std::string kV4V6Answer = crlf(R"(<tunnel action="info" type="v4v6" lifetime="1440">
 <server>
  <address type="ipv4">192.0.2.1</address>
  <address type="ipv6">::1</address>
 </server>
 <client>
  <address type="ipv4">192.0.2.2</address>
  <address type="ipv6">::1</address>
  <dns_server>
   <address type="ipv6">::1</address>
  </dns_server>
  <keepalive interval="30">
   <address type="ipv4">192.0.2.1</address>
  </keepalive>
 </client>
</tunnel>
)");
inline TunnelMessage v4v6_answer() {
  return info(
      TunnelType::kV4V6, 1440, endpoint({v4("192.0.2.1"), v6("::1")}),
      endpoint({v4("192.0.2.2"), v6("::1")}, {v6("::1")}, {}, Keepalive{30, v4("192.0.2.1")}));
}

// §3.4: tsp-ruby's info (LF inside, "\r\n" packet footer) and delete.
inline const std::string kRubyInfo = "<tunnel action=\"info\" type=\"v6anyv4\">\n</tunnel>\r\n";
inline const std::string kRubyDelete = "<tunnel action=\"delete\"></tunnel>\r\n";

// §3.4: the real Freenet6 answer quoted by jipv6, on one line (its whitespace was lost).
inline const std::string kFreenet6Answer =
    R"(<tunnel action="info" type="v6udpv4" lifetime="604800"><server><address type="ipv4">81.171.72.11</address><address type="ipv6">2001:05c0:1400:000b:0000:0000:0000:1634</address></server><client><address type="ipv4">85.228.25.3</address><address type="ipv6">2001:05c0:1400:000b:0000:0000:0000:1635</address><address type="dn">Joakim.broker.freenet6.net</address><router><prefix length="56">2001:05c0:1501:e300:0000:0000:0000:0000</prefix></router><keepalive interval="30"><address type="ipv6">2001:05c0:1400:000b:0000:0000:0000:1634</address></keepalive></client></tunnel>)";
inline TunnelMessage freenet6_answer() {
  const std::string server_v6 = "2001:05c0:1400:000b:0000:0000:0000:1634";
  return info(TunnelType::kV6UdpV4, 604800, endpoint({v4("81.171.72.11"), v6(server_v6)}),
              endpoint({v4("85.228.25.3"), v6("2001:05c0:1400:000b:0000:0000:0000:1635"),
                        dn("Joakim.broker.freenet6.net")},
                       {}, router(Prefix{56, "2001:05c0:1501:e300:0000:0000:0000:0000"}),
                       Keepalive{30, v6(server_v6)}));
}

}  // namespace dstm::tsp::examples
