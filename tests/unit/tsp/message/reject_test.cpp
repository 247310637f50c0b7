// Every way parse_tunnel refuses a message, and the status it maps to (tunnel_xml.h).
#include <catch2/catch.hpp>

#include "examples.h"
#include "tsp/message/tunnel_xml.h"

namespace dstm::tsp {
namespace {

using namespace examples;

Status rejection(std::string_view xml, const XmlLimits& limits = {}) {
  const auto parsed = parse_tunnel(xml, limits);
  if (parsed) {
    FAIL_CHECK("accepted: " << describe(*parsed));
    return Status::kSuccess;  // never an expected rejection, so the caller's CHECK fails too
  }
  const std::string& detail = parsed.error().detail;
  INFO("detail: " << detail);
  CHECK(!detail.empty());
  // The detail goes to logs: it must stay on one line whatever the peer sent.
  for (char c : detail) CHECK(static_cast<unsigned char>(c) >= 0x20);
  return parsed.error().status;
}

// The v4v6 create with one piece replaced, so each case differs from a valid message by the
// thing under test only.
std::string v4v6_with(std::string_view from, std::string_view to) {
  std::string xml = kV4V6Create;
  const auto at = xml.find(from);
  REQUIRE(at != std::string::npos);
  return xml.replace(at, from.size(), to);
}

TEST_CASE("DOCTYPE is refused in any case and position", "[xml]") {
  CHECK(rejection("<!DOCTYPE tunnel>\r\n" + kAccept) == Status::kInvalidRequest);
  CHECK(rejection("<!doctype tunnel>" + kAccept) == Status::kInvalidRequest);
  CHECK(rejection("<?xml version=\"1.0\"?><!DocType tunnel SYSTEM \"file:///etc/passwd\">" +
                  kAccept) == Status::kInvalidRequest);
  CHECK(rejection(kAccept + "<!DOCTYPE x>") == Status::kInvalidRequest);
}

TEST_CASE("a billion-laughs payload is refused before expansion", "[xml]") {
  std::string xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n";
  for (int i = 1; i <= 9; ++i) {
    xml += " <!ENTITY lol" + std::to_string(i) + " \"";
    const std::string previous = i == 1 ? "lol" : "lol" + std::to_string(i - 1);
    for (int j = 0; j < 10; ++j) xml += "&" + previous + ";";
    xml += "\">\n";
  }
  xml +=
      "]>\n<tunnel action=\"info\"><client><address type=\"dn\">&lol9;</address></client>"
      "</tunnel>";
  CHECK(rejection(xml) == Status::kInvalidRequest);
}

TEST_CASE("size is checked before parsing", "[xml]") {
  const XmlLimits limits = limits_with(&XmlLimits::max_bytes, kV4V6Create.size());
  CHECK(parse_tunnel(kV4V6Create, limits));
  CHECK(rejection(kV4V6Create + " ", limits) == Status::kInvalidRequest);
  CHECK(rejection(kV4V6Create + std::string(16384, ' ')) == Status::kInvalidRequest);
}

std::string nested(std::size_t depth) {  // <tunnel> plus depth - 1 nested unknown elements
  std::string xml = "<tunnel action=\"info\">";
  for (std::size_t i = 1; i < depth; ++i) xml += "<x>";
  for (std::size_t i = 1; i < depth; ++i) xml += "</x>";
  return xml + "</tunnel>";
}

TEST_CASE("element depth is bounded", "[xml]") {
  CHECK(parse_tunnel(nested(8)));
  CHECK(rejection(nested(9)) == Status::kInvalidRequest);
  CHECK(rejection(nested(5000)) == Status::kInvalidRequest);
  CHECK(rejection(nested(3), limits_with(&XmlLimits::max_depth, 2)) == Status::kInvalidRequest);
}

std::string with_children(std::size_t count) {  // 1 + count nodes
  std::string xml = "<tunnel action=\"info\">";
  for (std::size_t i = 0; i < count; ++i) xml += "<x/>";
  return xml + "</tunnel>";
}

TEST_CASE("node count is bounded", "[xml]") {
  CHECK(parse_tunnel(with_children(255)));
  CHECK(rejection(with_children(256)) == Status::kInvalidRequest);
  // Text nodes count too: <address> with text is two nodes.
  CHECK(parse_tunnel(kAccept, limits_with(&XmlLimits::max_nodes, 1)));
  CHECK(rejection(kV4V6Create, limits_with(&XmlLimits::max_nodes, 6)) == Status::kInvalidRequest);
  CHECK(parse_tunnel(kV4V6Create, limits_with(&XmlLimits::max_nodes, 7)));
}

TEST_CASE("the root must be one <tunnel>", "[xml]") {
  CHECK(rejection("") == Status::kInvalidRequest);
  CHECK(rejection(" \r\n") == Status::kInvalidRequest);
  CHECK(rejection("<!-- nothing -->") == Status::kInvalidRequest);
  CHECK(rejection("<tunnels action=\"info\"></tunnels>") == Status::kInvalidRequest);
  CHECK(rejection("<Tunnel action=\"info\"></Tunnel>") == Status::kInvalidRequest);
  CHECK(rejection(kAccept + kAccept) == Status::kInvalidRequest);
  CHECK(rejection(kAccept + "<x/>") == Status::kInvalidRequest);
  CHECK(rejection("junk" + kAccept) == Status::kInvalidRequest);
  CHECK(rejection(kAccept + "junk") == Status::kInvalidRequest);
  CHECK(rejection(kAccept + "<![CDATA[x]]>") == Status::kInvalidRequest);
  CHECK(rejection(kAccept + "<?xml version=\"1.0\"?>") == Status::kInvalidRequest);
}

TEST_CASE("action must be present and known", "[xml]") {
  CHECK(rejection("<tunnel></tunnel>") == Status::kInvalidRequest);
  CHECK(rejection("<tunnel type=\"v4v6\"></tunnel>") == Status::kInvalidRequest);
  CHECK(rejection("<tunnel action=\"\"></tunnel>") == Status::kInvalidRequest);
  CHECK(rejection("<tunnel action=\"destroy\"></tunnel>") == Status::kInvalidRequest);
  CHECK(rejection("<tunnel action=\"create\" action=\"delete\"></tunnel>") ==
        Status::kInvalidRequest);
  // action errors win over type errors: the request is invalid before its type matters.
  CHECK(rejection("<tunnel type=\"v9v9\"></tunnel>") == Status::kInvalidRequest);
}

TEST_CASE("an unknown tunnel type is 303", "[xml]") {
  CHECK(rejection(v4v6_with("v4v6", "v6v6")) == Status::kUnsupportedTunnelType);
  CHECK(rejection(v4v6_with("v4v6", "")) == Status::kUnsupportedTunnelType);
  CHECK(rejection(v4v6_with("v4v6", "v4v6 v6v4")) == Status::kUnsupportedTunnelType);
}

TEST_CASE("numbers must be decimal and in range", "[xml]") {
  const char* bad[] = {"abc", "-1", "+30", "4294967296", "99999999999999999999999", "1e3", "30s",
                       "",    " ",  "3 0", "0x1e"};
  for (const char* value : bad) {
    INFO("value: " << value);
    const std::string v = value;
    CHECK(rejection(v4v6_with("interval=\"30\"", "interval=\"" + v + "\"")) ==
          Status::kInvalidRequest);
    CHECK(rejection("<tunnel action=\"info\" lifetime=\"" + v + "\"></tunnel>") ==
          Status::kInvalidRequest);
    CHECK(rejection("<tunnel action=\"info\" mtu=\"" + v + "\"></tunnel>") ==
          Status::kInvalidRequest);
    CHECK(rejection("<tunnel action=\"create\"><client><router><prefix length=\"" + v +
                    "\"/></router></client></tunnel>") == Status::kInvalidRequest);
  }
  CHECK(rejection("<tunnel action=\"create\"><client><router><prefix length=\"129\"/></router>"
                  "</client></tunnel>") == Status::kInvalidRequest);
}

TEST_CASE("required numbers must be present", "[xml]") {
  CHECK(rejection(v4v6_with(" interval=\"30\"", "")) == Status::kInvalidRequest);
  CHECK(rejection("<tunnel action=\"create\"><client><router><prefix/></router></client>"
                  "</tunnel>") == Status::kMissingPrefixLen);
}

TEST_CASE("address type must be present and known; proxy must be yes or no", "[xml]") {
  CHECK(rejection(v4v6_with("type=\"ipv6\"", "type=\"ipv5\"")) == Status::kInvalidRequest);
  CHECK(rejection(v4v6_with(" type=\"ipv6\"", "")) == Status::kInvalidRequest);
  CHECK(rejection(v4v6_with("type=\"ipv4\"", "type=\"inet\"")) == Status::kInvalidRequest);
  CHECK(rejection(v4v6_with("proxy=\"no\"", "proxy=\"maybe\"")) == Status::kInvalidRequest);
  CHECK(rejection(v4v6_with("proxy=\"no\"", "proxy=\"\"")) == Status::kInvalidRequest);
  CHECK(rejection(v4v6_with("proxy=\"no\"", "proxy=\"no\" replace=\"1\"")) == Status::kInvalidRequest);
}

TEST_CASE("singleton elements may not repeat", "[xml]") {
  CHECK(rejection(v4v6_with(" </client>\r\n", " </client>\r\n <client></client>\r\n")) ==
        Status::kInvalidRequest);
  CHECK(rejection(v4v6_with("  </keepalive>\r\n",
                            "  </keepalive>\r\n  <keepalive "
                            "interval=\"5\"></keepalive>\r\n")) == Status::kInvalidRequest);
  CHECK(rejection(v4v6_with("  </keepalive>\r\n",
                            "  <address type=\"ipv4\">10.0.0.1</address>"
                            "\r\n  </keepalive>\r\n")) == Status::kInvalidRequest);
  CHECK(rejection(v4v6_with(" </client>", "  <router></router><router></router>\r\n </client>")) ==
        Status::kInvalidRequest);
  CHECK(rejection(v4v6_with(" </client>",
                            "  <router><prefix length=\"24\"/><prefix length=\"8\"/>"
                            "</router>\r\n </client>")) == Status::kInvalidRequest);
}

TEST_CASE("truncated messages are refused at every cut", "[xml]") {
  for (const std::string* xml : {&kV6V4Create, &kRouterCreate, &kV4V6Answer, &kAccept}) {
    const std::size_t complete = xml->rfind("</tunnel>") + 9;
    for (std::size_t cut = 0; cut < complete; ++cut) {
      INFO("cut at " << cut);
      CHECK(!parse_tunnel(std::string_view(*xml).substr(0, cut)));
    }
    CHECK(parse_tunnel(std::string_view(*xml).substr(0, complete)));
  }
}

TEST_CASE("NUL bytes and control characters are refused", "[xml]") {
  using namespace std::string_literals;
  CHECK(rejection(v4v6_with("::1", "::1\0evil"s)) == Status::kInvalidRequest);
  CHECK(rejection(kAccept + "\0<x>"s) == Status::kInvalidRequest);
  CHECK(rejection("\0"s + kAccept) == Status::kInvalidRequest);
  CHECK(rejection(v4v6_with("::1",
                            "::\x01"
                            "1")) == Status::kInvalidRequest);
  CHECK(rejection(v4v6_with("::1", "\x1b[31m::1")) == Status::kInvalidRequest);
  CHECK(rejection(v4v6_with("::1",
                            "::\x7f"
                            "1")) == Status::kInvalidRequest);
  CHECK(rejection(v4v6_with("::1", ":: 1\t2")) == Status::kInvalidRequest);
  CHECK(rejection(v4v6_with("::1", "::\r\n1")) == Status::kInvalidRequest);
  CHECK(rejection(v4v6_with("proxy=\"no\"", "proxy=\"no\x7f\"")) == Status::kInvalidRequest);
  // Character references: "&#0;" would otherwise cut the value short inside pugixml.
  CHECK(rejection(v4v6_with("::1", "::1&#0;evil")) == Status::kInvalidRequest);
  CHECK(rejection(v4v6_with("::1", "&#58;:1")) == Status::kInvalidRequest);
  CHECK(rejection(v4v6_with("::1", "&#x3a;:1")) == Status::kInvalidRequest);
}

TEST_CASE("malformed XML is refused", "[xml]") {
  CHECK(rejection("<tunnel action=\"info\">") == Status::kInvalidRequest);
  CHECK(rejection("<tunnel action='info' </tunnel>") == Status::kInvalidRequest);
  CHECK(rejection("<tunnel action=\"info\"></tunnel2>") == Status::kInvalidRequest);
  CHECK(rejection("<tunnel action=info></tunnel>") == Status::kInvalidRequest);
  CHECK(rejection("<tunnel action=\"info\"><client></tunnel></client>") == Status::kInvalidRequest);
  CHECK(rejection("<tunnel action=\"info\"><!-- open comment </tunnel>") ==
        Status::kInvalidRequest);
}

}  // namespace
}  // namespace dstm::tsp
