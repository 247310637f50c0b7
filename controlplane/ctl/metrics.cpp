// `dstmctl metrics --format prometheus`: the Prometheus text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/), as node_exporter's textfile
// collector reads it: each family once, "# HELP" and "# TYPE" before its samples, label values
// escaped (\\, \", \n), counters named *_total.
#include <charconv>
#include <string>

#include "render.h"

namespace dstm::ctl {

namespace {

using json::Array;
using json::Value;

std::string label_value(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string number(const Value& v) {
  if (v.is_int64()) return std::to_string(v.as_int());
  if (v.is_integer()) return std::to_string(v.as_uint());
  if (v.is_bool()) return v.as_bool() ? "1" : "0";
  if (!v.is_number()) return "NaN";
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v.as_double());
  return std::string(buf, r.ptr);
}

const Value& member(const Value& v, std::string_view key) {
  static const Value kNull;
  const Value* m = v.find(key);
  return m ? *m : kNull;
}

class Exposition {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP " + std::string(name) + " " + std::string(help) + "\n";
    out_ += "# TYPE " + std::string(name) + " " + std::string(type) + "\n";
  }
  void sample(std::string_view name, const Value& v, std::string_view label = {},
              std::string_view label_text = {}) {
    out_ += name;
    if (!label.empty()) {
      out_ += "{" + std::string(label) + "=\"" + label_value(label_text) + "\"}";
    }
    out_ += " " + number(v) + "\n";
  }
  // A gauge family with one unlabelled sample, skipped when the daemon did not send it.
  void gauge(std::string_view name, std::string_view help, const Value& v) {
    if (v.is_null()) return;
    family(name, "gauge", help);
    sample(name, v);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string prometheus_metrics(const Value& status, const Value& counters) {
  Exposition e;
  // No "counters" result (no dataplane statistics): no counter families at all.
  if (counters.is_object()) {
    const Array& list = member(counters, "counters").as_array();
    e.family("dstm_dataplane_packets_total", "counter",
             "Packets counted by dstm-dataplane, by counter (dataplane/counters.def).");
    for (const Value& c : list) {
      e.sample("dstm_dataplane_packets_total", member(c, "packets"), "counter",
               member(c, "name").as_string());
    }
    e.family("dstm_dataplane_bytes_total", "counter",
             "Bytes counted by dstm-dataplane, by counter (dataplane/counters.def).");
    for (const Value& c : list) {
      e.sample("dstm_dataplane_bytes_total", member(c, "bytes"), "counter",
               member(c, "name").as_string());
    }
  }

  const Value& agent = member(status, "agent");
  if (agent.is_object()) {
    e.family("dstm_agent_info", "gauge", "dstm-agent's version, as a label; always 1.");
    e.sample("dstm_agent_info", Value(1), "version", member(agent, "version").as_string());
  }
  e.gauge("dstm_agent_uptime_seconds", "Seconds since dstm-agent started.",
          member(agent, "uptime_s"));
  e.gauge("dstm_agent_generation", "dstm-agent's generation (it changes when the agent restarts).",
          member(agent, "generation"));
  e.gauge("dstm_agent_tsp_sessions", "Open TSP sessions from DSTM servers.",
          member(agent, "tsp_sessions"));

  const Value& dp = member(status, "dataplane");
  e.gauge("dstm_dataplane_attached", "1 when dstm-agent is attached to a running dstm-dataplane.",
          member(dp, "attached"));
  e.gauge("dstm_dataplane_generation",
          "dstm-dataplane's generation (it changes when the dataplane restarts).",
          member(dp, "generation"));
  const Value& age = member(dp, "heartbeat_age_ms");
  e.gauge("dstm_dataplane_heartbeat_age_seconds", "Seconds since dstm-dataplane's last heartbeat.",
          age.is_null() ? age : Value(age.as_double() / 1000));
  e.gauge("dstm_dataplane_applied_sequence",
          "The last mapping update sequence the dataplane applied.",
          member(dp, "applied_sequence"));
  e.gauge("dstm_dataplane_next_sequence", "The sequence dstm-agent gives its next update.",
          member(dp, "next_sequence"));
  const Array& lcores = member(dp, "lcores").as_array();
  if (!lcores.empty()) {
    e.family("dstm_dataplane_lcore_rx_packets_per_second", "gauge",
             "Packets received per second, by worker lcore.");
    for (const Value& l : lcores) {
      e.sample("dstm_dataplane_lcore_rx_packets_per_second", member(l, "rx_pps"), "lcore",
               number(member(l, "lcore")));
    }
    e.family("dstm_dataplane_lcore_tx_packets_per_second", "gauge",
             "Packets sent per second, by worker lcore.");
    for (const Value& l : lcores) {
      e.sample("dstm_dataplane_lcore_tx_packets_per_second", member(l, "tx_pps"), "lcore",
               number(member(l, "lcore")));
    }
  }

  e.gauge("dstm_mappings", "IPv4 -> IPv6 mappings dstm-agent holds.", member(status, "mappings"));
  const Array& pools = member(status, "pools").as_array();
  if (!pools.empty()) {
    e.family("dstm_pool_size_addresses", "gauge", "Addresses in each pool.");
    for (const Value& p : pools) {
      e.sample("dstm_pool_size_addresses", member(p, "size"), "prefix",
               member(p, "prefix").as_string());
    }
    e.family("dstm_pool_used_addresses", "gauge", "Mapped addresses in each pool.");
    for (const Value& p : pools) {
      e.sample("dstm_pool_used_addresses", member(p, "used"), "prefix",
               member(p, "prefix").as_string());
    }
  }
  return e.take();
}

}  // namespace dstm::ctl
