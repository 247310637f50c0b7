#include "net/prefix.h"

#include <ostream>

namespace dstm::net {
namespace {

// The part after '/': decimal, no sign, no leading zero unless it is "0", at most `max`.
std::optional<std::uint8_t> parse_length(std::string_view text, std::uint8_t max) {
  if (text.empty() || text.size() > 3) return std::nullopt;
  if (text.size() > 1 && text[0] == '0') return std::nullopt;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > max) return std::nullopt;
  return static_cast<std::uint8_t>(value);
}

// Splits "address/length" at its only '/'; both halves are then parsed strictly.
template <class Address>
std::optional<std::pair<Address, std::uint8_t>> split_prefix(std::string_view text,
                                                             std::uint8_t max_length) {
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto address = Address::parse(text.substr(0, slash));
  auto length = parse_length(text.substr(slash + 1), max_length);  // a 2nd '/' fails here
  if (!address || !length) return std::nullopt;
  return std::pair{*address, *length};
}

Ipv6Address mask(const Ipv6Address& a, std::uint8_t length) {
  Ipv6Address::Bytes b = a.bytes();
  for (std::size_t i = 0; i < b.size(); ++i) {
    const int bits_here = static_cast<int>(length) - static_cast<int>(8 * i);  // bits kept
    if (bits_here >= 8) continue;
    const int keep_mask = bits_here <= 0 ? 0 : (0xFF << (8 - bits_here)) & 0xFF;
    b[i] = static_cast<std::uint8_t>(b[i] & keep_mask);
  }
  return Ipv6Address(b);
}

}  // namespace

std::optional<Ipv4Prefix> Ipv4Prefix::parse(std::string_view text) {
  auto parts = split_prefix<Ipv4Address>(text, kMaxLength);
  if (!parts) return std::nullopt;
  return make(parts->first, parts->second);
}

std::optional<Ipv4Prefix> Ipv4Prefix::parse_lenient(std::string_view text) {
  auto parts = split_prefix<Ipv4Address>(text, kMaxLength);
  if (!parts) return std::nullopt;
  return make_lenient(parts->first, parts->second);
}

std::string Ipv4Prefix::to_string() const {
  return network_.to_string() + '/' + std::to_string(length_);
}

std::optional<Ipv6Prefix> Ipv6Prefix::parse(std::string_view text) {
  auto parts = split_prefix<Ipv6Address>(text, kMaxLength);
  if (!parts) return std::nullopt;
  return make(parts->first, parts->second);
}

std::optional<Ipv6Prefix> Ipv6Prefix::parse_lenient(std::string_view text) {
  auto parts = split_prefix<Ipv6Address>(text, kMaxLength);
  if (!parts) return std::nullopt;
  return make_lenient(parts->first, parts->second);
}

std::optional<Ipv6Prefix> Ipv6Prefix::make(const Ipv6Address& address, std::uint8_t length) {
  if (length > kMaxLength || mask(address, length) != address) return std::nullopt;
  return Ipv6Prefix(address, length);
}

std::optional<Ipv6Prefix> Ipv6Prefix::make_lenient(const Ipv6Address& address,
                                                   std::uint8_t length) {
  if (length > kMaxLength) return std::nullopt;
  return Ipv6Prefix(mask(address, length), length);
}

bool Ipv6Prefix::contains(const Ipv6Address& a) const {
  return mask(a, length_) == network_;
}

std::string Ipv6Prefix::to_string() const {
  return network_.to_string() + '/' + std::to_string(length_);
}

std::ostream& operator<<(std::ostream& os, const Ipv4Prefix& p) {
  return os << p.to_string();
}
std::ostream& operator<<(std::ostream& os, const Ipv6Prefix& p) {
  return os << p.to_string();
}

}  // namespace dstm::net
