// The command table itself, and the bash completion generated from it.
#include "command_table.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "render.h"

namespace dstm::ctl {

namespace {

using K = ArgKind;
using T = ValueType;

// One row per line reads as a table.
// clang-format off
constexpr ArgSpec kMappingsArgs[] = {
    {"ipv4", K::kKeyword, T::kIpv4, "ipv4", false, "only the mapping of this IPv4 address", {}, 1},
    {"ipv6", K::kKeyword, T::kIpv6, "ipv6", false, "only the mappings to this IPv6 address", {}, 1},
    {"offset", K::kOption, T::kUint, "offset", false, "skip the first N matches (default 0)"},
    {"limit", K::kOption, T::kUint, "limit", false, "show at most N (the daemon's default: 100)"},
};
constexpr ArgSpec kCountersArgs[] = {
    {"FILTER", K::kPositional, T::kText, "filter", false, "only counters whose name contains FILTER"},
    {"all", K::kFlag, T::kBool, "all", false, "include the counters that are zero"},
};
constexpr ArgSpec kMappingAddArgs[] = {
    {"V4", K::kPositional, T::kIpv4, "ipv4", true, "the node's IPv4 address (inside a pool)"},
    {"V6", K::kPositional, T::kIpv6, "ipv6", true, "the node's IPv6 address (tunnel end point)"},
};
constexpr ArgSpec kIpv4Arg[] = {
    {"V4", K::kPositional, T::kIpv4, "ipv4", true, "the IPv4 address"},
};
constexpr ArgSpec kMetricsArgs[] = {
    {"format", K::kOption, T::kChoice, "", true, "output format", "prometheus"},
};
constexpr ArgSpec kLeasesArgs[] = {
    {"FILTER", K::kPositional, T::kText, "filter", false,
     "only leases whose address or identity contains FILTER"},
    {"offset", K::kOption, T::kUint, "offset", false, "skip the first N matches (default 0)"},
    {"limit", K::kOption, T::kUint, "limit", false, "show at most N (the daemon's default: 100)"},
};
constexpr ArgSpec kConfigCheckArgs[] = {
    {"FILE", K::kPositional, T::kText, "file", true, "the configuration file"},
    {"kind", K::kOption, T::kChoice, "kind", false, "whose file it is (default: told by its tables)",
     "auto agent server dataplane"},
};
constexpr ArgSpec kCompletionArgs[] = {
    {"SHELL", K::kPositional, T::kChoice, "", true, "the shell", "bash"},
};

constexpr Command kCommands[] = {
    {"show status", Daemon::kEither, "status", {}, render_status,
     "generations, applied sequence, mappings, pool usage, per-lcore packet rates"},
    {"show mappings", Daemon::kAgent, "mappings", kMappingsArgs, render_mappings,
     "the IPv4 -> IPv6 mappings, a page at a time: [ipv4 A | ipv6 B] [--offset N] [--limit N]"},
    {"show counters", Daemon::kEither, "counters", kCountersArgs, render_counters,
     "the dataplane's counters (packets and bytes); non-zero ones unless --all"},
    {"mapping add", Daemon::kAgent, "mapping.add", kMappingAddArgs, render_mapping_add,
     "add a static mapping V4 -> V6; returns once the dataplane applies it"},
    {"mapping del", Daemon::kAgent, "mapping.del", kIpv4Arg, render_mapping_del,
     "remove the mapping of V4"},
    {"clear counters", Daemon::kEither, "counters.clear", {}, render_counters_cleared,
     "set every counter to zero"},
    {"reload", Daemon::kEither, "reload", {}, render_reload,
     "re-read the configuration file and apply what can change at run time"},
    {"metrics", Daemon::kAgent, "", kMetricsArgs, nullptr,
     "status and counters for Prometheus (text format 0.0.4, for node_exporter's textfile "
     "collector)",
     Special::kMetrics},
    // dstm-server's commands.
    {"show leases", Daemon::kServer, "leases", kLeasesArgs, render_leases,
     "the DSTM server's leases: [FILTER] [--offset N] [--limit N]"},
    {"show pools", Daemon::kServer, "pools", {}, render_pools,
     "the DSTM server's address pools and their use"},
    {"lease release", Daemon::kServer, "lease.release", kIpv4Arg, render_lease_release,
     "end the lease of V4 now (Tunnel Delete to the node and its TEP)"},
    {"show teps", Daemon::kServer, "teps", {}, render_teps, "the TEPs the server configures"},
    {"show sessions", Daemon::kServer, "sessions", {}, render_sessions,
     "the nodes' open TSP sessions"},
    {"config check", Daemon::kLocal, "", kConfigCheckArgs, nullptr,
     "check a configuration file with the daemon's own parser (no daemon needed): FILE "
     "[--kind agent|server|dataplane]",
     Special::kConfigCheck},
    {"completion", Daemon::kLocal, "", kCompletionArgs, nullptr,
     "print the shell completion script (bash: source it, or install it as "
     "/usr/share/bash-completion/completions/dstmctl)",
     Special::kCompletion},
};

// clang-format on

constexpr Group kGroups[] = {
    {"show", "show state (never changes anything)"},
    {"mapping", "add or remove static mappings on dstm-agent"},
    {"clear", "reset state"},
    {"lease", "act on dstm-server's leases"},
    {"config", "configuration files"},
};

// "a b c" -> {"a", "b", "c"}
std::vector<std::string> split_words(std::string_view s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    std::size_t end = s.find(' ', pos);
    if (end == std::string_view::npos) end = s.size();
    if (end > pos) out.emplace_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

std::string join(const std::set<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

}  // namespace

std::span<const Command> commands() {
  return kCommands;
}
std::span<const Group> groups() {
  return kGroups;
}

// Walks the words typed so far, skipping options and their values, to find the command path,
// then offers what the table says may come next.
std::string bash_completion() {
  const std::set<std::string> global_valued = {"--agent-socket", "--server-socket", "--timeout"};
  const std::set<std::string> global_flags = {"--server", "-j",     "--json",
                                              "-h",       "--help", "--version"};
  std::set<std::string> valued = global_valued;  // options that take a value
  for (const Command& c : commands()) {
    for (const ArgSpec& a : c.args) {
      if (a.kind == ArgKind::kOption) valued.insert("--" + std::string(a.name));
    }
  }

  // path -> words that may follow ("" is the top level).
  std::vector<std::pair<std::string, std::set<std::string>>> next;
  auto entry = [&](const std::string& path) -> std::set<std::string>& {
    for (auto& [p, words] : next) {
      if (p == path) return words;
    }
    next.emplace_back(path, std::set<std::string>{});
    return next.back().second;
  };
  std::vector<std::pair<std::string, std::set<std::string>>> leaves;
  for (const Command& c : commands()) {
    std::vector<std::string> words = split_words(c.words);
    std::string path;
    for (const auto& w : words) {
      entry(path).insert(w);
      path += (path.empty() ? "" : " ") + w;
    }
    std::set<std::string> offers = {"-h", "--help"};
    for (const ArgSpec& a : c.args) {
      switch (a.kind) {
        case ArgKind::kKeyword:
          offers.insert(std::string(a.name));
          break;
        case ArgKind::kOption:
        case ArgKind::kFlag:
          offers.insert("--" + std::string(a.name));
          break;
        case ArgKind::kPositional:
          if (a.type == ValueType::kChoice) {
            for (const auto& w : split_words(a.choices)) offers.insert(w);
          }
          break;
      }
    }
    leaves.emplace_back(path, offers);
  }
  for (const auto& w : global_valued) entry("").insert(w);
  for (const auto& w : global_flags) entry("").insert(w);

  std::string out;
  out +=
      "# bash completion for dstmctl. Generated from dstmctl's command table by\n"
      "# `dstmctl completion bash`: do not edit (a test checks that they match).\n"
      "_dstmctl() {\n"
      "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
      "  case \"$prev\" in\n"
      "    --agent-socket|--server-socket) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n";
  // Valued options: choices where the table has them, nothing to offer otherwise.
  std::vector<std::string> free_valued;
  for (const auto& v : valued) {
    if (global_valued.count(v) && v != "--timeout") continue;
    std::string choices;
    for (const Command& c : commands()) {
      for (const ArgSpec& a : c.args) {
        if (a.kind == ArgKind::kOption && "--" + std::string(a.name) == v &&
            a.type == ValueType::kChoice) {
          choices = std::string(a.choices);
        }
      }
    }
    if (choices.empty()) {
      free_valued.push_back(v);
    } else {
      out +=
          "    " + v + ") COMPREPLY=($(compgen -W \"" + choices + "\" -- \"$cur\")); return ;;\n";
    }
  }
  std::string free_list;
  for (const auto& v : free_valued) free_list += (free_list.empty() ? "" : "|") + v;
  out += "    " + free_list + ") return ;;\n";
  std::string valued_list;
  for (const auto& v : valued) valued_list += (valued_list.empty() ? "" : "|") + v;
  out +=
      "  esac\n"
      "  local path=\"\" i w\n"
      "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      "    w=${COMP_WORDS[i]}\n"
      "    case \"$w\" in\n"
      "      " +
      valued_list +
      ") ((i++)) ;;\n"
      "      -*) ;;\n"
      "      *) path=\"${path:+$path }$w\" ;;\n"
      "    esac\n"
      "  done\n"
      "  local offers=\"\"\n"
      "  case \"$path\" in\n";
  for (const auto& [path, words] : next) {
    out += "    \"" + path + "\") offers=\"" + join(words) + "\" ;;\n";
  }
  for (const auto& [path, words] : leaves) {
    out += "    \"" + path + "\"|\"" + path + " \"*) offers=\"" + join(words) + "\" ;;\n";
  }
  out +=
      "  esac\n"
      "  COMPREPLY=($(compgen -W \"$offers\" -- \"$cur\"))\n"
      "}\n"
      "complete -F _dstmctl dstmctl\n";
  return out;
}

}  // namespace dstm::ctl
