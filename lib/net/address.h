// IPv4 and IPv6 addresses as small value types: strict parsing, canonical text, and the
// classification a router and a DSTM server need.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "net/byte_order.h"

namespace dstm::net {

class Ipv4Address {
 public:
  static constexpr std::size_t kSize = 4;

  constexpr Ipv4Address() = default;  // 0.0.0.0

  // Strict dotted quad: exactly four decimal octets 0-255, no sign, no empty part, no leading
  // zero except a lone "0" ("01.2.3.4" is rejected: inet_aton would read 01 as octal, so the
  // text is ambiguous; RFC 6943 §3.1.1), nothing before or after (no whitespace).
  static std::optional<Ipv4Address> parse(std::string_view text);

  static constexpr Ipv4Address from_host(std::uint32_t host_order) {
    Ipv4Address a;
    a.value_ = host_order;
    return a;
  }
  static constexpr Ipv4Address from_octets(std::uint8_t a, std::uint8_t b, std::uint8_t c,
                                           std::uint8_t d) {
    return from_host((std::uint32_t{a} << 24) | (std::uint32_t{b} << 16) | (std::uint32_t{c} << 8) |
                     std::uint32_t{d});
  }
  // p points at 4 bytes in network order.
  static constexpr Ipv4Address from_bytes(const std::uint8_t* p) { return from_host(load_be32(p)); }

  constexpr std::uint32_t to_host() const { return value_; }
  constexpr void to_bytes(std::uint8_t* p) const { store_be32(p, value_); }
  constexpr std::array<std::uint8_t, 4> bytes() const {
    std::array<std::uint8_t, 4> out{};
    to_bytes(out.data());
    return out;
  }
  std::string to_string() const;

  constexpr auto operator<=>(const Ipv4Address&) const = default;

  // Special-purpose blocks, RFC 6890 §2.2.2.
  constexpr bool is_unspecified() const { return value_ == 0; }
  constexpr bool is_this_network() const { return in_block(0x00000000, 8); }      // 0/8
  constexpr bool is_loopback() const { return in_block(0x7F000000, 8); }          // 127/8
  constexpr bool is_link_local() const { return in_block(0xA9FE0000, 16); }       // 169.254/16
  constexpr bool is_multicast() const { return in_block(0xE0000000, 4); }         // 224/4
  constexpr bool is_reserved_class_e() const { return in_block(0xF0000000, 4); }  // 240/4
  constexpr bool is_limited_broadcast() const { return value_ == 0xFFFFFFFF; }

  // Never forwarded as a source or destination between networks: RFC 1812 §5.3.7 ("martian"
  // filtering: 0/8, 127/8, class D, class E) plus 169.254/16, which RFC 3927 §2.7 and the
  // RFC 6890 registry mark "Forwardable: False". Multicast counts as martian because the TEP
  // does not route multicast; 255.255.255.255 is inside 240/4.
  constexpr bool is_martian() const {
    return is_this_network() || is_loopback() || is_link_local() || is_multicast() ||
           is_reserved_class_e();
  }

 private:
  constexpr bool in_block(std::uint32_t block, unsigned length) const {
    return (value_ >> (32 - length)) == (block >> (32 - length));  // length is 1..31 here
  }

  std::uint32_t value_ = 0;
};

class Ipv6Address {
 public:
  static constexpr std::size_t kSize = 16;
  using Bytes = std::array<std::uint8_t, kSize>;

  constexpr Ipv6Address() = default;  // ::
  constexpr explicit Ipv6Address(const Bytes& network_order) : bytes_(network_order) {}

  // RFC 4291 §2.2, all three forms: "x:x:x:x:x:x:x:x", one "::" standing for one or more zero
  // groups, and a dotted IPv4 address as the last 32 bits. Strict: 1-4 hex digits per group,
  // exactly 8 groups without "::", at most 7 explicit groups with it, the dotted part is a
  // strict Ipv4Address and only last. Rejected: ":::", a leading or trailing single colon,
  // zone ids ("%eth0", RFC 4007 §11 — not an address), brackets (RFC 3986 URI syntax),
  // whitespace. Case-insensitive; fully expanded forms (as TSP messages carry) are fine.
  static std::optional<Ipv6Address> parse(std::string_view text);

  static constexpr Ipv6Address from_bytes(const std::uint8_t* p) {
    Bytes b{};
    for (std::size_t i = 0; i < kSize; ++i) b[i] = p[i];
    return Ipv6Address(b);
  }
  // Eight 16-bit groups in host order, most significant first: from_groups({0x2001, 0xdb8}).
  static constexpr Ipv6Address from_groups(const std::array<std::uint16_t, 8>& groups) {
    Bytes b{};
    for (std::size_t i = 0; i < 8; ++i) store_be16(&b[2 * i], groups[i]);
    return Ipv6Address(b);
  }

  constexpr void to_bytes(std::uint8_t* p) const {
    for (std::size_t i = 0; i < kSize; ++i) p[i] = bytes_[i];
  }
  constexpr const Bytes& bytes() const { return bytes_; }
  constexpr std::uint16_t group(std::size_t i) const { return load_be16(&bytes_[2 * i]); }

  // Canonical text, RFC 5952 §4: lower case, no leading zeros, the longest run of two or more
  // zero groups as "::" (the first on a tie), a lone zero group never compressed; IPv4-mapped
  // addresses as "::ffff:192.0.2.1" (§5).
  std::string to_string() const;
  // All eight groups, four lower-case digits each, no "::" — the form TSP uses for delegated
  // prefixes (tsp-digest.md §3.3).
  std::string to_expanded() const;

  constexpr auto operator<=>(const Ipv6Address&) const = default;

  // RFC 4291 §2.4 address types.
  constexpr bool is_unspecified() const { return zero_prefix_bytes(16); }
  constexpr bool is_loopback() const { return zero_prefix_bytes(15) && bytes_[15] == 1; }
  constexpr bool is_multicast() const { return bytes_[0] == 0xFF; }  // ff00::/8
  constexpr bool is_link_local() const {                             // fe80::/10
    return bytes_[0] == 0xFE && (bytes_[1] & 0xC0) == 0x80;
  }
  constexpr bool is_unique_local() const { return (bytes_[0] & 0xFE) == 0xFC; }  // fc00::/7
  constexpr bool is_ipv4_mapped() const {  // ::ffff:0:0/96, RFC 4291 §2.5.5.2
    return zero_prefix_bytes(10) && bytes_[10] == 0xFF && bytes_[11] == 0xFF;
  }
  // ::/96, the deprecated "IPv4-compatible" block (RFC 4291 §2.5.5.1); includes :: and ::1.
  constexpr bool is_ipv4_compatible() const { return zero_prefix_bytes(12); }

  // Usable as a node's global address (the DSTM server maps a pool address to it): unicast
  // and none of the special blocks above. ULA and 2001:db8::/32 do count (RFC 4193 §4.1 treats
  // ULA as global scope; tests and labs use the documentation prefix).
  constexpr bool is_global_unicast() const {
    // is_ipv4_compatible() already covers :: and ::1; they are listed for the reader.
    return !is_unspecified() && !is_loopback() && !is_multicast() && !is_link_local() &&
           !is_ipv4_mapped() && !is_ipv4_compatible();
  }

 private:
  constexpr bool zero_prefix_bytes(std::size_t n) const {
    for (std::size_t i = 0; i < n; ++i) {
      if (bytes_[i] != 0) return false;
    }
    return true;
  }

  Bytes bytes_{};
};

// ::ffff:a.b.c.d (RFC 4291 §2.5.5.2) and back; nullopt when the address is not IPv4-mapped.
constexpr Ipv6Address ipv4_mapped(Ipv4Address v4) {
  Ipv6Address::Bytes b{};
  b[10] = 0xFF;
  b[11] = 0xFF;
  v4.to_bytes(&b[12]);
  return Ipv6Address(b);
}
constexpr std::optional<Ipv4Address> ipv4_from_mapped(const Ipv6Address& v6) {
  if (!v6.is_ipv4_mapped()) return std::nullopt;
  return Ipv4Address::from_bytes(&v6.bytes()[12]);
}

// For logs and test failure messages; the same text as to_string().
std::ostream& operator<<(std::ostream& os, const Ipv4Address& a);
std::ostream& operator<<(std::ostream& os, const Ipv6Address& a);

namespace detail {
// splitmix64's finaliser: std::hash<uint32_t> is the identity in libstdc++, and pool addresses
// are consecutive, so mix the bits before any table masks them.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}
constexpr std::uint64_t load_be64(const std::uint8_t* p) {
  return (std::uint64_t{load_be32(p)} << 32) | load_be32(p + 4);
}
}  // namespace detail

}  // namespace dstm::net

template <>
struct std::hash<dstm::net::Ipv4Address> {
  std::size_t operator()(const dstm::net::Ipv4Address& a) const noexcept {
    return static_cast<std::size_t>(dstm::net::detail::mix64(a.to_host()));
  }
};

template <>
struct std::hash<dstm::net::Ipv6Address> {
  std::size_t operator()(const dstm::net::Ipv6Address& a) const noexcept {
    using dstm::net::detail::load_be64;
    using dstm::net::detail::mix64;
    const std::uint8_t* p = a.bytes().data();
    return static_cast<std::size_t>(mix64(load_be64(p) ^ mix64(load_be64(p + 8))));
  }
};
