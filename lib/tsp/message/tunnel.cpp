// Names of the tunnel model's enumerations and a log summary of a message.
#include "tsp/message/tunnel.h"

#include <array>
#include <utility>

#include "tsp/message/ascii.h"

namespace dstm::tsp {
namespace {

// enum value <-> XML attribute value; one table per enumeration.
template <class E, std::size_t N>
using NameTable = std::array<std::pair<E, std::string_view>, N>;

constexpr NameTable<TunnelAction, 5> kActionNames{{
    {TunnelAction::kCreate, "create"},
    {TunnelAction::kInfo, "info"},
    {TunnelAction::kAccept, "accept"},
    {TunnelAction::kDelete, "delete"},
    {TunnelAction::kReject, "reject"},
}};

constexpr NameTable<TunnelType, 4> kTypeNames{{
    {TunnelType::kV6V4, "v6v4"},
    {TunnelType::kV6UdpV4, "v6udpv4"},
    {TunnelType::kV6AnyV4, "v6anyv4"},
    {TunnelType::kV4V6, "v4v6"},
}};

constexpr NameTable<AddressType, 3> kAddressTypeNames{{
    {AddressType::kIpv4, "ipv4"},
    {AddressType::kIpv6, "ipv6"},
    {AddressType::kDn, "dn"},
}};

template <class E, std::size_t N>
std::string_view name_in(const NameTable<E, N>& table, E value) {
  for (const auto& [e, name] : table) {
    if (e == value) return name;
  }
  return {};
}

template <class E, std::size_t N>
std::optional<E> value_in(const NameTable<E, N>& table, std::string_view text) {
  for (const auto& [e, name] : table) {
    if (equals_ignore_case(name, text)) return e;
  }
  return std::nullopt;
}

// Values come from the network; keep a log record on one line whatever they hold.
void append_printable(std::string& out, std::string_view value) {
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    out += (byte < 0x20 || byte == 0x7f) ? '?' : c;
  }
}

void append_addresses(std::string& out, const std::vector<Address>& addresses) {
  for (const Address& a : addresses) {
    out += ' ';
    out += xml_name(a.type);
    out += '=';
    append_printable(out, a.value);
  }
}

void append_router(std::string& out, const Router& router) {
  out += " router{";
  if (router.protocol) {
    out += " protocol=";
    append_printable(out, *router.protocol);
  }
  if (router.prefix) {
    out += " prefix=";
    append_printable(out, router.prefix->value);
    out += '/' + std::to_string(router.prefix->length);
  }
  if (!router.dns_servers.empty()) {
    out += " dns{";
    append_addresses(out, router.dns_servers);
    out += " }";
  }
  if (router.as) {
    out += " as=";
    append_printable(out, router.as->number.value_or(""));
    out += ':';
    append_printable(out, router.as->value);
  }
  out += " }";
}

void append_endpoint(std::string& out, std::string_view label, const Endpoint& endpoint) {
  out += ' ';
  out += label;
  out += '{';
  append_addresses(out, endpoint.addresses);
  if (!endpoint.dns_servers.empty()) {
    out += " dns{";
    append_addresses(out, endpoint.dns_servers);
    out += " }";
  }
  if (endpoint.router) append_router(out, *endpoint.router);
  if (endpoint.keepalive) {
    out += " keepalive=" + std::to_string(endpoint.keepalive->interval);
    if (const auto& a = endpoint.keepalive->address) {
      out += '/';
      out += xml_name(a->type);
      out += '=';
      append_printable(out, a->value);
    }
  }
  out += " }";
}

}  // namespace

std::string_view xml_name(TunnelAction action) {
  return name_in(kActionNames, action);
}
std::string_view xml_name(TunnelType type) {
  return name_in(kTypeNames, type);
}
std::string_view xml_name(AddressType type) {
  return name_in(kAddressTypeNames, type);
}

std::optional<TunnelAction> parse_action(std::string_view text) {
  return value_in(kActionNames, text);
}
std::optional<TunnelType> parse_tunnel_type(std::string_view text) {
  return value_in(kTypeNames, text);
}
std::optional<AddressType> parse_address_type(std::string_view text) {
  return value_in(kAddressTypeNames, text);
}

std::string_view capability_name(TunnelType type) {
  switch (type) {
    case TunnelType::kV6V4:
      return "V6V4";
    case TunnelType::kV6UdpV4:
      return "V6UDPV4";
    case TunnelType::kV4V6:
      return "V4V6";
    case TunnelType::kV6AnyV4:
      return "";  // no such capability (tsp-digest.md §2.2)
  }
  return "";
}

const Address* Endpoint::find(AddressType type) const {
  for (const Address& a : addresses) {
    if (a.type == type) return &a;
  }
  return nullptr;
}

std::vector<const Address*> Endpoint::all(AddressType type) const {
  std::vector<const Address*> found;
  for (const Address& a : addresses) {
    if (a.type == type) found.push_back(&a);
  }
  return found;
}

std::string describe(const TunnelMessage& message) {
  std::string out(xml_name(message.action));
  if (message.type) {
    out += " type=";
    out += xml_name(*message.type);
  }
  if (message.lifetime) out += " lifetime=" + std::to_string(*message.lifetime);
  if (message.proxy) out += *message.proxy ? " proxy=yes" : " proxy=no";
  if (message.replace) out += *message.replace ? " replace=yes" : " replace=no";
  if (message.mtu) out += " mtu=" + std::to_string(*message.mtu);
  if (message.server) append_endpoint(out, "server", *message.server);
  if (message.client) append_endpoint(out, "client", *message.client);
  if (!message.brokers.empty()) {
    out += " brokers{";
    append_addresses(out, message.brokers);
    out += " }";
  }
  return out;
}

}  // namespace dstm::tsp
