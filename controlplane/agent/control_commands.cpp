#include "control_commands.h"

#include <unistd.h>

#include <chrono>

#include "util/log.h"

namespace dstm::agent {
namespace {

std::uint64_t now_ms() { return shmring::monotonic_ms(); }

const std::string* string_arg(const json::Value& args, std::string_view key) {
  const json::Value* v = args.find(key);
  return v != nullptr && v->is_string() ? &v->as_string() : nullptr;
}

std::optional<std::uint64_t> uint_arg(const json::Value& args, std::string_view key) {
  const json::Value* v = args.find(key);
  if (v == nullptr || !v->is_integer() || v->as_int() < 0) return std::nullopt;
  return v->as_uint();
}

control::Response from_answer(const Answer& a) {
  if (a.status != tsp::Status::kSuccess) {
    return control::Response::failure(a.detail, tsp::code_of(a.status));
  }
  json::Value r(json::Object{});
  r["applied_sequence"] = a.applied_sequence;
  r["detail"] = a.detail;
  return control::Response::success(std::move(r));
}

}  // namespace

AgentControl::AgentControl(TepService& service, const tspnet::Listener& listener, ReloadFn reload)
    : service_(service), listener_(listener), reload_(std::move(reload)), started_ms_(now_ms()) {}

bool AgentControl::attach_stats() {
  if (stats_ && !stats_->replaced()) return true;
  stats_.reset();
  previous_.reset();
  auto reader = shmring::StatsReader::attach(service_.config().shm_name + "-stats");
  if (!reader) return false;
  stats_.emplace(std::move(*reader));
  return true;
}

void AgentControl::sample() {
  if (!attach_stats()) return;
  previous_ = std::move(latest_);
  latest_ = stats_->snapshot();
  if (previous_ && previous_->dataplane_generation != latest_->dataplane_generation) previous_.reset();
}

json::Value AgentControl::status() {
  const auto& feed = service_.feed();
  json::Value out(json::Object{});
  json::Value agent(json::Object{});
  agent["version"] = DSTM_VERSION;
  agent["pid"] = static_cast<std::int64_t>(::getpid());
  agent["generation"] = feed.agent_generation();
  agent["uptime_s"] = (now_ms() - started_ms_) / 1000;
  agent["tsp_sessions"] = static_cast<std::uint64_t>(listener_.live());
  agent["pending_records"] = static_cast<std::uint64_t>(feed.pending());
  out["agent"] = std::move(agent);

  json::Value dp(json::Object{});
  const auto age = feed.dataplane_heartbeat_age_ms();
  // Attached = a dataplane consumer exists and beat within the last 3 s.
  dp["attached"] = feed.dataplane_generation() != 0 && age.has_value() && *age < 3000;
  dp["generation"] = feed.dataplane_generation();
  dp["heartbeat_age_ms"] = age ? json::Value(*age) : json::Value();
  dp["applied_sequence"] = feed.applied();
  dp["next_sequence"] = feed.next_sequence();
  json::Value lcores(json::Array{});
  if (attach_stats()) {
    if (!latest_) sample();
    dp["pid"] = latest_->pid;
    dp["table_mappings"] = latest_->mappings;
    dp["table_capacity"] = latest_->mapping_capacity;
    for (std::size_t i = 0; i < latest_->lcores.size(); ++i) {
      json::Value l(json::Object{});
      l["lcore"] = static_cast<std::uint64_t>(latest_->lcores[i].lcore_id);
      double rx = 0, tx = 0;
      if (previous_ && i < previous_->lcores.size() &&
          latest_->taken_monotonic_ms > previous_->taken_monotonic_ms) {
        const double secs = static_cast<double>(latest_->taken_monotonic_ms - previous_->taken_monotonic_ms) / 1000.0;
        rx = static_cast<double>(latest_->lcores[i].rx_packets - previous_->lcores[i].rx_packets) / secs;
        tx = static_cast<double>(latest_->lcores[i].tx_packets - previous_->lcores[i].tx_packets) / secs;
      }
      l["rx_pps"] = rx;
      l["tx_pps"] = tx;
      lcores.push_back(std::move(l));
    }
  }
  dp["lcores"] = std::move(lcores);
  out["dataplane"] = std::move(dp);
  out["mappings"] = static_cast<std::uint64_t>(service_.mappings().size());
  json::Value pools(json::Array{});
  for (const auto& p : service_.config().pools) {
    json::Value v(json::Object{});
    v["prefix"] = p.to_string();
    v["size"] = p.size();
    v["used"] = static_cast<std::uint64_t>(service_.used_in(p));
    pools.push_back(std::move(v));
  }
  out["pools"] = std::move(pools);
  const auto& c = service_.counters();
  const auto& l = listener_.counters();
  json::Value tsp(json::Object{});
  tsp["creates"] = c.creates;
  tsp["replaced"] = c.create_replaced;
  tsp["idempotent"] = c.create_idempotent;
  tsp["deletes"] = c.deletes;
  tsp["rejected"] = c.rejected;
  tsp["apply_timeouts"] = c.apply_timeouts;
  tsp["resyncs"] = c.resyncs;
  tsp["connections_accepted"] = l.accepted;
  tsp["connections_refused"] = l.refused_source + l.refused_full + l.refused_per_64 + l.refused_backoff;
  tsp["auth_failures"] = l.auth_failures;
  tsp["protocol_errors"] = l.protocol_errors;
  tsp["tls_failures"] = l.tls_failures;
  out["tsp"] = std::move(tsp);
  return out;
}

control::Response AgentControl::mappings(const json::Value& args) {
  const std::uint64_t offset = uint_arg(args, "offset").value_or(0);
  const std::uint64_t limit = std::min<std::uint64_t>(uint_arg(args, "limit").value_or(100), 10000);
  std::vector<const Mapping*> selected;
  if (const auto* v4 = string_arg(args, "ipv4")) {
    auto a = net::Ipv4Address::parse(*v4);
    if (!a) return control::Response::failure("'" + *v4 + "' is not an IPv4 address");
    if (const Mapping* m = service_.mappings().find(*a)) selected.push_back(m);
  } else if (const auto* v6 = string_arg(args, "ipv6")) {
    auto a = net::Ipv6Address::parse(*v6);
    if (!a) return control::Response::failure("'" + *v6 + "' is not an IPv6 address");
    selected = service_.mappings().find_ipv6(*a);
  }
  const bool filtered = args.find("ipv4") != nullptr || args.find("ipv6") != nullptr;
  json::Value items(json::Array{});
  std::uint64_t total = 0;
  auto emit = [&](const Mapping& m) {
    if (total++ < offset || items.as_array().size() >= limit) return;
    json::Value v(json::Object{});
    v["ipv4"] = m.ipv4.to_string();
    v["ipv6"] = m.ipv6.to_string();
    v["origin"] = std::string(origin_name(m.origin));
    v["owner"] = m.owner;
    v["since"] = m.since;
    items.push_back(std::move(v));
  };
  if (filtered) {
    for (const Mapping* m : selected) emit(*m);
  } else {
    for (const auto& [key, m] : service_.mappings().all()) emit(m);
  }
  json::Value out(json::Object{});
  out["total"] = total;
  out["offset"] = offset;
  out["items"] = std::move(items);
  return control::Response::success(std::move(out));
}

control::Response AgentControl::counters(const json::Value& args) {
  if (!attach_stats()) {
    return control::Response::failure("no dataplane statistics: " + service_.config().shm_name +
                                      "-stats is not there (is dstm-dataplane running with [control] shm?)");
  }
  const auto snap = stats_->snapshot();
  if (snap.dataplane_generation != baseline_generation_) {
    baseline_packets_.clear();  // a new dataplane starts from zero anyway
    baseline_bytes_.clear();
  }
  const std::string* filter = string_arg(args, "filter");
  const json::Value* all_v = args.find("all");
  const bool all = all_v != nullptr && all_v->is_bool() && all_v->as_bool();
  json::Value list(json::Array{});
  const auto& names = stats_->counters();
  for (std::size_t i = 0; i < names.size() && i < snap.packets.size(); ++i) {
    std::uint64_t packets = snap.packets[i];
    std::uint64_t bytes = snap.bytes[i];
    if (i < baseline_packets_.size()) {
      packets -= std::min(packets, baseline_packets_[i]);
      bytes -= std::min(bytes, baseline_bytes_[i]);
    }
    if (!all && packets == 0) continue;
    if (filter != nullptr && names[i].name.find(*filter) == std::string::npos) continue;
    json::Value c(json::Object{});
    c["name"] = names[i].name;
    c["description"] = names[i].description;
    c["packets"] = packets;
    c["bytes"] = bytes;
    list.push_back(std::move(c));
  }
  json::Value out(json::Object{});
  out["counters"] = std::move(list);
  return control::Response::success(std::move(out));
}

void AgentControl::handle(const std::string& cmd, const json::Value& args, control::Reply reply) {
  using control::Response;
  if (cmd == "status") return reply(Response::success(status()));
  if (cmd == "mappings") return reply(mappings(args));
  if (cmd == "counters") return reply(counters(args));
  if (cmd == "counters.clear") {
    if (!attach_stats()) return reply(Response::failure("no dataplane statistics to clear"));
    const auto snap = stats_->snapshot();
    baseline_packets_ = snap.packets;
    baseline_bytes_ = snap.bytes;
    baseline_generation_ = snap.dataplane_generation;
    log::info("control: counters cleared");
    return reply(Response::success(json::Value(json::Object{})));
  }
  if (cmd == "mapping.add" || cmd == "mapping.del") {
    const auto* v4 = string_arg(args, "ipv4");
    auto ipv4 = v4 != nullptr ? net::Ipv4Address::parse(*v4) : std::nullopt;
    if (!ipv4) return reply(Response::failure("\"ipv4\" must be an IPv4 address"));
    if (cmd == "mapping.del") {
      log::info("control: mapping del " + ipv4->to_string());
      return service_.remove(*ipv4, std::nullopt, now_ms(), [reply](Answer a) { reply(from_answer(a)); });
    }
    const auto* v6 = string_arg(args, "ipv6");
    auto ipv6 = v6 != nullptr ? net::Ipv6Address::parse(*v6) : std::nullopt;
    if (!ipv6) return reply(Response::failure("\"ipv6\" must be an IPv6 address"));
    log::info("control: mapping add " + ipv4->to_string() + " " + ipv6->to_string());
    // The operator is authoritative: a static mapping replaces whatever the address had.
    return service_.add(*ipv4, *ipv6, Origin::kStatic, "dstmctl", /*replace=*/true, now_ms(),
                        [reply](Answer a) { reply(from_answer(a)); });
  }
  if (cmd == "reload") return reply(control::reload_response(reload_()));
  reply(Response::failure("unknown command '" + cmd + "' (the agent knows: status, mappings, counters, "
                          "counters.clear, mapping.add, mapping.del, reload)"));
}

}  // namespace dstm::agent
