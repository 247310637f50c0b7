#include "control_commands.h"

#include <unistd.h>

#include <chrono>

#include "util/log.h"

namespace dstm::server {
namespace {

std::uint64_t now_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

std::optional<std::uint64_t> uint_arg(const json::Value& args, std::string_view key) {
  const json::Value* v = args.find(key);
  if (v == nullptr || !v->is_integer() || v->as_int() < 0) return std::nullopt;
  return v->as_uint();
}

}  // namespace

ServerControl::ServerControl(LeaseService& service, const tspnet::Listener& listener, ReloadFn reload)
    : service_(service), listener_(listener), reload_(std::move(reload)), started_ms_(now_ms()) {}

// One table of the server's counters: name, description, value.
std::vector<std::pair<std::string, std::pair<std::string, std::uint64_t>>> ServerControl::counter_values() const {
  const auto& c = service_.counters();
  const auto& l = listener_.counters();
  const auto& w = service_.writer();
  return {
      {"allocations", {"new leases configured at a TEP and answered", c.allocations}},
      {"renewals", {"leases extended by a node's create", c.renewals}},
      {"releases", {"leases ended (expiry, release, node delete or reject)", c.releases}},
      {"expirations", {"leases ended by their lifetime", c.expirations}},
      {"rejected-requests", {"node requests answered with an error code", c.rejected}},
      {"tep-failures", {"allocations undone because the TEP failed or answered an error", c.tep_failures}},
      {"node-deletes-sent", {"Tunnel Delete sent to a node on its kept-open session", c.node_deletes_sent}},
      {"store-failures", {"lease store writes that failed (answered 310)", c.store_failures}},
      {"store-batches", {"lease store transactions (group commits)", w.batches()}},
      {"store-writes", {"lease store writes", w.writes()}},
      {"sessions-accepted", {"TSP sessions admitted", l.accepted}},
      {"sessions-refused-source", {"TSP sessions refused: source not allowed", l.refused_source}},
      {"sessions-refused-full", {"TSP sessions refused: tsp.max_sessions reached", l.refused_full}},
      {"sessions-refused-per-64", {"TSP sessions refused: tsp.max_sessions_per_64 reached", l.refused_per_64}},
      {"sessions-refused-backoff", {"TSP sessions refused: source backing off after auth failures", l.refused_backoff}},
      {"tls-failures", {"TLS handshakes that failed or missed the deadline (tsp.tls_cert)", l.tls_failures}},
      {"auth-successes", {"successful authentications", l.authenticated}},
      {"auth-failures", {"failed authentications", l.auth_failures}},
      {"protocol-errors", {"malformed or unexpected TSP messages", l.protocol_errors}},
      {"tunnel-requests", {"tunnel requests received from nodes", l.requests}},
  };
}

json::Value ServerControl::status() const {
  json::Value out(json::Object{});
  json::Value server(json::Object{});
  server["version"] = DSTM_VERSION;
  server["pid"] = static_cast<std::int64_t>(::getpid());
  server["uptime_s"] = (now_ms() - started_ms_) / 1000;
  server["tsp_sessions"] = static_cast<std::uint64_t>(listener_.live());
  out["server"] = std::move(server);
  out["leases"] = static_cast<std::uint64_t>(service_.allocator().active_count());
  out["anonymous_leases"] = static_cast<std::uint64_t>(service_.allocator().anonymous_count());
  out["pools"] = pools()["pools"];
  out["teps"] = teps()["teps"];
  return out;
}

control::Response ServerControl::leases(const json::Value& args) const {
  const std::uint64_t offset = uint_arg(args, "offset").value_or(0);
  const std::uint64_t limit = std::min<std::uint64_t>(uint_arg(args, "limit").value_or(100), 10000);
  const json::Value* f = args.find("filter");
  const std::string filter = f != nullptr && f->is_string() ? f->as_string() : "";
  json::Value items(json::Array{});
  std::uint64_t total = 0;
  for (const auto& l : service_.allocator().active()) {
    const std::string v4 = l.ipv4.to_string(), v6 = l.ipv6.to_string();
    if (!filter.empty() && v4.find(filter) == std::string::npos && v6.find(filter) == std::string::npos &&
        l.identity.find(filter) == std::string::npos) {
      continue;
    }
    if (total++ < offset || items.as_array().size() >= limit) continue;
    json::Value v(json::Object{});
    v["ipv4"] = v4;
    v["ipv6"] = v6;
    v["identity"] = l.identity;
    v["expires"] = l.expires_at;
    v["state"] = service_.lease_state(l.ipv4);
    items.push_back(std::move(v));
  }
  json::Value out(json::Object{});
  out["total"] = total;
  out["offset"] = offset;
  out["items"] = std::move(items);
  return control::Response::success(std::move(out));
}

json::Value ServerControl::pools() const {
  const auto& cfg = service_.config().pool;
  const auto active = service_.allocator().active();
  json::Value list(json::Array{});
  for (const auto& p : cfg.prefixes) {
    json::Value v(json::Object{});
    v["prefix"] = p.to_string();
    v["size"] = p.size();
    std::uint64_t used = 0, excluded = 0;
    for (const auto& l : active) used += p.contains(l.ipv4) ? 1 : 0;
    for (const auto& e : cfg.excluded) excluded += p.contains(e) ? 1 : 0;
    if (p.length() < 31) excluded += 2;  // network and broadcast (lib/lease PoolConfig)
    v["used"] = used;
    v["excluded"] = excluded;
    list.push_back(std::move(v));
  }
  json::Value out(json::Object{});
  out["pools"] = std::move(list);
  return out;
}

json::Value ServerControl::teps() const {
  json::Value list(json::Array{});
  for (const auto& t : service_.teps()) {
    json::Value v(json::Object{});
    v["name"] = t->config().name;
    v["endpoint"] = t->config().endpoint.to_string();
    v["state"] = t->state();
    v["mappings"] = static_cast<std::uint64_t>(service_.mappings_on(t->config().name));
    v["queued"] = static_cast<std::uint64_t>(t->queued());
    list.push_back(std::move(v));
  }
  json::Value out(json::Object{});
  out["teps"] = std::move(list);
  return out;
}

json::Value ServerControl::sessions() const {
  json::Value list(json::Array{});
  const std::uint64_t now = now_ms();
  for (const auto& s : listener_.sessions()) {
    json::Value v(json::Object{});
    v["peer"] = s->peer() + (s->stream() ? " tcp" : " udp");
    v["identity"] = s->identity();
    v["since"] = (now - s->since_ms()) / 1000;  // seconds ago
    v["state"] = std::string(s->identity().empty() ? "authenticating" : "authenticated");
    list.push_back(std::move(v));
  }
  json::Value out(json::Object{});
  out["sessions"] = std::move(list);
  return out;
}

control::Response ServerControl::counters(const json::Value& args) const {
  const json::Value* f = args.find("filter");
  const json::Value* all_v = args.find("all");
  const bool all = all_v != nullptr && all_v->is_bool() && all_v->as_bool();
  json::Value list(json::Array{});
  for (const auto& [name, d] : counter_values()) {
    std::uint64_t v = d.second;
    if (auto b = baseline_.find(name); b != baseline_.end()) v -= std::min(v, b->second);
    if (!all && v == 0) continue;
    if (f != nullptr && f->is_string() && name.find(f->as_string()) == std::string::npos) continue;
    json::Value c(json::Object{});
    c["name"] = name;
    c["description"] = d.first;
    c["packets"] = v;  // events, in the agent's shape (PROTOCOL.md)
    c["bytes"] = std::uint64_t{0};
    list.push_back(std::move(c));
  }
  json::Value out(json::Object{});
  out["counters"] = std::move(list);
  return control::Response::success(std::move(out));
}

void ServerControl::handle(const std::string& cmd, const json::Value& args, control::Reply reply) {
  using control::Response;
  if (cmd == "status") return reply(Response::success(status()));
  if (cmd == "leases") return reply(leases(args));
  if (cmd == "pools") return reply(Response::success(pools()));
  if (cmd == "teps") return reply(Response::success(teps()));
  if (cmd == "sessions") return reply(Response::success(sessions()));
  if (cmd == "counters") return reply(counters(args));
  if (cmd == "counters.clear") {
    for (const auto& [name, d] : counter_values()) baseline_[name] = d.second;
    return reply(Response::success(json::Value(json::Object{})));
  }
  if (cmd == "lease.release") {
    const json::Value* v = args.find("ipv4");
    auto ipv4 = v != nullptr && v->is_string() ? net::Ipv4Address::parse(v->as_string()) : std::nullopt;
    if (!ipv4) return reply(Response::failure("\"ipv4\" must be an IPv4 address"));
    // Answered once the removal is committed: a release the operator saw succeed must not
    // come back after a crash.
    auto done = [reply](bool durable) {
      if (!durable) return reply(Response::failure("lease store write failed: the release may not survive a restart"));
      reply(Response::success(json::Value(json::Object{})));
    };
    if (!service_.release(*ipv4, "released by the operator", done)) {
      return reply(Response::failure(ipv4->to_string() + " has no lease", tsp::code_of(tsp::Status::kAddressUnavailable)));
    }
    return;
  }
  if (cmd == "reload") return reply(control::reload_response(reload_()));
  reply(Response::failure("unknown command '" + cmd + "' (the server knows: status, leases, pools, "
                          "lease.release, teps, sessions, counters, counters.clear, reload)"));
}

}  // namespace dstm::server
