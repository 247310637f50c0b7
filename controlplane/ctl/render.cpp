// Tables, human units and the per-command renderers (result shapes: PROTOCOL.md).
#include "render.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <ostream>

namespace dstm::ctl {

using json::Array;
using json::Value;

void Table::print(std::ostream& out) const {
  std::vector<std::size_t> width(columns_.size(), 0);
  for (std::size_t c = 0; c < columns_.size(); ++c) width[c] = columns_[c].header.size();
  for (const auto& row : rows_) {
    for (std::size_t c = 0; c < row.size() && c < width.size(); ++c) {
      width[c] = std::max(width[c], row[c].size());
    }
  }
  auto line = [&](auto cell_of) {
    std::string text;
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      std::string cell = cell_of(c);
      std::string pad(width[c] - std::min(width[c], cell.size()), ' ');
      bool last = c + 1 == columns_.size();
      if (columns_[c].align == Align::kRight) {
        text += pad + cell;
      } else {
        text += cell + (last ? "" : pad);
      }
      if (!last) text += "  ";
    }
    out << text << '\n';
  };
  bool headless = std::all_of(columns_.begin(), columns_.end(),
                              [](const Column& c) { return c.header.empty(); });
  if (!headless) line([&](std::size_t c) { return columns_[c].header; });
  for (const auto& row : rows_) {
    line([&](std::size_t c) { return c < row.size() ? row[c] : std::string(); });
  }
}

namespace {

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

const Value& member(const Value& v, std::string_view key) {
  static const Value kNull;
  const Value* m = v.find(key);
  return m ? *m : kNull;
}

std::string text(const Value& v, std::string_view key) {
  return format_scalar(member(v, key));
}

std::string time_of(const Value& v, std::string_view key) {
  const Value& m = member(v, key);
  return m.is_integer() ? format_time(m.as_int()) : format_scalar(m);
}

// "1-2 of 5 mappings (next page: --offset 2)"
void print_page(const Value& result, std::size_t shown, std::string_view noun, std::ostream& out) {
  std::uint64_t total = member(result, "total").as_uint();
  std::uint64_t offset = member(result, "offset").as_uint();
  if (shown == 0) {
    out << "no " << noun << (total ? " at offset " + std::to_string(offset) : std::string()) << " ("
        << total << " in all)\n";
    return;
  }
  out << offset + 1 << '-' << offset + shown << " of " << total << ' ' << noun;
  if (offset + shown < total) out << " (next page: --offset " << offset + shown << ')';
  out << '\n';
}

}  // namespace

std::string format_rate_pps(double pps) {
  if (pps < 1000) return fixed(pps, 0) + " pps";
  if (pps < 1e6) return fixed(pps / 1e3, 1) + " kpps";
  return fixed(pps / 1e6, 2) + " Mpps";
}

std::string format_bytes(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double v = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (v >= 1024 && unit + 1 < std::size(kUnits)) {
    v /= 1024;
    ++unit;
  }
  return fixed(v, 1) + " " + kUnits[unit];
}

std::string format_duration(std::uint64_t s) {
  std::uint64_t d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;
  auto n = [](std::uint64_t v, char unit) { return std::to_string(v) + unit; };
  if (d) return n(d, 'd') + " " + n(h, 'h') + " " + n(m, 'm');
  if (h) return n(h, 'h') + " " + n(m, 'm');
  if (m) return n(m, 'm') + " " + n(sec, 's');
  return n(sec, 's');
}

std::string format_time(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  if (!gmtime_r(&t, &tm)) return std::to_string(unix_seconds);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
  return buf;
}

std::string format_scalar(const Value& v) {
  if (v.is_null()) return "-";
  if (v.is_bool()) return v.as_bool() ? "yes" : "no";
  if (v.is_string()) return v.as_string();
  if (v.is_number() && !v.is_integer()) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v.as_double());
    return std::string(buf, r.ptr);
  }
  return json::serialize(v);  // integers exact; arrays and objects as compact JSON
}

void render_status(const Value& result, const Value& args, std::ostream& out) {
  const Value* agent = result.find("agent");
  const Value* dataplane = result.find("dataplane");
  if (!agent || !dataplane) {
    render_generic(result, args, out);  // dstm-server's status
    return;
  }
  Table summary({{""}, {""}});
  summary.add_row({"agent", "version " + text(*agent, "version") + ", pid " + text(*agent, "pid") +
                                ", generation " + text(*agent, "generation") + ", up " +
                                format_duration(member(*agent, "uptime_s").as_uint()) + ", " +
                                text(*agent, "tsp_sessions") + " TSP sessions"});
  if (member(*dataplane, "attached").as_bool()) {
    summary.add_row({"dataplane", "attached, pid " + text(*dataplane, "pid") + ", generation " +
                                      text(*dataplane, "generation") + ", heartbeat " +
                                      text(*dataplane, "heartbeat_age_ms") + " ms ago"});
  } else {
    summary.add_row(
        {"dataplane", "NOT ATTACHED (last generation " + text(*dataplane, "generation") + ")"});
  }
  std::uint64_t applied = member(*dataplane, "applied_sequence").as_uint();
  std::uint64_t next = member(*dataplane, "next_sequence").as_uint();
  std::uint64_t pending = next > applied + 1 ? next - applied - 1 : 0;
  summary.add_row({"sequence", "applied " + std::to_string(applied) + ", next " +
                                   std::to_string(next) + ", " + std::to_string(pending) +
                                   " pending"});
  summary.add_row({"mappings", text(result, "mappings")});
  // Members beyond the protocol's (dstm-agent adds "tsp": its TSP counters): one line each.
  for (const auto& [key, value] : result.as_object()) {
    if (key == "agent" || key == "dataplane" || key == "mappings" || key == "pools") continue;
    std::string line;
    if (value.is_object()) {
      for (const auto& [k, v] : value.as_object()) {
        line += (line.empty() ? "" : ", ") + k + " " + format_scalar(v);
      }
    } else {
      line = format_scalar(value);
    }
    summary.add_row({key, line});
  }
  summary.print(out);

  const Array& lcores = member(*dataplane, "lcores").as_array();
  if (!lcores.empty()) {
    Table t({{"LCORE", Table::Align::kRight},
             {"RX", Table::Align::kRight},
             {"TX", Table::Align::kRight}});
    for (const Value& l : lcores) {
      t.add_row({text(l, "lcore"), format_rate_pps(member(l, "rx_pps").as_double()),
                 format_rate_pps(member(l, "tx_pps").as_double())});
    }
    out << '\n';
    t.print(out);
  }
  const Array& pools = member(result, "pools").as_array();
  if (!pools.empty()) {
    Table t({{"POOL"},
             {"SIZE", Table::Align::kRight},
             {"USED", Table::Align::kRight},
             {"USED%", Table::Align::kRight}});
    for (const Value& p : pools) {
      double size = member(p, "size").as_double();
      double used = member(p, "used").as_double();
      t.add_row({text(p, "prefix"), text(p, "size"), text(p, "used"),
                 size > 0 ? fixed(100 * used / size, 1) + "%" : "-"});
    }
    out << '\n';
    t.print(out);
  }
}

void render_mappings(const Value& result, const Value&, std::ostream& out) {
  const Array& items = member(result, "items").as_array();
  if (!items.empty()) {
    Table t({{"IPV4"}, {"IPV6"}, {"ORIGIN"}, {"SINCE"}});
    for (const Value& m : items) {
      t.add_row({text(m, "ipv4"), text(m, "ipv6"), text(m, "origin"), time_of(m, "since")});
    }
    t.print(out);
  }
  print_page(result, items.size(), "mappings", out);
}

void render_counters(const Value& result, const Value&, std::ostream& out) {
  const Array& counters = member(result, "counters").as_array();
  if (counters.empty()) {
    out << "no counters to show (zero counters are hidden; --all shows them)\n";
    return;
  }
  Table t({{"COUNTER"},
           {"PACKETS", Table::Align::kRight},
           {"BYTES", Table::Align::kRight},
           {"DESCRIPTION"}});
  for (const Value& c : counters) {
    t.add_row({text(c, "name"), text(c, "packets"), format_bytes(member(c, "bytes").as_uint()),
               text(c, "description")});
  }
  t.print(out);
}

void render_mapping_add(const Value& result, const Value& args, std::ostream& out) {
  out << "mapping " << text(args, "ipv4") << " -> " << text(args, "ipv6") << " applied (sequence "
      << text(result, "applied_sequence") << ")\n";
}

void render_mapping_del(const Value& result, const Value& args, std::ostream& out) {
  out << "mapping " << text(args, "ipv4") << " removed (sequence "
      << text(result, "applied_sequence") << ")\n";
}

void render_counters_cleared(const Value&, const Value&, std::ostream& out) {
  out << "counters cleared\n";
}

void render_reload(const Value& result, const Value&, std::ostream& out) {
  const Array& changed = member(result, "changed").as_array();
  if (changed.empty()) {
    out << "configuration reloaded: nothing changed\n";
    return;
  }
  out << "configuration reloaded; changed:";
  for (const Value& c : changed) out << ' ' << format_scalar(c);
  out << '\n';
}

void render_leases(const Value& result, const Value&, std::ostream& out) {
  const Array& items = member(result, "items").as_array();
  if (!items.empty()) {
    Table t({{"IPV4"}, {"IPV6"}, {"IDENTITY"}, {"EXPIRES"}, {"STATE"}});
    for (const Value& l : items) {
      t.add_row({text(l, "ipv4"), text(l, "ipv6"), text(l, "identity"), time_of(l, "expires"),
                 text(l, "state")});
    }
    t.print(out);
  }
  print_page(result, items.size(), "leases", out);
}

void render_pools(const Value& result, const Value&, std::ostream& out) {
  Table t({{"POOL"},
           {"SIZE", Table::Align::kRight},
           {"USED", Table::Align::kRight},
           {"EXCLUDED", Table::Align::kRight},
           {"FREE", Table::Align::kRight}});
  for (const Value& p : member(result, "pools").as_array()) {
    std::uint64_t size = member(p, "size").as_uint(), used = member(p, "used").as_uint(),
                  excluded = member(p, "excluded").as_uint();
    std::uint64_t taken = used + excluded;
    t.add_row({text(p, "prefix"), text(p, "size"), text(p, "used"), text(p, "excluded"),
               std::to_string(size > taken ? size - taken : 0)});
  }
  t.print(out);
}

void render_lease_release(const Value&, const Value& args, std::ostream& out) {
  out << "lease " << text(args, "ipv4") << " released\n";
}

void render_teps(const Value& result, const Value&, std::ostream& out) {
  Table t({{"TEP"}, {"ENDPOINT"}, {"STATE"}, {"MAPPINGS", Table::Align::kRight}});
  for (const Value& e : member(result, "teps").as_array()) {
    t.add_row({text(e, "name"), text(e, "endpoint"), text(e, "state"), text(e, "mappings")});
  }
  t.print(out);
}

void render_sessions(const Value& result, const Value&, std::ostream& out) {
  Table t({{"PEER"}, {"IDENTITY"}, {"SINCE"}, {"STATE"}});
  for (const Value& s : member(result, "sessions").as_array()) {
    t.add_row({text(s, "peer"), text(s, "identity"), time_of(s, "since"), text(s, "state")});
  }
  t.print(out);
}

namespace {

void generic(const Value& v, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>& lines,
             std::vector<std::pair<std::string, const Array*>>& tables) {
  if (v.is_object()) {
    for (const auto& [k, m] : v.as_object()) {
      generic(m, prefix.empty() ? k : prefix + "." + k, lines, tables);
    }
  } else if (v.is_array() && !v.as_array().empty() && v.as_array()[0].is_object()) {
    tables.emplace_back(prefix, &v.as_array());
  } else {
    lines.emplace_back(prefix.empty() ? "result" : prefix, format_scalar(v));
  }
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return s;
}

}  // namespace

void render_generic(const Value& result, const Value&, std::ostream& out) {
  std::vector<std::pair<std::string, std::string>> lines;
  std::vector<std::pair<std::string, const Array*>> tables;
  generic(result, "", lines, tables);
  std::size_t width = 0;
  for (const auto& [k, v] : lines) width = std::max(width, k.size());
  for (const auto& [k, v] : lines) out << k << std::string(width - k.size() + 2, ' ') << v << '\n';
  for (const auto& [name, rows] : tables) {
    // Columns: the members of the first row, in its order.
    std::vector<Table::Column> columns;
    for (const auto& [k, m] : (*rows)[0].as_object()) columns.push_back({upper(k)});
    Table t(columns);
    for (const Value& row : *rows) {
      std::vector<std::string> cells;
      for (const auto& [k, m] : (*rows)[0].as_object()) cells.push_back(text(row, k));
      t.add_row(std::move(cells));
    }
    out << '\n' << name << ":\n";
    t.print(out);
  }
}

}  // namespace dstm::ctl
