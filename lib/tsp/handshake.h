// The authentication-phase lines of TSP: VERSION=, CAPABILITY and status lines.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tsp/message/tunnel.h"
#include "tsp/sasl/mechanism.h"

namespace dstm::tsp {

// Versions real clients send (tsp-digest.md §2.1) plus draft-00's 1.0. 1.x has no accept step:
// "Version 1.0.1 requires that we immediatly jump in tunnel mode" (gogoc tsp_client.c).
struct ProtocolVersion {
  std::string text;
  bool has_accept_step = true;
};
inline constexpr std::string_view kSupportedVersions[] = {"1.0", "1.0.1", "2.0.0", "2.0.1", "2.0.2"};

// The value of a "VERSION=x" line (stray NULs and spaces removed), nullopt if not such a line.
std::optional<std::string> parse_version_line(std::string_view line);
// A version we speak, nullopt otherwise (answered with 302).
std::optional<ProtocolVersion> supported_version(std::string_view text);
std::string version_line(std::string_view version);

struct Capabilities {
  std::vector<TunnelType> tunnel_types;
  std::vector<sasl::Mechanism> mechanisms;
  friend bool operator==(const Capabilities&, const Capabilities&) = default;
};
// "CAPABILITY TUNNEL=V6V4 TUNNEL=V4V6 AUTH=DIGEST-MD5\r\n": tunnels first, then mechanisms, in
// the given order. gogoc requires exactly "CAPABILITY " and upper-case TUNNEL values (§2.2).
std::string capability_line(const Capabilities& caps);
// Parses a server's CAPABILITY line; unknown tokens are ignored (clients must not choke on
// mechanisms they do not know, such as PASSDSS-3DES-1). nullopt if not a CAPABILITY line.
std::optional<Capabilities> parse_capability_line(std::string_view line);

// The numeric status at the start of a reply line, read the way clients read it (atoi of the
// first line: tsp-digest.md §2.4); nullopt when the line does not start with a number.
std::optional<int> parse_status_code(std::string_view line);

}  // namespace dstm::tsp
