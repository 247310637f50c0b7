// dstm-dataplane's own options, after EAL's and a `--` (DPDK convention).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/expected.h"

namespace dstm::dp {

struct Args {
  std::string config_path;                       // --config FILE (required)
  std::optional<std::string> mappings_path;      // --mappings FILE
  std::optional<std::uint32_t> exit_when_idle_ms;  // --exit-when-idle MS
  std::optional<std::string> counters_json_path;   // --counters-json FILE
  bool help = false;
};

inline constexpr const char* kUsage =
    "usage: dstm-dataplane [EAL options] -- --config FILE [--mappings FILE]\n"
    "                      [--exit-when-idle MS] [--counters-json FILE]\n"
    "  --config FILE        TOML configuration (README: dstm-dataplane configuration)\n"
    "  --mappings FILE      static IPv4 -> IPv6 mappings, one 'IPV4 IPV6' pair per line\n"
    "  --exit-when-idle MS  exit cleanly, TX flushed, after MS ms without a received packet\n"
    "  --counters-json FILE write every counter (packets and bytes) as JSON on exit\n"
    "  -h, --help           this text\n"
    "EAL example (no hugepages, pcap ports):\n"
    "  dstm-dataplane -l 0 --no-huge -m 256 --no-shconf --no-pci \\\n"
    "    --vdev net_pcap0,rx_pcap=in6.pcap,tx_pcap=out6.pcap --vdev net_pcap1,tx_pcap=out4.pcap \\\n"
    "    -- --config dstm-dataplane.toml\n";

// Parses the words after `--`. Errors are one line for stderr.
dstm::Expected<Args, std::string> parse_args(const std::vector<std::string>& words);

}  // namespace dstm::dp
