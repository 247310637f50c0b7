#include "tsp/handshake.h"

#include <charconv>

#include "tsp/framing.h"
#include "util/strings.h"

namespace dstm::tsp {
namespace {

constexpr std::string_view kVersionPrefix = "VERSION=";
constexpr std::string_view kCapabilityPrefix = "CAPABILITY ";

std::optional<TunnelType> tunnel_from_capability(std::string_view value) {
  for (TunnelType t : {TunnelType::kV6V4, TunnelType::kV6UdpV4, TunnelType::kV6AnyV4,
                       TunnelType::kV4V6}) {
    std::string_view name = capability_name(t);
    if (!name.empty() && name == value) return t;  // case-sensitive, as gogoc compares
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> parse_version_line(std::string_view line) {
  std::string_view s = strip_stray_nuls(line);
  if (s.substr(0, kVersionPrefix.size()) != kVersionPrefix) return std::nullopt;
  return std::string(s.substr(kVersionPrefix.size()));
}

std::optional<ProtocolVersion> supported_version(std::string_view text) {
  for (std::string_view v : kSupportedVersions) {
    if (v == text) return ProtocolVersion{std::string(v), v[0] != '1'};
  }
  return std::nullopt;
}

std::string version_line(std::string_view version) {
  return std::string(kVersionPrefix) + std::string(version) + "\r\n";
}

std::string capability_line(const Capabilities& caps) {
  std::string out = "CAPABILITY";
  for (TunnelType t : caps.tunnel_types) {
    std::string_view name = capability_name(t);
    if (!name.empty()) out += " TUNNEL=" + std::string(name);
  }
  for (sasl::Mechanism m : caps.mechanisms) out += " AUTH=" + std::string(sasl::wire_name(m));
  out += "\r\n";
  return out;
}

std::optional<Capabilities> parse_capability_line(std::string_view line) {
  std::string_view s = strip_stray_nuls(line);
  if (s.substr(0, kCapabilityPrefix.size()) != kCapabilityPrefix) return std::nullopt;
  Capabilities caps;
  for (std::string_view token : dstm::split_words(s.substr(kCapabilityPrefix.size()), " ")) {
    std::size_t eq = token.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = token.substr(0, eq);
    std::string_view value = token.substr(eq + 1);
    if (key == "TUNNEL") {
      if (auto t = tunnel_from_capability(value)) caps.tunnel_types.push_back(*t);
    } else if (key == "AUTH") {
      if (auto m = sasl::mechanism_from_name(value)) caps.mechanisms.push_back(*m);
    }
  }
  return caps;
}

std::optional<int> parse_status_code(std::string_view line) {
  std::string_view s = strip_stray_nuls(line);
  int code = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), code);
  if (ec != std::errc{} || end == s.data() || code < 0) return std::nullopt;
  return code;
}

}  // namespace dstm::tsp
