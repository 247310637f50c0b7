// `dstm-client status`: see status.h.
#include "status.h"

#include <ctime>

namespace dstm::client {
namespace {

std::string utc(std::int64_t unix_s) {
  const std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string text_of(const json::Value& v) {
  if (v.is_string()) return v.as_string();
  if (v.is_null()) return "-";
  return json::serialize(v);
}

std::string field(const json::Value& obj, std::string_view key) {
  const json::Value* v = obj.find(key);
  return v ? text_of(*v) : "-";
}

}  // namespace

json::Value status_json(const StatusInputs& in) {
  json::Value out;
  const std::optional<Lease>& lease = in.machine ? in.machine->lease() : in.static_lease;
  if (in.machine) {
    out["session"] = std::string(state_name(in.machine->state()));
    out["session_open"] = in.machine->session_open();
    out["reconnects"] = in.machine->reconnects();
    out["renewals"] = in.machine->renewals();
    out["last_error"] = in.machine->last_error();
  } else {
    out["session"] = "static";
  }
  out["server"] = in.server;
  out["transport"] = in.transport;
  if (lease) {
    json::Value l;
    l["ipv4"] = lease->ipv4.to_string();
    l["tep_ipv4"] = lease->tep_ipv4.to_string();
    l["tep_ipv6"] = lease->tep_ipv6.to_string();
    l["lifetime_s"] = lease->lifetime_s;
    if (lease->lifetime_s != 0) {
      const std::int64_t remaining_ms =
          static_cast<std::int64_t>(lease->expires_ms) - static_cast<std::int64_t>(in.now_ms);
      l["remaining_s"] = remaining_ms / 1000;
      l["expires_at"] = utc(in.wall_now_s + remaining_ms / 1000);
      l["expires_unix"] = in.wall_now_s + remaining_ms / 1000;
    }
    out["lease"] = std::move(l);
  } else {
    out["lease"] = nullptr;
  }
  json::Value dti;
  dti["name"] = in.dti_name;
  dti["backend"] = in.dti ? std::string(in.dti->backend()) : std::string("-");
  dti["state"] = in.dti && in.dti->is_up() ? "up" : "down";
  const DtiCounters c = in.dti ? in.dti->counters() : DtiCounters{};
  json::Value counters;
  counters["packets_out"] = c.packets_out;
  counters["bytes_out"] = c.bytes_out;
  counters["packets_in"] = c.packets_in;
  counters["bytes_in"] = c.bytes_in;
  counters["drop_not_from_tep"] = c.drop_not_from_tep;
  counters["drop_wrong_destination"] = c.drop_wrong_destination;
  counters["drop_wrong_source"] = c.drop_wrong_source;
  counters["drop_malformed"] = c.drop_malformed;
  counters["drop_io_error"] = c.drop_io_error;
  dti["counters"] = std::move(counters);
  out["dti"] = std::move(dti);
  return out;
}

std::string format_status(const json::Value& s) {
  std::string out;
  auto line = [&out](std::string_view label, const std::string& value) {
    out += std::string(label);
    out.append(label.size() < 16 ? 16 - label.size() : 1, ' ');
    out += value + "\n";
  };
  line("session", field(s, "session") + " (server " + field(s, "server") + " " + field(s, "transport") + ")");
  const json::Value* lease = s.find("lease");
  if (lease && lease->is_object()) {
    line("lease ipv4", field(*lease, "ipv4"));
    line("tep", field(*lease, "tep_ipv4") + " / " + field(*lease, "tep_ipv6"));
    if (lease->find("expires_at")) {
      line("expires", field(*lease, "expires_at") + " (in " + field(*lease, "remaining_s") + " s, lifetime " +
                          field(*lease, "lifetime_s") + " s)");
    } else {
      line("expires", "never (static lease)");
    }
  } else {
    line("lease", "none");
  }
  if (const json::Value* dti = s.find("dti")) {
    line("dti", field(*dti, "name") + " backend " + field(*dti, "backend") + ", " + field(*dti, "state"));
    if (const json::Value* c = dti->find("counters")) {
      line("packets out", field(*c, "packets_out") + " (" + field(*c, "bytes_out") + " bytes)");
      line("packets in", field(*c, "packets_in") + " (" + field(*c, "bytes_in") + " bytes)");
      line("drops", "not-from-tep " + field(*c, "drop_not_from_tep") + ", wrong-destination " +
                        field(*c, "drop_wrong_destination") + ", wrong-source " + field(*c, "drop_wrong_source") +
                        ", malformed " + field(*c, "drop_malformed") + ", io-error " + field(*c, "drop_io_error"));
    }
  }
  if (s.find("reconnects")) line("reconnects", field(s, "reconnects") + ", renewals " + field(s, "renewals"));
  if (const json::Value* e = s.find("last_error"); e && e->is_string() && !e->as_string().empty()) {
    line("last error", e->as_string());
  }
  return out;
}

}  // namespace dstm::client
