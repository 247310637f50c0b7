#include "net/mac_address.h"

#include <ostream>

namespace dstm::net {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<MacAddress> MacAddress::parse(std::string_view text) {
  // "xx:xx:xx:xx:xx:xx" is exactly 17 characters.
  if (text.size() != 3 * kSize - 1) return std::nullopt;
  Bytes bytes{};
  for (std::size_t i = 0; i < kSize; ++i) {
    const std::size_t at = 3 * i;
    if (i != 0 && text[at - 1] != ':') return std::nullopt;
    const int hi = hex_digit(text[at]);
    const int lo = hex_digit(text[at + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    bytes[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return MacAddress(bytes);
}

std::string MacAddress::to_string() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(3 * kSize - 1);
  for (std::size_t i = 0; i < kSize; ++i) {
    if (i != 0) out += ':';
    out += kDigits[bytes_[i] >> 4];
    out += kDigits[bytes_[i] & 0xF];
  }
  return out;
}

std::ostream& operator<<(std::ostream& os, const MacAddress& m) {
  return os << m.to_string();
}

}  // namespace dstm::net
