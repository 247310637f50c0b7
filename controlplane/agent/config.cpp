// Parses dstm-agent.toml (see config.h and controlplane/agent/README.md).
#include "config.h"

#include <algorithm>

#include "config/config.h"
#include "tspnet/listener_config.h"

namespace dstm::agent {
namespace {

// clang-format off
constexpr std::string_view kTables[] = {"tsp", "tep", "store", "dataplane", "control"};
constexpr std::string_view kValueKeys[] = {
    "tsp.listen", "tsp.udp", "tsp.mechanisms", "tsp.allow_anonymous", "tsp.users_file",
    "tsp.tls_cert", "tsp.tls_key", "tsp.tls_client_ca", "tsp.tls_require_client_cert",
    "tsp.allow", "tsp.handshake_timeout_ms", "tsp.max_sessions", "tsp.realm", "tsp.auth_failures_before_backoff",
    "tep.ipv4", "tep.ipv6", "tep.pools",
    "store.path",
    "dataplane.shm", "dataplane.ring_capacity", "dataplane.apply_timeout_ms",
    "control.socket"};
// clang-format on

void read_tsp(const toml::table& root, config::Errors& errors, AgentConfig& cfg) {
  config::Section s(root, "tsp", errors);
  tspnet::read_tsp_settings(s, cfg);

  if (auto list = s.strings("allow", /*required=*/true)) {
    for (std::size_t i = 0; i < list->size(); ++i) {
      const auto& text = (*list)[i];
      const auto& node = *s.get("allow")->as_array()->get(i);
      const std::string key = s.name("allow") + "[" + std::to_string(i) + "]";
      SourcePrefix p;
      if (auto v6 = net::Ipv6Prefix::parse(text)) {
        p.v6 = *v6;
      } else if (auto v4 = net::Ipv4Prefix::parse(text)) {
        p.is_v6 = false;
        p.v4 = *v4;
      } else {
        s.fail(node, key, "'" + text + "' is not an IPv6 or IPv4 prefix (e.g. \"2001:db8::/32\")");
        continue;
      }
      cfg.allow.push_back(p);
    }
  }
  s.integer_into("handshake_timeout_ms", 100, 600000, cfg.handshake_timeout_ms);
  s.integer_into("max_sessions", 1, 100000, cfg.max_sessions);
  s.integer_into("auth_failures_before_backoff", 1, 1000, cfg.auth_failures_before_backoff);
}

void read_tep(const toml::table& root, config::Errors& errors, AgentConfig& cfg) {
  config::Section s(root, "tep", errors);
  if (auto a = s.ipv4("ipv4", true)) {
    if (a->is_martian() || a->is_limited_broadcast()) {
      s.fail_key("ipv4", "'" + a->to_string() + "' is not a unicast address");
    }
    cfg.tep_ipv4 = *a;
  }
  if (auto a = s.ipv6("ipv6", true)) {
    if (!a->is_global_unicast()) s.fail_key("ipv6", "'" + a->to_string() + "' is not a global unicast address");
    cfg.tep_ipv6 = *a;
  }
  if (auto pools = s.ipv4_prefixes("pools", true)) {
    if (pools->empty()) s.fail_key("pools", "needs at least one prefix (e.g. [\"10.64.0.0/16\"])");
    for (std::size_t i = 0; i < pools->size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        const auto& a = (*pools)[i];
        const auto& b = (*pools)[j];
        if (a.contains(b) || b.contains(a)) {
          s.fail_key("pools", a.to_string() + " overlaps " + b.to_string());
        }
      }
      if ((*pools)[i].contains(cfg.tep_ipv4)) {
        s.fail_key("pools", (*pools)[i].to_string() + " contains tep.ipv4: the TEP's own address cannot be leased");
      }
    }
    cfg.pools = std::move(*pools);
  }
}

void read_rest(const toml::table& root, config::Errors& errors, AgentConfig& cfg) {
  config::Section store(root, "store", errors);
  store.string_into("path", cfg.store_path);
  if (cfg.store_path.empty()) store.fail_key("path", "must not be empty");

  config::Section dp(root, "dataplane", errors);
  dp.string_into("shm", cfg.shm_name);
  if (cfg.shm_name.empty() || cfg.shm_name.size() > 200 ||
      cfg.shm_name.find('/') != std::string::npos) {
    dp.fail_key("shm", "'" + cfg.shm_name + "' must be 1-200 characters without '/'");
  }
  dp.integer_into("ring_capacity", 64, 1 << 24, cfg.ring_capacity);
  dp.integer_into("apply_timeout_ms", 1, 60000, cfg.apply_timeout_ms);

  config::Section control(root, "control", errors);
  control.string_into("socket", cfg.control_socket);
  if (cfg.control_socket.empty() || cfg.control_socket.size() > 100) {
    // sockaddr_un.sun_path is 108 bytes
    control.fail_key("socket", "must be a path of 1-100 characters");
  }
}

}  // namespace

bool AgentConfig::in_pool(net::Ipv4Address a) const {
  return std::any_of(pools.begin(), pools.end(), [&](const auto& p) { return p.contains(a); });
}

bool AgentConfig::source_allowed(std::string_view numeric) const {
  if (auto v6 = net::Ipv6Address::parse(numeric)) {
    // An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d: judge it as IPv4.
    if (auto v4 = net::ipv4_from_mapped(*v6)) {
      return std::any_of(allow.begin(), allow.end(), [&](const auto& p) { return p.contains_v4(*v4); });
    }
    return std::any_of(allow.begin(), allow.end(), [&](const auto& p) { return p.contains_v6(*v6); });
  }
  if (auto v4 = net::Ipv4Address::parse(numeric)) {
    return std::any_of(allow.begin(), allow.end(), [&](const auto& p) { return p.contains_v4(*v4); });
  }
  return false;
}

Expected<AgentConfig, std::string> parse_config(std::string_view text, std::string_view source) {
  static constexpr config::Schema kSchema{kTables, kValueKeys};
  auto root = config::parse(text, source, kSchema);
  if (!root) return unexpected(root.error());
  config::Errors errors(source);
  AgentConfig cfg;
  read_tsp(*root, errors, cfg);
  read_tep(*root, errors, cfg);
  read_rest(*root, errors, cfg);
  if (errors.failed()) return unexpected(errors.first());
  return cfg;
}

Expected<AgentConfig, std::string> load_config(const std::string& path) {
  auto text = config::read_text_file(path);
  if (!text) return unexpected(text.error());
  return parse_config(*text, path);
}

}  // namespace dstm::agent
