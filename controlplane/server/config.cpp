// Parses dstm-server.toml (see config.h and controlplane/server/README.md).
#include "config.h"

#include <algorithm>

#include "config/config.h"
#include "tspnet/listener_config.h"

namespace dstm::server {
namespace {

// clang-format off
constexpr std::string_view kTables[] = {"tsp", "pool", "store", "control"};
constexpr std::string_view kValueKeys[] = {
    "tsp.listen", "tsp.udp", "tsp.mechanisms", "tsp.allow_anonymous", "tsp.users_file",
    "tsp.tls_cert", "tsp.tls_key", "tsp.tls_client_ca", "tsp.tls_require_client_cert",
    "tsp.realm", "tsp.handshake_timeout_ms", "tsp.max_sessions", "tsp.max_sessions_per_64",
    "tsp.auth_failures_before_backoff", "tsp.node_must_match_source", "tsp.keepalive_interval",
    "tsp.dns_servers",
    "pool.prefixes", "pool.exclude", "pool.default_lifetime", "pool.max_lifetime",
    "pool.anonymous_per_64", "pool.anonymous_share",
    "tep",
    "store.path", "control.socket"};
constexpr std::string_view kTepKeys[] = {
    "name", "endpoint", "username", "password_file", "mechanism", "serves", "timeout_ms", "connections",
    "tls_ca", "tls_cert", "tls_key", "tls_server_name"};
// clang-format on

void read_tsp(const toml::table& root, config::Errors& errors, ServerConfig& cfg) {
  config::Section s(root, "tsp", errors);
  tspnet::read_tsp_settings(s, cfg);
  s.integer_into("handshake_timeout_ms", 100, 600000, cfg.handshake_timeout_ms);
  s.integer_into("max_sessions", 1, 10'000'000, cfg.max_sessions);
  s.integer_into("max_sessions_per_64", 0, 10'000'000, cfg.max_sessions_per_64);
  s.integer_into("auth_failures_before_backoff", 1, 1000, cfg.auth_failures_before_backoff);
  s.boolean_into("node_must_match_source", cfg.node_must_match_source);
  s.integer_into("keepalive_interval", 0, 3600, cfg.keepalive_interval_s);
  if (auto list = s.strings("dns_servers")) {
    for (std::size_t i = 0; i < list->size(); ++i) {
      auto a = net::Ipv6Address::parse((*list)[i]);
      if (!a) {
        s.fail(*s.get("dns_servers")->as_array()->get(i), s.name("dns_servers") + "[" + std::to_string(i) + "]",
               "'" + (*list)[i] + "' is not an IPv6 address");
        continue;
      }
      cfg.dns_servers.push_back(*a);
    }
  }
}

void read_pool(const toml::table& root, config::Errors& errors, ServerConfig& cfg) {
  config::Section s(root, "pool", errors);
  auto& p = cfg.pool;
  if (auto prefixes = s.ipv4_prefixes("prefixes", true)) {
    if (prefixes->empty()) s.fail_key("prefixes", "needs at least one prefix (e.g. [\"10.64.0.0/16\"])");
    for (std::size_t i = 0; i < prefixes->size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if ((*prefixes)[i].contains((*prefixes)[j]) || (*prefixes)[j].contains((*prefixes)[i])) {
          s.fail_key("prefixes", (*prefixes)[i].to_string() + " overlaps " + (*prefixes)[j].to_string());
        }
      }
    }
    p.prefixes = std::move(*prefixes);
  }
  if (auto list = s.strings("exclude")) {
    for (std::size_t i = 0; i < list->size(); ++i) {
      auto a = net::Ipv4Address::parse((*list)[i]);
      if (!a) {
        s.fail(*s.get("exclude")->as_array()->get(i), s.name("exclude") + "[" + std::to_string(i) + "]",
               "'" + (*list)[i] + "' is not an IPv4 address");
        continue;
      }
      p.excluded.push_back(*a);
    }
  }
  s.integer_into("default_lifetime", 1, 365 * 86400, p.default_lifetime_s);
  s.integer_into("max_lifetime", 1, 365 * 86400, p.max_lifetime_s);
  if (p.default_lifetime_s > p.max_lifetime_s) {
    s.fail_key("default_lifetime", "is longer than pool.max_lifetime");
  }
  s.integer_into("anonymous_per_64", 0, 1'000'000, p.anonymous_per_64);
  if (const toml::node* n = s.get("anonymous_share")) {
    const auto* f = n->as_floating_point();
    const auto* i = n->as_integer();
    const double v = f != nullptr ? f->get() : i != nullptr ? static_cast<double>(i->get()) : -1.0;
    if (v < 0.0 || v > 1.0) {
      s.fail(*n, s.name("anonymous_share"), "must be a number between 0 and 1");
    } else {
      p.anonymous_share = v;
    }
  }
}

// tls_ca turns TLS on; the files themselves are read when the TEP client starts.
void read_tep_tls(config::Section& s, TepConfig& t) {
  tspnet::TlsClientConfig tls;
  s.string_into("tls_ca", tls.ca_file);
  s.string_into("tls_cert", tls.cert_file);
  s.string_into("tls_key", tls.key_file);
  s.string_into("tls_server_name", tls.server_name);
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    s.fail_key(tls.cert_file.empty() ? "tls_key" : "tls_cert",  // at the one that is there
               "tls_cert and tls_key go together (the client certificate and its private key)");
  }
  if (tls.ca_file.empty()) {
    for (const char* key : {"tls_cert", "tls_key", "tls_server_name"}) {
      if (s.get(key) != nullptr) s.fail_key(key, "needs tls_ca (the CA the agent's certificate is verified against)");
    }
    return;
  }
  t.tls = std::move(tls);
}

void read_teps(const toml::table& root, config::Errors& errors, ServerConfig& cfg, bool read_secrets) {
  auto tables = config::table_array(root, "tep", kTepKeys, errors);
  if (tables.empty() && !errors.failed()) {
    errors.fail(1, "tep", "at least one [[tep]] is required (the TEPs this server configures)");
  }
  for (std::size_t i = 0; i < tables.size(); ++i) {
    config::Section s(tables[i], "tep[" + std::to_string(i) + "]", errors);
    TepConfig t;
    s.string_into("name", t.name, true);
    for (const auto& other : cfg.teps) {
      if (other.name == t.name) s.fail_key("name", "'" + t.name + "' is used by another [[tep]]");
    }
    if (auto e = s.string("endpoint", true)) {
      auto a = tspnet::ListenAddress::parse(*e);
      if (!a) {
        s.fail_key("endpoint", "'" + *e + "' is not ADDRESS[:PORT] (the agent's TSP listener)");
      } else {
        t.endpoint = *a;
      }
    }
    s.string_into("username", t.username, true);
    s.string_into("password_file", t.password_file, true);
    if (read_secrets && !t.password_file.empty()) {
      auto text = config::read_text_file(t.password_file);
      if (!text) {
        s.fail_key("password_file", text.error());
      } else {
        t.password = *text;
        while (!t.password.empty() && (t.password.back() == '\n' || t.password.back() == '\r')) t.password.pop_back();
        if (t.password.empty()) s.fail_key("password_file", t.password_file + " is empty");
      }
    }
    read_tep_tls(s, t);
    if (auto m = s.string("mechanism")) {
      auto mech = tsp::sasl::mechanism_from_name(*m);
      if (!mech || *mech == tsp::sasl::Mechanism::kAnonymous) {
        s.fail_key("mechanism", "'" + *m + "' is not SCRAM-SHA-256, DIGEST-MD5 or PLAIN");
      } else if (*mech == tsp::sasl::Mechanism::kPlain && !t.tls) {
        // PLAIN sends the password itself: only inside TLS (the same rule as the node listener).
        s.fail_key("mechanism", "PLAIN needs tls_ca: it sends the password in clear text");
      } else {
        t.mechanism = *mech;
      }
    }
    if (auto serves = s.ipv6_prefixes("serves", false)) t.serves = std::move(*serves);
    s.integer_into("timeout_ms", 10, 60000, t.timeout_ms);
    s.integer_into("connections", 1, 64, t.connections);
    cfg.teps.push_back(std::move(t));
  }
}

}  // namespace

Expected<ServerConfig, std::string> parse_config(std::string_view text, std::string_view source,
                                                 bool read_secrets) {
  static constexpr config::Schema kSchema{kTables, kValueKeys};
  auto root = config::parse(text, source, kSchema);
  if (!root) return unexpected(root.error());
  config::Errors errors(source);
  ServerConfig cfg;
  read_tsp(*root, errors, cfg);
  read_pool(*root, errors, cfg);
  read_teps(*root, errors, cfg, read_secrets);
  config::Section store(*root, "store", errors);
  store.string_into("path", cfg.store_path);
  if (cfg.store_path.empty()) store.fail_key("path", "must not be empty");
  config::Section control(*root, "control", errors);
  control.string_into("socket", cfg.control_socket);
  if (cfg.control_socket.empty() || cfg.control_socket.size() > 100) {
    control.fail_key("socket", "must be a path of 1-100 characters");
  }
  if (errors.failed()) return unexpected(errors.first());
  return cfg;
}

Expected<ServerConfig, std::string> load_config(const std::string& path, bool read_secrets) {
  auto text = config::read_text_file(path);
  if (!text) return unexpected(text.error());
  return parse_config(*text, path, read_secrets);
}

}  // namespace dstm::server
