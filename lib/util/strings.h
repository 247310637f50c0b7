// String splitting shared by the text protocols and file formats (no allocation of the parts:
// they view the input, which must outlive them).
#pragma once

#include <string_view>
#include <vector>

namespace dstm {

// Every field between separators, empty ones included: split("a::b", ':') = {"a", "", "b"}.
inline std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t pos; (pos = text.find(separator, start)) != std::string_view::npos;
       start = pos + 1) {
    parts.push_back(text.substr(start, pos - start));
  }
  parts.push_back(text.substr(start));
  return parts;
}

// The non-empty runs between any of `blanks`: split_words(" a \tb ", " \t") = {"a", "b"}.
inline std::vector<std::string_view> split_words(std::string_view text,
                                                 std::string_view blanks = " \t") {
  std::vector<std::string_view> words;
  std::size_t pos = 0;
  while ((pos = text.find_first_not_of(blanks, pos)) != std::string_view::npos) {
    std::size_t end = text.find_first_of(blanks, pos);
    words.push_back(text.substr(pos, end == std::string_view::npos ? end : end - pos));
    if (end == std::string_view::npos) break;
    pos = end;
  }
  return words;
}

}  // namespace dstm
