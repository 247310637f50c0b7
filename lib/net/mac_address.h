// Ethernet (IEEE 802) MAC addresses.
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

namespace dstm::net {

class MacAddress {
 public:
  static constexpr std::size_t kSize = 6;
  using Bytes = std::array<std::uint8_t, kSize>;

  constexpr MacAddress() = default;  // 00:00:00:00:00:00
  constexpr explicit MacAddress(const Bytes& bytes) : bytes_(bytes) {}

  // "02:00:5e:10:00:01": six pairs of hex digits (either case) separated by ':'. Nothing else
  // (no '-', no single digits, no whitespace) so that config text has one spelling.
  static std::optional<MacAddress> parse(std::string_view text);
  static constexpr MacAddress broadcast() {
    return MacAddress(Bytes{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF});
  }
  static constexpr MacAddress from_bytes(const std::uint8_t* p) {
    return MacAddress(Bytes{p[0], p[1], p[2], p[3], p[4], p[5]});
  }

  constexpr void to_bytes(std::uint8_t* p) const {
    for (std::size_t i = 0; i < kSize; ++i) p[i] = bytes_[i];
  }
  constexpr const Bytes& bytes() const { return bytes_; }
  std::string to_string() const;  // lower case, colon separated

  constexpr bool is_zero() const { return *this == MacAddress(); }
  constexpr bool is_broadcast() const { return *this == broadcast(); }
  // I/G bit, the least significant bit of the first octet (IEEE 802-2014 §8.2); broadcast too.
  constexpr bool is_multicast() const { return (bytes_[0] & 0x01) != 0; }

  constexpr auto operator<=>(const MacAddress&) const = default;

 private:
  Bytes bytes_{};
};

std::ostream& operator<<(std::ostream& os, const MacAddress& m);

}  // namespace dstm::net

template <>
struct std::hash<dstm::net::MacAddress> {
  std::size_t operator()(const dstm::net::MacAddress& m) const noexcept {
    std::uint64_t v = 0;
    for (std::uint8_t b : m.bytes()) v = (v << 8) | b;
    return std::hash<std::uint64_t>{}(v * 0x9E3779B97F4A7C15ULL);
  }
};
