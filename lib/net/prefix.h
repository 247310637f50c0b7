// IPv4 and IPv6 prefixes (CIDR blocks, RFC 4632 §3.1 / RFC 4291 §2.3): an address plus a
// length. A prefix always holds its network address, host bits zero.
//
// parse() is strict on purpose: "192.0.2.1/24" is rejected, not silently masked. Pools and
// routes come from operators' config, and a set host bit there almost always means a typo
// (was /32 meant? was .0 meant?). Call parse_lenient() where masking is what you want, e.g.
// to derive the on-link prefix from an interface address "192.0.2.1/24".
#pragma once

#include <cassert>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "net/address.h"

namespace dstm::net {

class Ipv4Prefix {
 public:
  static constexpr std::uint8_t kMaxLength = 32;

  constexpr Ipv4Prefix() = default;  // 0.0.0.0/0

  // "a.b.c.d/n": strict Ipv4Address, n decimal 0-32 without leading zeros; host bits zero.
  static std::optional<Ipv4Prefix> parse(std::string_view text);
  // Same syntax; host bits are cleared instead of rejected.
  static std::optional<Ipv4Prefix> parse_lenient(std::string_view text);
  // nullopt if length > 32 or (make only) any host bit is set.
  static constexpr std::optional<Ipv4Prefix> make(Ipv4Address address, std::uint8_t length) {
    if (length > kMaxLength || (address.to_host() & ~mask_bits(length)) != 0) return std::nullopt;
    return Ipv4Prefix(address, length);
  }
  static constexpr std::optional<Ipv4Prefix> make_lenient(Ipv4Address address,
                                                          std::uint8_t length) {
    if (length > kMaxLength) return std::nullopt;
    return Ipv4Prefix(Ipv4Address::from_host(address.to_host() & mask_bits(length)), length);
  }

  constexpr Ipv4Address network() const { return network_; }
  constexpr std::uint8_t length() const { return length_; }
  constexpr Ipv4Address netmask() const { return Ipv4Address::from_host(mask_bits(length_)); }
  constexpr Ipv4Address first() const { return network_; }
  constexpr Ipv4Address last() const {
    return Ipv4Address::from_host(network_.to_host() | ~mask_bits(length_));
  }
  // Number of addresses, 1 (/32) to 2^32 (/0) — hence 64 bits.
  constexpr std::uint64_t size() const { return std::uint64_t{1} << (kMaxLength - length_); }

  constexpr bool contains(Ipv4Address a) const {
    return (a.to_host() & mask_bits(length_)) == network_.to_host();
  }
  constexpr bool contains(const Ipv4Prefix& other) const {
    return other.length_ >= length_ && contains(other.network_);
  }

  // The mapping table indexes a pool by offset from its network address.
  constexpr std::optional<std::uint32_t> offset_of(Ipv4Address a) const {
    if (!contains(a)) return std::nullopt;
    return a.to_host() - network_.to_host();
  }
  // Precondition: offset < size().
  constexpr Ipv4Address at(std::uint32_t offset) const {
    assert(offset < size());
    return Ipv4Address::from_host(network_.to_host() + offset);
  }

  std::string to_string() const;  // "192.0.2.0/24"

  constexpr auto operator<=>(const Ipv4Prefix&) const = default;

 private:
  constexpr Ipv4Prefix(Ipv4Address network, std::uint8_t length)
      : network_(network), length_(length) {}
  static constexpr std::uint32_t mask_bits(std::uint8_t length) {
    return length == 0 ? 0 : ~std::uint32_t{0} << (kMaxLength - length);  // << 32 is UB
  }

  Ipv4Address network_;
  std::uint8_t length_ = 0;
};

class Ipv6Prefix {
 public:
  static constexpr std::uint8_t kMaxLength = 128;

  constexpr Ipv6Prefix() = default;  // ::/0

  // "addr/n": strict Ipv6Address (any RFC 4291 form), n decimal 0-128; host bits zero.
  static std::optional<Ipv6Prefix> parse(std::string_view text);
  // Same syntax; host bits are cleared instead of rejected.
  static std::optional<Ipv6Prefix> parse_lenient(std::string_view text);
  static std::optional<Ipv6Prefix> make(const Ipv6Address& address, std::uint8_t length);
  static std::optional<Ipv6Prefix> make_lenient(const Ipv6Address& address, std::uint8_t length);

  const Ipv6Address& network() const { return network_; }
  std::uint8_t length() const { return length_; }

  bool contains(const Ipv6Address& a) const;
  bool contains(const Ipv6Prefix& other) const {
    return other.length_ >= length_ && contains(other.network_);
  }

  std::string to_string() const;  // canonical address (RFC 5952) + "/n"

  auto operator<=>(const Ipv6Prefix&) const = default;

 private:
  Ipv6Prefix(const Ipv6Address& network, std::uint8_t length)
      : network_(network), length_(length) {}

  Ipv6Address network_;
  std::uint8_t length_ = 0;
};

std::ostream& operator<<(std::ostream& os, const Ipv4Prefix& p);
std::ostream& operator<<(std::ostream& os, const Ipv6Prefix& p);

}  // namespace dstm::net

template <>
struct std::hash<dstm::net::Ipv4Prefix> {
  std::size_t operator()(const dstm::net::Ipv4Prefix& p) const noexcept {
    return std::hash<dstm::net::Ipv4Address>{}(p.network()) ^ p.length();
  }
};

template <>
struct std::hash<dstm::net::Ipv6Prefix> {
  std::size_t operator()(const dstm::net::Ipv6Prefix& p) const noexcept {
    return std::hash<dstm::net::Ipv6Address>{}(p.network()) ^ p.length();
  }
};
