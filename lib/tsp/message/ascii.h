// Internal to tsp/message: ASCII case folding. TSP values are ASCII tokens, and gogoc lower-cases
// every value it reads (tsp-digest.md §3.3), so comparisons ignore ASCII case only.
#pragma once

#include <cstddef>
#include <string_view>

namespace dstm::tsp {

constexpr char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

}  // namespace dstm::tsp
