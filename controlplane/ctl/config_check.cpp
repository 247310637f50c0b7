#include "config_check.h"

#include <toml++/toml.h>

#include "../agent/config.h"
#include "../server/config.h"
#include "config.h"  // dataplane/config.h (dp_config_dep's include directory)
#include "config/config.h"

namespace dstm::ctl {
namespace {

// The daemon a file is for, from its top-level tables: each daemon has one the others lack.
std::string guess_kind(const std::string& text) {
  try {
    const toml::table root = toml::parse(text);
    if (root.contains("ports") || root.contains("next_hops")) return "dataplane";
    if (const auto* tep = root.get("tep"); tep != nullptr && tep->is_array_of_tables()) return "server";
    if (root.contains("pool")) return "server";
    if (root.contains("tsp") || root.contains("store")) return "agent";
  } catch (const toml::parse_error&) {
    // A syntax error: every parser reports it the same way; let the agent's do it.
  }
  return "agent";
}

}  // namespace

int check_config(const std::string& file, const std::string& kind_arg, std::ostream& out,
                 std::ostream& err) {
  auto text = config::read_text_file(file);
  if (!text) {
    err << "dstmctl: " << text.error() << '\n';
    return 1;
  }
  const std::string kind = kind_arg.empty() || kind_arg == "auto" ? guess_kind(*text) : kind_arg;
  std::string error;
  if (kind == "agent") {
    auto c = agent::parse_config(*text, file);
    if (!c) error = c.error();
  } else if (kind == "server") {
    // Password files are checked by `dstm-server --check` on the host that has them.
    auto c = server::parse_config(*text, file, /*read_secrets=*/false);
    if (!c) error = c.error();
  } else {
    auto c = dp::parse_config(*text, file);
    if (!c) error = c.error();
  }
  if (!error.empty()) {
    err << error << '\n';
    return 1;
  }
  out << file << ": OK (" << kind << ")\n";
  return 0;
}

}  // namespace dstm::ctl
