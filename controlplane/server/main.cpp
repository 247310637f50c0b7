// dstm-server: the DSTM server (DESIGN.md). Hands temporary IPv4 addresses to DSTM nodes over
// TSP, keeps each lease durable and unique, configures the chosen TEP through its dstm-agent,
// and takes the address back at expiry or release. One event-loop thread.
#include <asio.hpp>

#include <chrono>
#include <cstdio>
#include <string>

#include "config.h"
#include "control/server.h"
#include "control_commands.h"
#include "daemon/daemon.h"
#include "lease_service.h"
#include "tspnet/tspnet.h"
#include "util/log.h"

namespace {

using namespace dstm;
using namespace dstm::server;

constexpr const char* kUsage = R"(Usage: dstm-server --config FILE [options]

The DSTM server. DSTM nodes ask it for a temporary IPv4 address over TSP (TCP and UDP port
3653, versions 1.0.1 and 2.0.x, tunnel type v4v6). It picks an address from its pools, writes
the lease durably, configures a TEP (its dstm-agent) with the node's IPv6 and the address,
answers the node with the address, the TEP and the lifetime, keeps the session open for the
lease, and sends Tunnel Delete to node and TEP when the lease ends.

Options:
  -c, --config FILE      configuration (TOML; see controlplane/server/README.md)
      --check            check the configuration, users file and TEP password files, then exit
  -l, --log-level LEVEL  error, warning, info (default) or debug
  -h, --help             this text
  -V, --version          print the version

Signals: SIGTERM/SIGINT stop cleanly; SIGHUP reloads (as `dstmctl --server reload`).
Exit status: 0 stopped cleanly, 1 configuration or start-up error, 2 usage error.
)";

tspnet::ListenerConfig listener_config(const ServerConfig& config) {
  tspnet::ListenerConfig l;
  l.name = "tsp";
  l.listen = config.listen;
  l.udp = config.udp;
  l.session.offer.tunnel_types = {tsp::TunnelType::kV4V6};
  l.session.offer.mechanisms = config.mechanisms;
  l.session.handshake_deadline_ms = config.handshake_timeout_ms;
  l.session.sasl.realm = config.realm;
  l.tls = config.tls;
  l.max_sessions = config.max_sessions;
  l.max_per_64 = config.max_sessions_per_64;
  l.auth_failures_before_backoff = config.auth_failures_before_backoff;
  return l;
}

Expected<std::vector<std::string>, std::string> reload(const std::string& path, ServerConfig& live,
                                                       daemon::ReloadableCredentials& credentials,
                                                       tspnet::Listener& listener) {
  auto fresh = load_config(path, /*read_secrets=*/false);
  if (!fresh) return unexpected(fresh.error());
  std::vector<std::string> changed;
  if (auto r = credentials.load(fresh->users_file); !r) return unexpected(r.error());
  live.users_file = fresh->users_file;
  changed.push_back("tsp.users_file (reloaded)");
  if (fresh->max_sessions != live.max_sessions) {
    live.max_sessions = fresh->max_sessions;
    listener.set_max_sessions(live.max_sessions);
    changed.push_back("tsp.max_sessions");
  }
  if (fresh->keepalive_interval_s != live.keepalive_interval_s) {
    live.keepalive_interval_s = fresh->keepalive_interval_s;
    changed.push_back("tsp.keepalive_interval");
  }
  if (fresh->dns_servers != live.dns_servers) {
    live.dns_servers = fresh->dns_servers;
    changed.push_back("tsp.dns_servers");
  }
  auto needs_restart = [&](bool differs, const char* key) {
    if (differs) changed.push_back(std::string(key) + " (needs a restart)");
  };
  needs_restart(fresh->pool.prefixes != live.pool.prefixes || fresh->pool.excluded != live.pool.excluded ||
                    fresh->pool.default_lifetime_s != live.pool.default_lifetime_s ||
                    fresh->pool.max_lifetime_s != live.pool.max_lifetime_s,
                "pool");
  needs_restart(fresh->teps.size() != live.teps.size(), "tep");
  needs_restart(fresh->store_path != live.store_path, "store.path");
  needs_restart(fresh->control_socket != live.control_socket, "control.socket");
  needs_restart(fresh->handshake_timeout_ms != live.handshake_timeout_ms, "tsp.handshake_timeout_ms");
  needs_restart(fresh->auth_failures_before_backoff != live.auth_failures_before_backoff,
                "tsp.auth_failures_before_backoff");
  for (auto& c : tspnet::restart_changes(*fresh, live)) changed.push_back(std::move(c));
  log::info("reloaded " + path + ": " + std::to_string(changed.size()) + " change(s)");
  return changed;
}

}  // namespace

int main(int argc, char** argv) {
  daemon::Args args;
  if (auto rc = daemon::parse_args(argc, argv, "dstm-server", kUsage, DSTM_VERSION, args)) return *rc;
  log::set_level(args.level);
  std::optional<ServerConfig> loaded;
  daemon::ReloadableCredentials credentials;
  if (auto rc = daemon::load_config_and_users("dstm-server", args,
                                              [](const std::string& f) { return load_config(f); },
                                              loaded, credentials)) {
    return *rc;
  }
  ServerConfig& config = *loaded;
  if (config.dns_servers.empty()) {
    log::warning("tsp.dns_servers is empty: gogoCLIENT 1.2 on Linux needs a <dns_server> in the answer");
  }

  asio::io_context io(1);
  tsp::sasl::OpenSslNonceSource nonces;
  auto service = LeaseService::start(io, config, nonces);
  if (!service) {
    std::fprintf(stderr, "dstm-server: %s\n", service.error().c_str());
    return 1;
  }
  tspnet::Listener listener(io, listener_config(config), credentials, nonces, **service);
  if (auto r = listener.start(); !r) {
    std::fprintf(stderr, "dstm-server: %s\n", r.error().c_str());
    return 1;
  }
  auto do_reload = [&] { return reload(args.config, config, credentials, listener); };
  ServerControl control(**service, listener, do_reload);
  control::Server control_server(io, config.control_socket,
                                 [&](const std::string& cmd, const json::Value& a, control::Reply reply) {
                                   control.handle(cmd, a, std::move(reply));
                                 });
  if (auto r = control_server.start(); !r) {
    std::fprintf(stderr, "dstm-server: %s\n", r.error().c_str());
    return 1;
  }

  // Expiry: once a second (lifetimes are whole seconds).
  asio::steady_timer tick(io);
  std::function<void()> arm = [&] {
    tick.expires_after(std::chrono::seconds(1));
    tick.async_wait([&](asio::error_code ec) {
      if (ec) return;
      (*service)->expire_due();
      arm();
    });
  };
  arm();
  auto signals = daemon::handle_signals(
      io,
      [&](const char* name) {
        log::info(std::string("stopping on ") + name);
        listener.stop();
        tick.cancel();
        io.stop();
      },
      [&] {
        if (auto r = do_reload(); !r) log::error("reload: " + r.error());
      });
  log::info("dstm-server " + std::string(DSTM_VERSION) + " running: " +
            std::to_string((*service)->allocator().active_count()) + " lease(s), " +
            std::to_string(config.teps.size()) + " TEP(s), control socket " + config.control_socket);
  io.run();
  log::info("stopped");
  return 0;
}
