// How dstmctl shows results to people: aligned tables, human units, one renderer per command.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "json/json.h"

namespace dstm::ctl {

// Columns aligned to their widest cell, two spaces apart; numbers right-aligned. No header
// line when every header is empty (a "label  value" list).
class Table {
 public:
  enum class Align { kLeft, kRight };
  struct Column {
    std::string header;
    Align align = Align::kLeft;
  };
  explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}
  void add_row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  bool empty() const { return rows_.empty(); }
  void print(std::ostream& out) const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// Human units.
std::string format_rate_pps(double pps);             // "950 pps", "12.5 kpps", "1.48 Mpps"
std::string format_bytes(std::uint64_t bytes);       // "512 B", "1.5 KiB", "2.0 GiB"
std::string format_duration(std::uint64_t seconds);  // "45s", "3m 5s", "2h 3m", "1d 2h 3m"
std::string format_time(std::int64_t unix_seconds);  // "2026-11-22 09:00:00Z" (UTC)
// A JSON scalar as text: strings bare, numbers exact, booleans yes/no, null "-".
std::string format_scalar(const json::Value& v);

// Renderers (command_table.cpp names them in the table).
void render_status(const json::Value& result, const json::Value& args, std::ostream& out);
void render_mappings(const json::Value& result, const json::Value& args, std::ostream& out);
void render_counters(const json::Value& result, const json::Value& args, std::ostream& out);
void render_mapping_add(const json::Value& result, const json::Value& args, std::ostream& out);
void render_mapping_del(const json::Value& result, const json::Value& args, std::ostream& out);
void render_counters_cleared(const json::Value& result, const json::Value& args, std::ostream& out);
void render_reload(const json::Value& result, const json::Value& args, std::ostream& out);
void render_leases(const json::Value& result, const json::Value& args, std::ostream& out);
void render_pools(const json::Value& result, const json::Value& args, std::ostream& out);
void render_lease_release(const json::Value& result, const json::Value& args, std::ostream& out);
void render_teps(const json::Value& result, const json::Value& args, std::ostream& out);
void render_sessions(const json::Value& result, const json::Value& args, std::ostream& out);
// Anything: scalars as "key  value" lines, arrays of objects as tables.
void render_generic(const json::Value& result, const json::Value& args, std::ostream& out);

// Prometheus text exposition format 0.0.4 from dstm-agent's "status" and "counters" results;
// `counters` null leaves the counter families out.
std::string prometheus_metrics(const json::Value& status, const json::Value& counters);

}  // namespace dstm::ctl
