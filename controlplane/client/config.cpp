// Parses dstm-client.toml (see config.h and controlplane/client/README.md).
#include "config.h"

#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>
#include <memory>

#include "config/config.h"

namespace dstm::client {
namespace {

// clang-format off
constexpr std::string_view kTables[] = {"server", "auth", "node", "dti", "lease", "files"};
constexpr std::string_view kValueKeys[] = {
    "server.addresses", "server.transport", "server.timeout_ms",
    "auth.mechanisms", "auth.username", "auth.password_file", "auth.anonymous",
    "node.ipv6", "node.link_local", "node.interface",
    "dti.backend", "dti.name", "dti.mtu", "dti.encap_limit", "dti.routes",
    "lease.renew_fraction", "lease.retry_min_ms", "lease.retry_max_ms",
    "files.lock", "files.control_socket"};
// clang-format on

void read_server(const toml::table& root, config::Errors& errors, ClientConfig& cfg) {
  config::Section s(root, "server", errors);
  if (auto list = s.strings("addresses", /*required=*/true)) {
    if (list->empty()) s.fail_key("addresses", "needs at least one server (e.g. [\"[2001:db8::53]:3653\"])");
    for (std::size_t i = 0; i < list->size(); ++i) {
      auto a = tspnet::ListenAddress::parse((*list)[i]);
      if (!a) {
        s.fail(*s.get("addresses")->as_array()->get(i), s.name("addresses") + "[" + std::to_string(i) + "]",
               "'" + (*list)[i] + "' is not a numeric ADDRESS[:PORT] (e.g. \"[2001:db8::53]:3653\")");
        continue;
      }
      cfg.servers.push_back(*a);
    }
  }
  if (auto t = s.string("transport")) {
    if (*t == "udp") cfg.udp = true;
    else if (*t == "tcp") cfg.udp = false;
    else s.fail_key("transport", "'" + *t + "' is not tcp or udp");
  }
  s.integer_into("timeout_ms", 100, 600000, cfg.timeout_ms);
}

void read_auth(const toml::table& root, config::Errors& errors, ClientConfig& cfg) {
  config::Section s(root, "auth", errors);
  s.boolean_into("anonymous", cfg.anonymous);
  if (auto list = s.strings("mechanisms")) {
    cfg.mechanisms.clear();
    for (std::size_t i = 0; i < list->size(); ++i) {
      const auto m = tsp::sasl::mechanism_from_name((*list)[i]);
      const auto& node = *s.get("mechanisms")->as_array()->get(i);
      const std::string key = s.name("mechanisms") + "[" + std::to_string(i) + "]";
      if (!m) {
        s.fail(node, key, "'" + (*list)[i] + "' is not a mechanism (SCRAM-SHA-256, DIGEST-MD5, PLAIN, ANONYMOUS)");
      } else if (*m == tsp::sasl::Mechanism::kPlain) {
        // PLAIN sends the password in clear, and dstm-client has no TLS.
        s.fail(node, key, "PLAIN is refused: it would send the password in clear text");
      } else if (std::find(cfg.mechanisms.begin(), cfg.mechanisms.end(), *m) == cfg.mechanisms.end()) {
        cfg.mechanisms.push_back(*m);
      }
    }
    if (list->empty()) s.fail_key("mechanisms", "needs at least one mechanism");
  }
  if (cfg.anonymous) {
    cfg.mechanisms = {tsp::sasl::Mechanism::kAnonymous};
    return;
  }
  cfg.mechanisms.erase(std::remove(cfg.mechanisms.begin(), cfg.mechanisms.end(), tsp::sasl::Mechanism::kAnonymous),
                       cfg.mechanisms.end());
  if (cfg.mechanisms.empty()) s.fail_key("mechanisms", "ANONYMOUS needs auth.anonymous = true");
  s.string_into("username", cfg.username, /*required=*/true);
  s.string_into("password_file", cfg.password_file, /*required=*/true);
}

void read_node(const toml::table& root, config::Errors& errors, ClientConfig& cfg) {
  config::Section s(root, "node", errors);
  if (auto a = s.ipv6("ipv6")) {
    if (!a->is_global_unicast()) s.fail_key("ipv6", "'" + a->to_string() + "' is not a global unicast address");
    cfg.ipv6 = *a;
  }
  if (auto a = s.ipv6("link_local")) {
    if (!a->is_link_local()) s.fail_key("link_local", "'" + a->to_string() + "' is not a link-local (fe80::/10) address");
    cfg.link_local = *a;
  }
  s.string_into("interface", cfg.interface);
  if (!cfg.ipv6 && cfg.interface.empty()) {
    s.fail_key("ipv6", "set node.ipv6 (the node's global IPv6) or node.interface (to take it from)");
  }
}

void read_dti(const toml::table& root, config::Errors& errors, ClientConfig& cfg) {
  config::Section s(root, "dti", errors);
  if (auto b = s.string("backend")) {
    if (*b == "auto") cfg.backend = DtiBackend::kAuto;
    else if (*b == "kernel") cfg.backend = DtiBackend::kKernel;
    else if (*b == "tun") cfg.backend = DtiBackend::kTun;
    else s.fail_key("backend", "'" + *b + "' is not auto, kernel or tun");
  }
  s.string_into("name", cfg.dti_name);
  if (cfg.dti_name.empty() || cfg.dti_name.size() > 15 || cfg.dti_name.find_first_of("/ \t") != std::string::npos) {
    s.fail_key("name", "'" + cfg.dti_name + "' is not an interface name (1-15 characters, no '/' or spaces)");
  }
  // 1280: the IPv6 minimum link MTU (RFC 8200 §5), so the outer packet (+40) fits any 1500 link.
  s.integer_into("mtu", 576, 65495, cfg.mtu);
  if (const toml::node* n = s.get("encap_limit")) {
    if (auto text = n->value<std::string>(); text && *text == "none") {
      cfg.encap_limit.reset();
    } else if (auto v = n->value<std::int64_t>(); v && *v >= 0 && *v <= 255) {
      cfg.encap_limit = static_cast<std::uint8_t>(*v);
    } else {
      s.fail(*n, s.name("encap_limit"), "must be \"none\" or a number 0-255");
    }
  }
  if (auto routes = s.ipv4_prefixes("routes", false)) {
    if (routes->empty()) s.fail_key("routes", "needs at least one prefix (e.g. [\"0.0.0.0/0\"])");
    cfg.routes = std::move(*routes);
  }
}

void read_rest(const toml::table& root, config::Errors& errors, ClientConfig& cfg) {
  config::Section lease(root, "lease", errors);
  if (const toml::node* n = lease.get("renew_fraction")) {
    auto v = n->value<double>();
    if (!v || *v < 0.1 || *v > 0.9) {
      lease.fail(*n, lease.name("renew_fraction"), "must be a number from 0.1 to 0.9");
    } else {
      cfg.renew_fraction = *v;
    }
  }
  lease.integer_into("retry_min_ms", 100, 3600000, cfg.retry_min_ms);
  lease.integer_into("retry_max_ms", 100, 3600000, cfg.retry_max_ms);
  if (cfg.retry_max_ms < cfg.retry_min_ms) lease.fail_key("retry_max_ms", "must not be below retry_min_ms");

  config::Section files(root, "files", errors);
  files.string_into("lock", cfg.lock_file);
  if (cfg.lock_file.empty()) files.fail_key("lock", "must not be empty");
  files.string_into("control_socket", cfg.control_socket);
  if (cfg.control_socket.empty() || cfg.control_socket.size() > 100) {
    files.fail_key("control_socket", "must be a path of 1-100 characters");  // sun_path is 108
  }
}

}  // namespace

Expected<ClientConfig, std::string> parse_config(std::string_view text, std::string_view source) {
  static constexpr config::Schema kSchema{kTables, kValueKeys};
  auto root = config::parse(text, source, kSchema);
  if (!root) return unexpected(root.error());
  config::Errors errors(source);
  ClientConfig cfg;
  read_server(*root, errors, cfg);
  read_auth(*root, errors, cfg);
  read_node(*root, errors, cfg);
  read_dti(*root, errors, cfg);
  read_rest(*root, errors, cfg);
  if (errors.failed()) return unexpected(errors.first());
  return cfg;
}

Expected<ClientConfig, std::string> load_config(const std::string& path) {
  auto text = config::read_text_file(path);
  if (!text) return unexpected(text.error());
  return parse_config(*text, path);
}

Expected<std::string, std::string> read_password_file(const std::string& path) {
  auto text = config::read_text_file(path);
  if (!text) return unexpected(text.error());
  std::string line = text->substr(0, text->find('\n'));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) return unexpected(path + ": the first line (the password) is empty");
  return line;
}

Expected<InterfaceAddresses, std::string> interface_addresses(const std::string& interface) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return unexpected(std::string("getifaddrs failed"));
  std::unique_ptr<ifaddrs, void (*)(ifaddrs*)> guard(list, ::freeifaddrs);
  InterfaceAddresses out;
  bool found = false;
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_name == nullptr || interface != i->ifa_name) continue;
    found = true;
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET6) continue;
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
    const auto a = net::Ipv6Address::from_bytes(sin6->sin6_addr.s6_addr);
    if (a.is_link_local() && !out.link_local) out.link_local = a;
    if (a.is_global_unicast() && !out.global) out.global = a;
  }
  if (!found) return unexpected("no interface named '" + interface + "'");
  return out;
}

}  // namespace dstm::client
