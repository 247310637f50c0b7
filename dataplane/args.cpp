#include "args.h"

#include <charconv>

namespace dstm::dp {

dstm::Expected<Args, std::string> parse_args(const std::vector<std::string>& words) {
  Args args;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    auto value = [&](std::string& out) -> bool {
      if (i + 1 >= words.size()) return false;
      out = words[++i];
      return true;
    };
    std::string v;
    if (w == "-h" || w == "--help") {
      args.help = true;
    } else if (w == "--config") {
      if (!value(args.config_path)) return dstm::unexpected(std::string("--config needs a FILE"));
    } else if (w == "--mappings") {
      if (!value(v)) return dstm::unexpected(std::string("--mappings needs a FILE"));
      args.mappings_path = v;
    } else if (w == "--counters-json") {
      if (!value(v)) return dstm::unexpected(std::string("--counters-json needs a FILE"));
      args.counters_json_path = v;
    } else if (w == "--exit-when-idle") {
      std::uint32_t ms = 0;
      if (!value(v)) return dstm::unexpected(std::string("--exit-when-idle needs MS"));
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), ms);
      if (ec != std::errc{} || end != v.data() + v.size() || ms == 0) {
        return dstm::unexpected("--exit-when-idle: '" + v + "' is not a positive number of ms");
      }
      args.exit_when_idle_ms = ms;
    } else {
      return dstm::unexpected("unknown option '" + w + "'");
    }
  }
  if (!args.help && args.config_path.empty()) {
    return dstm::unexpected(std::string("--config FILE is required"));
  }
  return args;
}

}  // namespace dstm::dp
