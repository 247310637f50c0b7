#include "net/address.h"

#include <charconv>
#include <ostream>

namespace dstm::net {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Consumes one decimal octet from the front of `text`: 1-3 digits, value <= 255, and no
// leading zero unless the octet is exactly "0".
std::optional<std::uint8_t> take_octet(std::string_view& text) {
  std::size_t n = 0;
  while (n < text.size() && is_digit(text[n])) ++n;
  if (n == 0 || n > 3) return std::nullopt;
  if (n > 1 && text[0] == '0') return std::nullopt;  // "01": octal to inet_aton, so ambiguous
  unsigned value = 0;
  for (std::size_t i = 0; i < n; ++i) value = value * 10 + static_cast<unsigned>(text[i] - '0');
  if (value > 255) return std::nullopt;
  text.remove_prefix(n);
  return static_cast<std::uint8_t>(value);
}

std::optional<unsigned> hex_value(char c) {
  if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return static_cast<unsigned>(c - 'A' + 10);
  return std::nullopt;
}

// One IPv6 group: 1-4 hex digits and nothing else (RFC 4291 §2.2 item 1).
std::optional<std::uint16_t> parse_group(std::string_view text) {
  if (text.empty() || text.size() > 4) return std::nullopt;
  unsigned value = 0;
  for (char c : text) {
    auto digit = hex_value(c);
    if (!digit) return std::nullopt;
    value = value * 16 + *digit;
  }
  return static_cast<std::uint16_t>(value);
}

struct Groups {
  std::array<std::uint16_t, 8> value{};
  std::size_t count = 0;

  bool push(std::uint16_t v) {
    if (count == value.size()) return false;
    value[count++] = v;
    return true;
  }
};

// Parses colon-separated groups ("" gives none). Every part must be a hex group, except that
// the very last part of the whole address (`may_end_in_ipv4`) may be a dotted IPv4 address
// filling two groups (RFC 4291 §2.2 item 3). An empty part — from a leading, trailing or
// doubled colon — is rejected by parse_group.
bool parse_groups(std::string_view text, bool may_end_in_ipv4, Groups& out) {
  if (text.empty()) return true;
  for (;;) {
    const std::size_t colon = text.find(':');
    const std::string_view part = text.substr(0, colon);
    const bool last = colon == std::string_view::npos;
    if (last && may_end_in_ipv4 && part.find('.') != std::string_view::npos) {
      auto v4 = Ipv4Address::parse(part);
      return v4 && out.push(static_cast<std::uint16_t>(v4->to_host() >> 16)) &&
             out.push(static_cast<std::uint16_t>(v4->to_host()));
    }
    auto group = parse_group(part);
    if (!group || !out.push(*group)) return false;
    if (last) return true;
    text.remove_prefix(colon + 1);
  }
}

void append_hex(std::string& out, std::uint16_t v) {
  char buf[4];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, 16);  // lower case, no leading 0s
  (void)ec;  // 4 chars always suffice for 16 bits
  out.append(buf, end);
}

// RFC 5952 §4.2: the longest run of zero groups, the first one on a tie (§4.2.3), and only if
// it is at least two groups long (§4.2.2). Returns {start, length}; length 0 means none.
std::pair<std::size_t, std::size_t> longest_zero_run(const Ipv6Address& a) {
  std::size_t best_start = 0, best_len = 0;
  for (std::size_t i = 0; i < 8;) {
    if (a.group(i) != 0) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < 8 && a.group(j) == 0) ++j;
    if (j - i > best_len) {  // strictly longer: ties keep the earlier run
      best_start = i;
      best_len = j - i;
    }
    i = j;
  }
  if (best_len < 2) best_len = 0;
  return {best_start, best_len};
}

}  // namespace

std::optional<Ipv4Address> Ipv4Address::parse(std::string_view text) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    if (i > 0) {
      if (text.empty() || text.front() != '.') return std::nullopt;
      text.remove_prefix(1);
    }
    auto octet = take_octet(text);
    if (!octet) return std::nullopt;
    value = (value << 8) | *octet;
  }
  if (!text.empty()) return std::nullopt;  // trailing garbage, a fifth part, whitespace
  return from_host(value);
}

std::string Ipv4Address::to_string() const {
  std::string out;
  out.reserve(15);
  for (int shift = 24; shift >= 0; shift -= 8) {
    if (shift != 24) out += '.';
    char buf[3];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, (value_ >> shift) & 0xFF);
    (void)ec;  // at most 3 digits
    out.append(buf, end);
  }
  return out;
}

std::optional<Ipv6Address> Ipv6Address::parse(std::string_view text) {
  const std::size_t gap = text.find("::");
  Groups head, tail;
  if (gap == std::string_view::npos) {
    if (!parse_groups(text, true, head) || head.count != 8) return std::nullopt;
  } else {
    // A second "::" would be ambiguous (§2.2 item 2); it, or the stray colon of ":::", leaves
    // an empty group in the tail, which parse_groups rejects.
    if (!parse_groups(text.substr(0, gap), false, head)) return std::nullopt;
    if (!parse_groups(text.substr(gap + 2), true, tail)) return std::nullopt;
    if (head.count + tail.count > 7) return std::nullopt;  // "::" must stand for >= 1 group
  }
  std::array<std::uint16_t, 8> groups{};
  for (std::size_t i = 0; i < head.count; ++i) groups[i] = head.value[i];
  for (std::size_t i = 0; i < tail.count; ++i) groups[8 - tail.count + i] = tail.value[i];
  return from_groups(groups);
}

std::string Ipv6Address::to_string() const {
  if (auto v4 = ipv4_from_mapped(*this)) return "::ffff:" + v4->to_string();  // RFC 5952 §5
  const auto [run_start, run_len] = longest_zero_run(*this);
  std::string out;
  out.reserve(39);
  for (std::size_t i = 0; i < 8;) {
    if (run_len != 0 && i == run_start) {
      out += "::";
      i += run_len;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    append_hex(out, group(i));
    ++i;
  }
  return out;
}

std::string Ipv6Address::to_expanded() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(39);
  for (std::size_t i = 0; i < 8; ++i) {
    if (i != 0) out += ':';
    const std::uint16_t g = group(i);
    for (int shift = 12; shift >= 0; shift -= 4) out += kDigits[(g >> shift) & 0xF];
  }
  return out;
}

std::ostream& operator<<(std::ostream& os, const Ipv4Address& a) {
  return os << a.to_string();
}
std::ostream& operator<<(std::ostream& os, const Ipv6Address& a) {
  return os << a.to_string();
}

}  // namespace dstm::net
