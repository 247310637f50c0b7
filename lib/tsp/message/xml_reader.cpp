// Element readers for the <tunnel> tree. Element and attribute set: tsp-digest.md §3.1/§3.2.
// Unknown elements and attributes are skipped, as gogoc skips them (tsp-digest.md §3.3).
#include "tsp/message/xml_reader.h"

#include <charconv>
#include <limits>

#include "tsp/message/ascii.h"

namespace dstm::tsp {
namespace {

constexpr std::uint32_t kMaxNumber = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint32_t kMaxPrefixLength = 128;  // an IPv6 prefix; v4v6 asks for <= 32
constexpr std::size_t kMaxLoggedValue = 40;

bool is_xml_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
bool is_control(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte < 0x20 || byte == 0x7f;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_xml_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_xml_space(s.back())) s.remove_suffix(1);
  return s;
}

bool is_element(pugi::xml_node node, std::string_view name) {
  return node.type() == pugi::node_element && name == node.name();
}

}  // namespace

std::string printable(std::string_view value) {
  std::string out = "\"";
  for (char c : value.substr(0, kMaxLoggedValue)) out += is_control(c) ? '?' : c;
  if (value.size() > kMaxLoggedValue) out += "...";
  return out + "\"";
}

void XmlReader::fail(Status status, std::string detail) {
  if (!error_) error_ = ParseError{status, std::move(detail)};
}

// Values are trimmed (gogoc's CRLF-indented requests put no space inside values, but be lenient)
// and must hold no control character once trimmed: they end up in logs, configs and templates.
std::string XmlReader::checked_value(std::string_view raw, std::string_view where) {
  const std::string_view value = trim(raw);
  for (char c : value) {
    if (is_control(c)) {
      fail(Status::kInvalidRequest, "control character in " + std::string(where));
      return {};
    }
  }
  return std::string(value);
}

std::optional<std::string> XmlReader::attribute(pugi::xml_node node, std::string_view name) {
  std::optional<std::string> found;
  for (pugi::xml_attribute attr : node.attributes()) {
    if (name != attr.name()) continue;
    const std::string where = std::string(name) + " of <" + node.name() + ">";
    if (found) {
      fail(Status::kInvalidRequest, "repeated attribute " + where);
      return std::nullopt;
    }
    found = checked_value(attr.value(), where);
  }
  return found;
}

std::optional<std::uint32_t> XmlReader::number(pugi::xml_node node, std::string_view name,
                                               std::uint32_t max) {
  const std::optional<std::string> raw = attribute(node, name);
  if (!raw) return std::nullopt;
  std::uint64_t value = 0;
  const char* end = raw->data() + raw->size();
  const auto [stop, ec] = std::from_chars(raw->data(), end, value);
  // Digits only: from_chars takes no sign or space for unsigned types, and stops at the first
  // non-digit, so "30s" is caught by stop != end.
  if (raw->empty() || ec != std::errc{} || stop != end || value > max) {
    fail(Status::kInvalidRequest, std::string(name) + " of <" + node.name() + "> is not a number" +
                                      " in 0.." + std::to_string(max) + ": " + printable(*raw));
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(value);
}

// All text and CDATA children, joined: "<address>1.2<!--x-->.3.4</address>" is "1.2.3.4".
std::string XmlReader::text(pugi::xml_node node) {
  std::string joined;
  for (pugi::xml_node child : node.children()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
      joined += child.value();
    }
  }
  return checked_value(joined, std::string("text of <") + node.name() + ">");
}

TunnelMessage XmlReader::tunnel(pugi::xml_node node) {
  TunnelMessage message;
  tunnel_attributes(node, message);
  for (pugi::xml_node child : node.children()) {
    if (failed()) break;
    if (is_element(child, "server")) {
      set_once(message.server, endpoint(child), "server");
    } else if (is_element(child, "client")) {
      set_once(message.client, endpoint(child), "client");
    } else if (is_element(child, "broker")) {
      append_addresses(child, message.brokers);  // several <broker> lists are joined
    }
  }
  return message;
}

void XmlReader::tunnel_attributes(pugi::xml_node node, TunnelMessage& message) {
  if (const auto action = attribute(node, "action"); !action) {
    fail(Status::kInvalidRequest, "<tunnel> without action");
  } else if (const auto parsed = parse_action(*action)) {
    message.action = *parsed;
  } else {
    fail(Status::kInvalidRequest, "unknown action " + printable(*action));
  }
  if (const auto type = attribute(node, "type")) {
    message.type = parse_tunnel_type(*type);
    if (!message.type) {
      fail(Status::kUnsupportedTunnelType, "unknown tunnel type " + printable(*type));
    }
  }
  message.lifetime = number(node, "lifetime", kMaxNumber);
  message.proxy = yes_no(node, "proxy");
  message.mtu = number(node, "mtu", kMaxNumber);
  message.replace = yes_no(node, "replace");
}

std::optional<bool> XmlReader::yes_no(pugi::xml_node node, const char* name) {
  const std::optional<std::string> value = attribute(node, name);
  if (!value) return std::nullopt;
  if (equals_ignore_case(*value, "yes")) return true;
  if (equals_ignore_case(*value, "no")) return false;
  fail(Status::kInvalidRequest, std::string(name) + " is neither yes nor no: " + printable(*value));
  return std::nullopt;
}

Endpoint XmlReader::endpoint(pugi::xml_node node) {
  Endpoint endpoint;
  for (pugi::xml_node child : node.children()) {
    if (failed()) break;
    if (is_element(child, "address")) {
      endpoint.addresses.push_back(address(child));
    } else if (is_element(child, "dns_server")) {
      append_addresses(child, endpoint.dns_servers);
    } else if (is_element(child, "router")) {
      set_once(endpoint.router, router(child), "router");
    } else if (is_element(child, "keepalive")) {
      set_once(endpoint.keepalive, keepalive(child), "keepalive");
    }
  }
  return endpoint;
}

Address XmlReader::address(pugi::xml_node node) {
  Address result;
  if (const auto type = attribute(node, "type"); !type) {
    fail(Status::kInvalidRequest, "<address> without type");
  } else if (const auto parsed = parse_address_type(*type)) {
    result.type = *parsed;
  } else {
    fail(Status::kInvalidRequest, "unknown address type " + printable(*type));
  }
  result.value = text(node);
  return result;
}

// The <address> children of <dns_server>, <broker> (tsp-digest.md §3.2: "(address+)").
void XmlReader::append_addresses(pugi::xml_node node, std::vector<Address>& out) {
  for (pugi::xml_node child : node.children()) {
    if (failed()) return;
    if (is_element(child, "address")) out.push_back(address(child));
  }
}

Keepalive XmlReader::keepalive(pugi::xml_node node) {
  Keepalive result;
  if (const auto interval = number(node, "interval", kMaxNumber)) {
    result.interval = *interval;
  } else {
    fail(Status::kInvalidRequest, "<keepalive> without interval");
  }
  for (pugi::xml_node child : node.children()) {
    if (failed()) break;
    if (is_element(child, "address")) set_once(result.address, address(child), "address");
  }
  return result;
}

Router XmlReader::router(pugi::xml_node node) {
  Router result;
  result.protocol = attribute(node, "protocol");
  for (pugi::xml_node child : node.children()) {
    if (failed()) break;
    if (is_element(child, "prefix")) {
      set_once(result.prefix, prefix(child), "prefix");
    } else if (is_element(child, "dns_server")) {
      append_addresses(child, result.dns_servers);
    } else if (is_element(child, "as")) {
      set_once(result.as, as(child), "as");
    }
  }
  return result;
}

Prefix XmlReader::prefix(pugi::xml_node node) {
  Prefix result;
  if (const auto length = number(node, "length", kMaxPrefixLength)) {
    result.length = *length;
  } else {
    // Its own code in the TSP table (520, gogoc TSP_PROTOCOL_MISSING_PREFIX_LEN).
    fail(Status::kMissingPrefixLen, "<prefix> without length");
  }
  result.value = text(node);
  return result;
}

As XmlReader::as(pugi::xml_node node) {
  As result;
  result.number = attribute(node, "number");
  result.value = text(node);
  return result;
}

}  // namespace dstm::tsp
