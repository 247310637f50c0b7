// dstmctl: the operator's CLI for dstm-agent and dstm-server over their control sockets
// (PROTOCOL.md). Everything it offers comes from the command table (command_table.cpp); this
// file turns the table into CLI11 subcommands, checks arguments, sends the request and prints.
//
// Exit status: 0 success; 1 the daemon answered an error (or an invalid answer); 2 usage error
// (including a malformed address); 3 the daemon is unreachable.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <iostream>
#include <string>
#include <vector>

#include "client.h"
#include "command_table.h"
#include "config_check.h"
#include "json/json.h"
#include "net/net.h"
#include "render.h"

#ifndef DSTM_VERSION
#define DSTM_VERSION "unknown"
#endif

namespace dstm::ctl {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnreachable = 3;

struct Globals {
  std::string agent_socket = "/run/dstm/agent.sock";
  std::string server_socket = "/run/dstm/server.sock";
  bool server = false;
  bool json = false;
  std::uint64_t timeout_ms = 5000;
};

// What CLI11 fills in for one leaf command; sized once, so the references CLI11 keeps stay valid.
struct Leaf {
  const Command* command = nullptr;
  CLI::App* app = nullptr;
  std::vector<std::string> values;    // one per ArgSpec (positionals and options)
  std::vector<int> flags;             // one per ArgSpec (flags)
  std::vector<std::string> keywords;  // "ipv4 A ipv6 B": the keyword arguments' words
};

// The metavar CLI11 shows after an argument in --help.
std::string type_name(ValueType t) {
  switch (t) {
    case ValueType::kIpv4:
      return "IPv4";
    case ValueType::kIpv6:
      return "IPv6";
    case ValueType::kUint:
      return "N";
    case ValueType::kChoice:
      return "WORD";
    case ValueType::kText:
    case ValueType::kBool:
      return "TEXT";
  }
  return "TEXT";
}

std::string words_of(const ArgSpec& a) {
  return a.kind == ArgKind::kOption || a.kind == ArgKind::kFlag ? "--" + std::string(a.name)
                                                                : std::string(a.name);
}

struct UsageError {
  std::string message;
};

// Checks one value against its type; returns it as the JSON the daemon expects.
Expected<json::Value, UsageError> convert(const Command& c, const ArgSpec& a,
                                          const std::string& text) {
  auto bad = [&](std::string_view what) {
    return unexpected(UsageError{std::string(c.words) + ": " + words_of(a) + " '" + text +
                                 "' is not " + std::string(what)});
  };
  switch (a.type) {
    case ValueType::kIpv4:
      if (auto v4 = net::Ipv4Address::parse(text)) return json::Value(v4->to_string());
      return bad("an IPv4 address");
    case ValueType::kIpv6:
      if (auto v6 = net::Ipv6Address::parse(text)) return json::Value(v6->to_string());
      return bad("an IPv6 address");
    case ValueType::kUint: {
      std::uint64_t n = 0;
      bool ok = !text.empty() && text.size() <= 19;
      for (char ch : text) {
        if (ch < '0' || ch > '9') ok = false;
        n = n * 10 + static_cast<std::uint64_t>(ch - '0');
      }
      if (!ok) return bad("a non-negative integer");
      return json::Value(n);
    }
    case ValueType::kChoice:
      for (std::size_t pos = 0; pos < a.choices.size();) {
        std::size_t end = std::min(a.choices.find(' ', pos), a.choices.size());
        if (a.choices.substr(pos, end - pos) == text) return json::Value(text);
        pos = end + 1;
      }
      return bad("one of: " + std::string(a.choices));
    case ValueType::kText:
    case ValueType::kBool:
      return json::Value(text);
  }
  return bad("valid");
}

// The request's "args" from what the user typed; only what was given is sent.
Expected<json::Value, UsageError> build_args(const Leaf& leaf) {
  const Command& c = *leaf.command;
  json::Value args(json::Object{});
  for (std::size_t i = 0; i < c.args.size(); ++i) {
    const ArgSpec& a = c.args[i];
    if (a.kind == ArgKind::kFlag) {
      if (leaf.flags[i] && !a.key.empty()) args[a.key] = true;
      continue;
    }
    if (a.kind == ArgKind::kKeyword) continue;  // below
    CLI::Option* opt = leaf.app->get_option_no_throw(words_of(a));
    if (!opt || opt->count() == 0) continue;
    auto v = convert(c, a, leaf.values[i]);
    if (!v) return unexpected(v.error());
    if (!a.key.empty()) args[a.key] = std::move(*v);
  }
  // Keyword arguments come in pairs: "ipv4 192.0.2.1".
  int group_seen = 0;
  std::string group_word;
  for (std::size_t w = 0; w < leaf.keywords.size(); w += 2) {
    const std::string& word = leaf.keywords[w];
    const ArgSpec* spec = nullptr;
    for (const ArgSpec& a : c.args) {
      if (a.kind == ArgKind::kKeyword && a.name == word) spec = &a;
    }
    if (!spec) {
      return unexpected(UsageError{std::string(c.words) + ": unexpected '" + word + "'"});
    }
    if (w + 1 >= leaf.keywords.size()) {
      return unexpected(UsageError{std::string(c.words) + ": '" + word + "' needs a value"});
    }
    if (spec->exclusive_group && spec->exclusive_group == group_seen) {
      return unexpected(UsageError{std::string(c.words) + ": give either '" + group_word +
                                   "' or '" + word + "', not both"});
    }
    group_seen = spec->exclusive_group;
    group_word = word;
    auto v = convert(c, *spec, leaf.keywords[w + 1]);
    if (!v) return unexpected(v.error());
    args[spec->key] = std::move(*v);
  }
  return args;
}

std::string daemon_name(bool server) {
  return server ? "dstm-server" : "dstm-agent";
}

// Sends one request; on failure prints why and sets `exit_code`.
std::optional<json::Value> request(const Globals& g, bool server, std::string_view cmd,
                                   const json::Value& args, int& exit_code) {
  std::string daemon = daemon_name(server);
  auto answer = call(server ? g.server_socket : g.agent_socket, daemon, cmd, args,
                     std::chrono::milliseconds(g.timeout_ms));
  if (!answer) {
    std::cerr << "dstmctl: " << answer.error().message << '\n';
    exit_code =
        answer.error().kind == CallError::Kind::kUnreachable ? kExitUnreachable : kExitError;
    return std::nullopt;
  }
  if (!answer->find("ok")->as_bool()) {
    std::cerr << "dstmctl: " << daemon << ": " << answer->find("error")->as_string();
    if (const json::Value* code = answer->find("code"); code && code->is_integer()) {
      std::cerr << " (code " << code->as_int() << ')';
    }
    std::cerr << '\n';
    exit_code = kExitError;
    return std::nullopt;
  }
  return *answer->find("result");
}

int run(const Globals& g, const Leaf& leaf) {
  const Command& c = *leaf.command;
  auto args = build_args(leaf);
  if (!args) {
    std::cerr << "dstmctl: " << args.error().message << '\n';
    return kExitUsage;
  }
  if (c.special == Special::kCompletion) {
    std::cout << bash_completion();
    return kExitOk;
  }
  if (c.special == Special::kConfigCheck) {
    const json::Value* kind = args->find("kind");
    return check_config(args->find("file")->as_string(), kind != nullptr ? kind->as_string() : "auto",
                        std::cout, std::cerr);
  }
  bool server = c.daemon == Daemon::kServer || (c.daemon == Daemon::kEither && g.server);
  if (c.daemon == Daemon::kAgent && g.server) {
    std::cerr << "dstmctl: " << c.words << " is served by dstm-agent only (drop --server)\n";
    return kExitUsage;
  }
  int exit_code = kExitOk;
  if (c.special == Special::kMetrics) {
    if (g.json) {
      std::cerr << "dstmctl: metrics prints the Prometheus text format; -j does not apply\n";
      return kExitUsage;
    }
    auto status = request(g, server, "status", json::Value(json::Object{}), exit_code);
    if (!status) return exit_code;
    // The agent answers "counters" with an error while no dataplane publishes statistics;
    // that is exactly when the status gauges (dstm_dataplane_attached 0) matter, so they are
    // still written, without the counter families.
    auto counters =
        call(server ? g.server_socket : g.agent_socket, daemon_name(server), "counters",
             json::Value(json::Object{{"all", true}}), std::chrono::milliseconds(g.timeout_ms));
    if (!counters) {
      std::cerr << "dstmctl: " << counters.error().message << '\n';
      return counters.error().kind == CallError::Kind::kUnreachable ? kExitUnreachable : kExitError;
    }
    if (!counters->find("ok")->as_bool()) {
      std::cerr << "dstmctl: warning: " << daemon_name(server) << ": "
                << counters->find("error")->as_string() << " (counters left out)\n";
      std::cout << prometheus_metrics(*status, json::Value());
      return kExitOk;
    }
    std::cout << prometheus_metrics(*status, *counters->find("result"));
    return kExitOk;
  }
  auto result = request(g, server, c.cmd, *args, exit_code);
  if (!result) return exit_code;
  if (g.json) {
    std::cout << json::serialize_pretty(*result) << '\n';
  } else {
    c.render(*result, *args, std::cout);
  }
  return kExitOk;
}

constexpr const char* kDescription =
    "dstmctl drives the DSTM tunnel end point's control plane (dstm-agent) and the DSTM server\n"
    "(dstm-server) over their Unix control sockets. It shows their state as aligned tables\n"
    "(or JSON with -j), adds and removes static mappings, releases leases, clears counters,\n"
    "reloads configuration, and exports metrics for Prometheus. `show` commands never change\n"
    "anything. Commands that both daemons serve go to dstm-agent unless --server is given.";

constexpr const char* kFooter =
    "EXIT STATUS\n"
    "  0  success\n"
    "  1  the daemon answered with an error (printed on stderr, with its TSP code if any)\n"
    "  2  usage error: unknown command or option, missing or malformed argument or address\n"
    "  3  the daemon is unreachable: no socket, nothing listening, or no answer in time\n"
    "\n"
    "ENVIRONMENT\n"
    "  DSTM_AGENT_SOCKET   dstm-agent's control socket (default /run/dstm/agent.sock)\n"
    "  DSTM_SERVER_SOCKET  dstm-server's control socket (default /run/dstm/server.sock)\n"
    "\n"
    "EXAMPLES\n"
    "  dstmctl show status\n"
    "  dstmctl show mappings ipv4 192.0.2.17\n"
    "  dstmctl show mappings --offset 100 --limit 100\n"
    "  dstmctl show counters drop --all\n"
    "  dstmctl mapping add 192.0.2.17 2001:db8:1::17\n"
    "  dstmctl -j show leases node7\n"
    "  dstmctl metrics --format prometheus > /var/lib/node_exporter/dstm.prom.$$ &&\n"
    "    mv /var/lib/node_exporter/dstm.prom.$$ /var/lib/node_exporter/dstm.prom\n"
    "  source <(dstmctl completion bash)\n"
    "\n"
    "The protocol is documented in controlplane/ctl/PROTOCOL.md; more in "
    "controlplane/ctl/README.md.";

int main_impl(int argc, char** argv) {
  Globals g;
  CLI::App app(kDescription, "dstmctl");
  app.footer(kFooter);
  app.set_version_flag("--version", DSTM_VERSION);
  app.require_subcommand(1);
  app.add_option("--agent-socket", g.agent_socket, "dstm-agent's control socket")
      ->envname("DSTM_AGENT_SOCKET")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
      ->capture_default_str();
  app.add_option("--server-socket", g.server_socket, "dstm-server's control socket")
      ->envname("DSTM_SERVER_SOCKET")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
      ->capture_default_str();
  app.add_flag("--server", g.server,
               "send commands both daemons serve (show status, show counters, clear counters, "
               "reload) to dstm-server");
  app.add_flag("-j,--json", g.json, "print the daemon's result as JSON instead of a table");
  app.add_option("--timeout", g.timeout_ms, "how long to wait for the daemon, in milliseconds")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{3600000}))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
      ->capture_default_str();

  // The subcommand tree, built from the table's words.
  std::vector<std::pair<std::string, CLI::App*>> nodes;  // path -> subcommand
  auto node = [&](CLI::App* parent, const std::string& path, const std::string& word,
                  std::string_view help) {
    for (auto& [p, a] : nodes) {
      if (p == path) return a;
    }
    CLI::App* sub = parent->add_subcommand(word, std::string(help));
    sub->fallthrough();  // global options may come after the command words too
    sub->footer("Global options, exit status, environment and examples: dstmctl --help");
    nodes.emplace_back(path, sub);
    return sub;
  };
  std::deque<Leaf> leaves;  // a deque: CLI11 keeps pointers into each Leaf
  for (const Command& c : commands()) {
    CLI::App* parent = &app;
    std::string path;
    std::string_view rest = c.words;
    while (!rest.empty()) {
      std::size_t sp = rest.find(' ');
      std::string word(rest.substr(0, sp));
      rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
      path += (path.empty() ? "" : " ") + word;
      std::string_view help = c.help;
      if (!rest.empty()) {
        for (const Group& gr : groups()) {
          if (gr.word == word) help = gr.help;
        }
      }
      CLI::App* sub = node(parent, path, word, help);
      if (!rest.empty()) sub->require_subcommand(1);
      parent = sub;
    }
    Leaf& leaf = leaves.emplace_back();
    leaf.command = &c;
    leaf.app = parent;
    leaf.values.resize(c.args.size());
    leaf.flags.resize(c.args.size());
    std::string keyword_help;
    int keyword_count = 0;
    for (std::size_t i = 0; i < c.args.size(); ++i) {
      const ArgSpec& a = c.args[i];
      std::string help(a.help);
      if (a.type == ValueType::kChoice) help += " (" + std::string(a.choices) + ")";
      switch (a.kind) {
        case ArgKind::kPositional: {
          CLI::Option* o = parent->add_option(std::string(a.name), leaf.values[i], help);
          o->type_name(type_name(a.type));
          if (a.required) o->required();
          break;
        }
        case ArgKind::kOption: {
          CLI::Option* o = parent->add_option("--" + std::string(a.name), leaf.values[i], help);
          o->type_name(type_name(a.type));
          if (a.required) o->required();
          break;
        }
        case ArgKind::kFlag:
          parent->add_flag("--" + std::string(a.name), leaf.flags[i], help);
          break;
        case ArgKind::kKeyword:
          keyword_help += (keyword_help.empty() ? "" : " | ") + std::string(a.name) + " " +
                          (a.type == ValueType::kIpv4 ? "A" : "B") + ": " + help;
          ++keyword_count;
          break;
      }
    }
    if (keyword_count) {
      parent->add_option("SELECT", leaf.keywords, keyword_help);
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // "A subcommand is required" hides the real mistake when a word was not a command.
    const CLI::App* deepest = &app;
    for (bool deeper = true; deeper;) {
      deeper = false;
      for (const CLI::App* sub : deepest->get_subcommands()) {
        deepest = sub;
        deeper = true;
      }
    }
    std::vector<std::string> rest = app.remaining(true);
    std::string what = e.what();
    if (!rest.empty() && !rest[0].empty() && rest[0][0] != '-' &&
        deepest->get_require_subcommand_min() > 0) {
      what = "unknown command '" + rest[0] + "'" +
             (deepest == &app ? std::string() : " after '" + deepest->get_name() + "'");
    } else if (rest.empty() && deepest->get_require_subcommand_min() > 0 &&
               deepest->get_subcommands().empty()) {
      what = (deepest == &app ? std::string("dstmctl needs a command, one of:")
                              : "'" + deepest->get_name() + "' needs one of:");
      for (const CLI::App* sub : deepest->get_subcommands({})) what += " " + sub->get_name();
    }
    std::cerr << "dstmctl: " << what << "\nRun 'dstmctl --help' for usage.\n";
    return kExitUsage;
  }
  for (const Leaf& leaf : leaves) {
    if (leaf.app->parsed()) return run(g, leaf);
  }
  std::cerr << "dstmctl: no command given\nRun 'dstmctl --help' for usage.\n";
  return kExitUsage;
}

}  // namespace
}  // namespace dstm::ctl

int main(int argc, char** argv) {
  return dstm::ctl::main_impl(argc, argv);
}
