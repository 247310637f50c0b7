// Parses the static mappings file (format in mappings_file.h).
#include "mappings_file.h"

#include <sstream>
#include <unordered_map>

#include "config.h"

namespace dstm::dp {
namespace {

// Blanks, tabs and a CR (files edited on Windows) separate fields.
bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

std::vector<std::string_view> fields_of(std::string_view line) {
  if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_blank(line[i])) ++i;
    std::size_t start = i;
    while (i < line.size() && !is_blank(line[i])) ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

std::string at(std::string_view source, std::uint32_t line, std::string_view what) {
  std::ostringstream os;
  os << source << ':' << line << ": " << what;
  return os.str();
}

std::string quoted(std::string_view s) {
  return "'" + std::string(s) + "'";
}

}  // namespace

Expected<std::vector<StaticMapping>, std::string> parse_mappings(std::string_view text,
                                                                 std::string_view source_name) {
  std::vector<StaticMapping> out;
  std::unordered_map<net::Ipv4Address, std::uint32_t> first_line;  // IPv4 -> where it was mapped
  std::uint32_t line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;

    auto fields = fields_of(line);
    if (fields.empty()) continue;
    if (fields.size() == 1) {
      return unexpected(
          at(source_name, line_no, "expected 'IPV4 IPV6', got only " + quoted(fields[0])));
    }
    if (fields.size() > 2) {
      return unexpected(
          at(source_name, line_no,
             "extra field " + quoted(fields[2]) + " after 'IPV4 IPV6' (comments start with #)"));
    }
    auto v4 = net::Ipv4Address::parse(fields[0]);
    if (!v4) {
      return unexpected(at(source_name, line_no, quoted(fields[0]) + " is not an IPv4 address"));
    }
    // A martian can never be a lease: traffic to or from it is dropped before the table.
    if (v4->is_martian() || v4->is_limited_broadcast()) {
      return unexpected(at(source_name, line_no, quoted(fields[0]) + " is not a unicast address"));
    }
    auto v6 = net::Ipv6Address::parse(fields[1]);
    if (!v6) {
      return unexpected(at(source_name, line_no, quoted(fields[1]) + " is not an IPv6 address"));
    }
    if (!v6->is_global_unicast()) {
      return unexpected(
          at(source_name, line_no, quoted(fields[1]) + " is not a global unicast address"));
    }
    // One IPv4 address has one owner: a second line would silently override the first.
    auto [it, inserted] = first_line.emplace(*v4, line_no);
    if (!inserted) {
      return unexpected(
          at(source_name, line_no,
             quoted(fields[0]) + " is already mapped on line " + std::to_string(it->second)));
    }
    out.push_back(StaticMapping{*v4, *v6, line_no});
  }
  return out;
}

Expected<std::vector<StaticMapping>, std::string> load_mappings(const std::string& path) {
  auto text = read_text_file(path);
  if (!text) return unexpected(text.error());
  return parse_mappings(*text, path);
}

}  // namespace dstm::dp
