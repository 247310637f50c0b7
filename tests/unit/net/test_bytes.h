// Helpers shared by the net unit tests.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace dstm::net::test {

// "45 00 00 73" -> {0x45, 0x00, 0x00, 0x73}; spaces are ignored so packets read like a dump.
inline std::vector<std::uint8_t> hex_bytes(std::string_view text) {
  auto digit = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw std::invalid_argument("not a hex digit");
  };
  std::vector<std::uint8_t> out;
  int pending = -1;
  for (char c : text) {
    if (c == ' ' || c == '\n') continue;
    if (pending < 0) {
      pending = digit(c);
    } else {
      out.push_back(static_cast<std::uint8_t>((pending << 4) | digit(c)));
      pending = -1;
    }
  }
  if (pending >= 0) throw std::invalid_argument("odd number of hex digits");
  return out;
}

}  // namespace dstm::net::test
