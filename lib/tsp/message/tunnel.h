// The TSP <tunnel> message as a value: what a client asks for and what a server answers.
// The XML form lives in tunnel_xml.h; this header knows nothing about XML syntax beyond the
// attribute value names. Element set: tsp-digest.md §3.1, §3.2 (gogoc xml_tun.c, RFC 5572
// Appendix A as recalled).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dstm::tsp {

// <tunnel action="..."> (tsp-digest.md §3.2: create|info|accept|delete|reject).
enum class TunnelAction { kCreate, kInfo, kAccept, kDelete, kReject };

// <tunnel type="..."> — the IANA "TSP Parameters" tunnel type names (tsp-digest.md §7).
enum class TunnelType { kV6V4, kV6UdpV4, kV6AnyV4, kV4V6 };

// <address type="...">: an IPv4 or IPv6 literal, or a domain name ("dn").
enum class AddressType { kIpv4, kIpv6, kDn };

// Lower-case XML attribute value ("create", "v6udpv4", "ipv6").
std::string_view xml_name(TunnelAction action);
std::string_view xml_name(TunnelType type);
std::string_view xml_name(AddressType type);

// Attribute value to enum, compared ASCII case-insensitively: gogoc lower-cases every value it
// reads (tsp-digest.md §3.3), so "V4V6" and "v4v6" name the same type.
std::optional<TunnelAction> parse_action(std::string_view text);
std::optional<TunnelType> parse_tunnel_type(std::string_view text);
std::optional<AddressType> parse_address_type(std::string_view text);

// The CAPABILITY line token value, upper case: "V6V4", "V6UDPV4", "V4V6". gogoc compares these
// case-sensitively (tsp-digest.md §2.2). v6anyv4 has no capability of its own (a v6anyv4
// client accepts a server offering V6V4 or V6UDPV4), so kV6AnyV4 yields "".
std::string_view capability_name(TunnelType type);

struct Address {
  AddressType type = AddressType::kIpv6;
  std::string value;  // verbatim, trimmed; syntax is checked by the profile layer, not here
  friend bool operator==(const Address&, const Address&) = default;
};

// <prefix length="N">value</prefix>. Requests carry only the length (<prefix length="64"/>):
// value is then empty. Answers carry the prefix fully expanded, because gogoc cuts it by
// character count (tsp-digest.md §3.3); the caller formats it, the serializer writes it verbatim.
struct Prefix {
  std::uint32_t length = 0;
  std::string value;
  friend bool operator==(const Prefix&, const Prefix&) = default;
};

// <as number="...">value</as> (router element, tsp-digest.md §3.1).
struct As {
  std::optional<std::string> number;
  std::string value;
  friend bool operator==(const As&, const As&) = default;
};

// <router protocol="..."> with prefix delegation and reverse-DNS servers (tsp-digest.md §3.4).
struct Router {
  std::optional<std::string> protocol;  // absent = default route; "rip", "bgp" otherwise
  std::optional<Prefix> prefix;
  std::vector<Address> dns_servers;  // <dns_server><address .../>...</dns_server>
  std::optional<As> as;
  friend bool operator==(const Router&, const Router&) = default;
};

// <keepalive interval="N"><address .../></keepalive> (tsp-digest.md §4).
struct Keepalive {
  std::uint32_t interval = 0;  // seconds
  std::optional<Address> address;
  friend bool operator==(const Keepalive&, const Keepalive&) = default;
};

// <server> or <client>.
struct Endpoint {
  std::vector<Address> addresses;
  std::vector<Address> dns_servers;  // <dns_server> directly under <client>
  std::optional<Router> router;
  std::optional<Keepalive> keepalive;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;

  // The first address of a type, or nullptr. A v4v6 request may carry two IPv6 addresses
  // (link-local + global, draft-blanchet-v6ops-tunnelbroker-tsp-00 §4.7.3): use all() there.
  const Address* find(AddressType type) const;
  std::vector<const Address*> all(AddressType type) const;
};

struct TunnelMessage {
  TunnelAction action = TunnelAction::kCreate;
  std::optional<TunnelType> type;
  std::optional<std::uint32_t> lifetime;  // seconds; the DSTM lease time in a v4v6 answer
  std::optional<bool> proxy;              // proxy="yes|no"
  std::optional<std::uint32_t> mtu;
  // dstm extension, server -> TEP create only: replace="yes" lets a create re-map an IPv4
  // address the TEP already maps to another IPv6 (else 308). Clients never send it, and
  // TSP peers skip attributes they do not know (tsp-digest.md §3.3).
  std::optional<bool> replace;
  std::optional<Endpoint> server;
  std::optional<Endpoint> client;
  std::vector<Address> brokers;  // <broker> referral list (tsp-digest.md §2.5 redirects)
  friend bool operator==(const TunnelMessage&, const TunnelMessage&) = default;
};

// One line for logs, e.g.
// "create type=v4v6 proxy=no client{ ipv6=::1 keepalive=30/ipv4=127.0.0.1 }".
// Control characters in values are shown as '?', so a log line stays one line.
std::string describe(const TunnelMessage& message);

}  // namespace dstm::tsp
