// dstmctl's one declarative command table (STYLE.md §9): every command's words, the daemon it
// talks to, the control-socket command it sends (PROTOCOL.md), its arguments and its renderer.
// The CLI11 subcommands, --help and the bash completion are all generated from it.
#pragma once

#include <iosfwd>
#include <span>
#include <string>
#include <string_view>

#include "json/json.h"

namespace dstm::ctl {

enum class Daemon {
  kAgent,   // dstm-agent only
  kServer,  // dstm-server only
  kEither,  // dstm-agent, or dstm-server with --server
  kLocal,   // no daemon: dstmctl answers itself
};

enum class ArgKind {
  kPositional,  // a value in its place: `mapping add V4 V6`
  kKeyword,     // a word then its value: `show mappings ipv4 A`
  kOption,      // --name VALUE
  kFlag,        // --name
};

enum class ValueType {
  kIpv4,    // checked with net::Ipv4Address::parse, sent in canonical form
  kIpv6,    // checked with net::Ipv6Address::parse, sent in canonical form (RFC 5952)
  kUint,    // a decimal integer, sent as a JSON integer
  kText,    // sent as a JSON string
  kChoice,  // one of `choices` (space separated); used by dstmctl itself, not sent
  kBool,    // kFlag: sent as true when given
};

struct ArgSpec {
  std::string_view name;  // positional: its metavar; keyword: the word; option/flag: long name
  ArgKind kind;
  ValueType type;
  std::string_view key;  // the member of "args" it fills; empty: not sent
  bool required;
  std::string_view help;
  std::string_view choices = {};
  int exclusive_group = 0;  // keywords with the same non-zero group exclude each other
};

// What a command does beyond "send one request, render its result".
enum class Special { kNone, kMetrics, kCompletion, kConfigCheck };

// Prints a successful result (the daemon's "result" value) for humans.
using Renderer = void (*)(const json::Value& result, const json::Value& args, std::ostream& out);

struct Command {
  std::string_view words;  // "show mappings": the subcommand path
  Daemon daemon;
  std::string_view cmd;  // the control-socket command (PROTOCOL.md)
  std::span<const ArgSpec> args;
  Renderer render;
  std::string_view help;  // one line, shown in --help
  Special special = Special::kNone;
};

// The table, in --help order.
std::span<const Command> commands();

// Help for the intermediate words ("show", "mapping", ...).
struct Group {
  std::string_view word;
  std::string_view help;
};
std::span<const Group> groups();

// The bash completion script, generated from the table.
std::string bash_completion();

}  // namespace dstm::ctl
