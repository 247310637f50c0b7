// The static mappings file (dstm-dataplane --mappings FILE): one "IPV4 IPV6" pair per line,
// separated by blanks or tabs; '#' starts a comment (whole line or trailing); blank lines are
// ignored. Pool membership is not checked here: addresses outside the pools go to the
// mapping table's fallback.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "net/net.h"
#include "util/expected.h"

namespace dstm::dp {

struct StaticMapping {
  net::Ipv4Address ipv4;
  net::Ipv6Address ipv6;
  std::uint32_t line = 0;  // 1-based line in the file, for later messages (e.g. table full)
};

// Errors read "FILE:LINE: what is wrong"; only the first error is reported.
Expected<std::vector<StaticMapping>, std::string> parse_mappings(std::string_view text,
                                                                 std::string_view source_name);
Expected<std::vector<StaticMapping>, std::string> load_mappings(const std::string& path);

}  // namespace dstm::dp
