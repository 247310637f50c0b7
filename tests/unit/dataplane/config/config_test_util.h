// Shared by the dataplane configuration tests.
#pragma once

#include <cstddef>
#include <sstream>
#include <string>
#include <string_view>

namespace dstm::dp::test {

// dataplane/dstm-dataplane.example.toml in the source tree (generated example_path.cpp).
extern const char* const kExampleConfigPath;

// Only the required keys. Line numbers matter: the error tests refer to them.
inline constexpr std::string_view kMinimalConfig =
    "[tep]\n"                          // 1
    "ipv6 = [\"2001:db8:1::1\"]\n"     // 2
    "ipv4 = \"198.51.100.1\"\n"        // 3
    "pools = [\"192.0.2.0/24\"]\n"     // 4
    "[next_hops.ipv6]\n"               // 5
    "gateway = \"2001:db8:1::fe\"\n"   // 6
    "[next_hops.ipv4]\n"               // 7
    "gateway = \"198.51.100.254\"\n";  // 8

// kMinimalConfig with 1-based line n replaced by text (which may span several lines, or be
// empty to blank the line out).
inline std::string minimal_with_line(std::size_t n, std::string_view text) {
  std::istringstream in{std::string(kMinimalConfig)};
  std::string out, line;
  for (std::size_t i = 1; std::getline(in, line); ++i) {
    out += i == n ? std::string(text) : line;
    out += '\n';
  }
  return out;
}

}  // namespace dstm::dp::test
