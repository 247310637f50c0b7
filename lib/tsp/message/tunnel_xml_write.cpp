// serialize_tunnel: exact bytes. Real clients parse replies with strstr and count characters
// (tsp-digest.md §3.3), and the Content-length a peer checks is the byte length of this text
// (§2.4), so layout, attribute order and line ends are fixed here, not left to an XML library.
#include <utility>
#include <vector>

#include "tsp/message/tunnel_xml.h"

namespace dstm::tsp {
namespace {

constexpr std::string_view kLineEnd = "\r\n";

using Attributes = std::vector<std::pair<std::string_view, std::string>>;

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// "<name a=\"1\" b=\"2\"" — the caller closes it with ">", "/>" or "></name>".
std::string start_tag(std::string_view name, const Attributes& attributes) {
  std::string tag = "<" + std::string(name);
  for (const auto& [key, value] : attributes) {
    tag += ' ';
    tag += key;
    tag += "=\"" + escape(value) + '"';
  }
  return tag;
}

bool is_empty(const Endpoint& e) {
  return e.addresses.empty() && e.dns_servers.empty() && !e.router && !e.keepalive;
}
bool is_empty(const Router& r) {
  return !r.prefix && r.dns_servers.empty() && !r.as;
}
bool is_empty(const TunnelMessage& m) {
  return !m.server && !m.client && m.brokers.empty();
}

class Writer {
 public:
  explicit Writer(XmlStyle style) : request_(style == XmlStyle::kClientRequest) {}

  std::string tunnel(const TunnelMessage& message) {
    const std::string tag = start_tag("tunnel", tunnel_attributes(message));
    if (is_empty(message)) {
      empty(0, tag, "tunnel");  // "<tunnel action=\"accept\"></tunnel>\r\n" (§2.4: 35 bytes)
      return std::move(out_);
    }
    line(0, tag + ">");
    if (message.server) endpoint(1, "server", *message.server);
    if (message.client) endpoint(1, "client", *message.client);
    if (!message.brokers.empty()) address_list(1, "broker", {}, message.brokers, 1);
    line(0, "</tunnel>");
    return std::move(out_);
  }

 private:
  void line(std::size_t indent, std::string_view text) {
    out_.append(indent, ' ');
    out_ += text;
    out_ += kLineEnd;
  }
  void empty(std::size_t indent, const std::string& tag, std::string_view name) {
    line(indent, tag + "></" + std::string(name) + ">");
  }
  void leaf(std::size_t indent, const std::string& tag, std::string_view name,
            std::string_view text) {
    line(indent, tag + ">" + escape(text) + "</" + std::string(name) + ">");
  }

  // gogoc writes action, type, proxy (xml_req.c); answers put lifetime right after type.
  Attributes tunnel_attributes(const TunnelMessage& m) const {
    Attributes attributes{{"action", std::string(xml_name(m.action))}};
    if (m.type) attributes.emplace_back("type", xml_name(*m.type));
    const auto add_lifetime = [&] {
      if (m.lifetime) attributes.emplace_back("lifetime", std::to_string(*m.lifetime));
    };
    if (!request_) add_lifetime();
    if (m.proxy) attributes.emplace_back("proxy", *m.proxy ? "yes" : "no");
    if (request_) add_lifetime();
    if (m.mtu) attributes.emplace_back("mtu", std::to_string(*m.mtu));
    if (m.replace) attributes.emplace_back("replace", *m.replace ? "yes" : "no");
    return attributes;
  }

  // gogoc indents the addresses inside <keepalive> and <dns_server> two spaces past their
  // parent ("    <address type=\"ipv6\">::</address>", tsp-digest.md §3.4, 399-byte request);
  // the answers gogoc accepted use one space per level throughout (§2).
  std::size_t nested_step() const { return request_ ? 2 : 1; }

  void address(std::size_t indent, const Address& a) {
    leaf(indent, start_tag("address", {{"type", std::string(xml_name(a.type))}}), "address",
         a.value);
  }

  void address_list(std::size_t indent, std::string_view name, const Attributes& attributes,
                    const std::vector<Address>& addresses, std::size_t step) {
    const std::string tag = start_tag(name, attributes);
    if (addresses.empty()) return empty(indent, tag, name);
    line(indent, tag + ">");
    for (const Address& a : addresses) address(indent + step, a);
    line(indent, "</" + std::string(name) + ">");
  }

  // Requests: address, dns_server, keepalive, router (gogoc); answers: address, dns_server,
  // router, keepalive (tsp-digest.md §2, §3.4).
  void endpoint(std::size_t indent, std::string_view name, const Endpoint& e) {
    if (is_empty(e)) return empty(indent, start_tag(name, {}), name);
    line(indent, "<" + std::string(name) + ">");
    for (const Address& a : e.addresses) address(indent + 1, a);
    if (!e.dns_servers.empty()) {
      address_list(indent + 1, "dns_server", {}, e.dns_servers, nested_step());
    }
    if (e.keepalive && request_) keepalive(indent + 1, *e.keepalive);
    if (e.router) router(indent + 1, *e.router);
    if (e.keepalive && !request_) keepalive(indent + 1, *e.keepalive);
    line(indent, "</" + std::string(name) + ">");
  }

  void keepalive(std::size_t indent, const Keepalive& k) {
    std::vector<Address> target;
    if (k.address) target.push_back(*k.address);
    address_list(indent, "keepalive", {{"interval", std::to_string(k.interval)}}, target,
                 nested_step());
  }

  void router(std::size_t indent, const Router& r) {
    Attributes attributes;
    if (r.protocol) attributes.emplace_back("protocol", *r.protocol);
    const std::string tag = start_tag("router", attributes);
    if (is_empty(r)) return empty(indent, tag, "router");
    line(indent, tag + ">");
    if (r.prefix) prefix(indent + 1, *r.prefix);
    if (!r.dns_servers.empty()) {
      address_list(indent + 1, "dns_server", {}, r.dns_servers, nested_step());
    }
    if (r.as) {
      Attributes as_attributes;
      if (r.as->number) as_attributes.emplace_back("number", *r.as->number);
      leaf(indent + 1, start_tag("as", as_attributes), "as", r.as->value);
    }
    line(indent, "</router>");
  }

  // A request asks for a length only: "<prefix length=\"64\"/>" exactly as gogoc writes it.
  void prefix(std::size_t indent, const Prefix& p) {
    const std::string tag = start_tag("prefix", {{"length", std::to_string(p.length)}});
    if (p.value.empty()) return line(indent, tag + "/>");
    leaf(indent, tag, "prefix", p.value);
  }

  bool request_;
  std::string out_;
};

}  // namespace

std::string serialize_tunnel(const TunnelMessage& message, XmlStyle style) {
  return Writer(style).tunnel(message);
}

}  // namespace dstm::tsp
