// dstm-agent: the TEP's control plane (DESIGN.md). A TSP server for configured DSTM servers,
// the authoritative mapping set (SQLite), the producer side of the shared-memory ring to
// dstm-dataplane, and the operator's control socket. One event-loop thread.
#include <asio.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "config.h"
#include "control/server.h"
#include "control_commands.h"
#include "daemon/daemon.h"
#include "tep_service.h"
#include "tspnet/tspnet.h"
#include "util/log.h"

namespace {

using namespace dstm;
using namespace dstm::agent;

constexpr const char* kUsage = R"(Usage: dstm-agent --config FILE [options]

The DSTM tunnel end point's control plane. Accepts Tunnel Create / Delete / Info from the
configured DSTM servers over TSP (TCP and UDP port 3653), keeps the mapping set in SQLite,
pushes it to dstm-dataplane through shared memory and answers a server only once the
dataplane forwards for the new mapping. Operators use dstmctl on the control socket.

Options:
  -c, --config FILE      configuration (TOML; see controlplane/agent/README.md)
      --check            check the configuration and the users file, then exit (0 = valid)
  -l, --log-level LEVEL  error, warning, info (default) or debug
  -h, --help             this text
  -V, --version          print the version

Signals: SIGTERM/SIGINT stop cleanly; SIGHUP reloads (as `dstmctl reload`).
Exit status: 0 stopped cleanly, 1 configuration or start-up error, 2 usage error.
)";

std::uint64_t now_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

// The TSP profile for the TEP side, on the shared TSP sockets.
class TepApplication final : public tspnet::Application {
 public:
  explicit TepApplication(TepService& service) : service_(service) {}
  void on_request(const tspnet::SessionPtr& session, const tsp::TunnelMessage& request,
                  tspnet::Answer answer) override {
    service_.tunnel_request(request, session->identity(), now_ms(), [answer](Answer a) {
      answer(a.status, std::move(a.message), a.detail);
    });
  }

 private:
  TepService& service_;
};

tspnet::ListenerConfig listener_config(const AgentConfig& config) {
  tspnet::ListenerConfig l;
  l.name = "tsp";
  l.listen = config.listen;
  l.udp = config.udp;
  l.session.offer.tunnel_types = {tsp::TunnelType::kV4V6};
  l.session.offer.mechanisms = config.mechanisms;
  l.session.handshake_deadline_ms = config.handshake_timeout_ms;
  l.session.sasl.realm = config.realm;
  l.tls = config.tls;
  l.allow = [&config](const std::string& peer) { return config.source_allowed(peer); };
  l.max_sessions = config.max_sessions;
  l.auth_failures_before_backoff = config.auth_failures_before_backoff;
  return l;
}

// Applies what can change at run time; names the rest, which needs a restart.
Expected<std::vector<std::string>, std::string> reload(const std::string& path, AgentConfig& live,
                                                       daemon::ReloadableCredentials& credentials) {
  auto fresh = load_config(path);
  if (!fresh) return unexpected(fresh.error());
  std::vector<std::string> changed;
  if (fresh->users_file != live.users_file || !fresh->users_file.empty()) {
    if (auto r = credentials.load(fresh->users_file); !r) return unexpected(r.error());
    live.users_file = fresh->users_file;
    changed.push_back("tsp.users_file (reloaded)");
  }
  auto same_allow = [](const auto& a, const auto& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i].to_string() != b[i].to_string()) return false;
    }
    return true;
  };
  if (!same_allow(fresh->allow, live.allow)) {
    live.allow = fresh->allow;
    changed.push_back("tsp.allow");
  }
  if (fresh->apply_timeout_ms != live.apply_timeout_ms) {
    live.apply_timeout_ms = fresh->apply_timeout_ms;
    changed.push_back("dataplane.apply_timeout_ms");
  }
  if (fresh->max_sessions != live.max_sessions) {
    live.max_sessions = fresh->max_sessions;
    changed.push_back("tsp.max_sessions");
  }
  auto needs_restart = [&](bool differs, const char* key) {
    if (differs) changed.push_back(std::string(key) + " (needs a restart)");
  };
  needs_restart(fresh->tep_ipv4 != live.tep_ipv4 || fresh->tep_ipv6 != live.tep_ipv6, "tep.ipv4/ipv6");
  needs_restart(fresh->pools != live.pools, "tep.pools");
  needs_restart(fresh->store_path != live.store_path, "store.path");
  needs_restart(fresh->shm_name != live.shm_name, "dataplane.shm");
  needs_restart(fresh->control_socket != live.control_socket, "control.socket");
  needs_restart(fresh->handshake_timeout_ms != live.handshake_timeout_ms, "tsp.handshake_timeout_ms");
  needs_restart(fresh->auth_failures_before_backoff != live.auth_failures_before_backoff,
                "tsp.auth_failures_before_backoff");
  needs_restart(fresh->ring_capacity != live.ring_capacity, "dataplane.ring_capacity");
  for (auto& c : tspnet::restart_changes(*fresh, live)) changed.push_back(std::move(c));
  log::info("reloaded " + path + ": " + std::to_string(changed.size()) + " change(s)");
  for (const auto& c : changed) log::info("  " + c);
  return changed;
}

}  // namespace

int main(int argc, char** argv) {
  daemon::Args args;
  if (auto rc = daemon::parse_args(argc, argv, "dstm-agent", kUsage, DSTM_VERSION, args)) return *rc;
  log::set_level(args.level);

  std::optional<AgentConfig> loaded;
  daemon::ReloadableCredentials credentials;
  if (auto rc = daemon::load_config_and_users("dstm-agent", args,
                                              [](const std::string& f) { return load_config(f); },
                                              loaded, credentials)) {
    return *rc;
  }
  AgentConfig& config = *loaded;

  asio::io_context io(1);
  auto service = TepService::start(io, config, now_ms());
  if (!service) {
    std::fprintf(stderr, "dstm-agent: %s\n", service.error().c_str());
    return 1;
  }
  tsp::sasl::OpenSslNonceSource nonces;
  TepApplication app(**service);
  tspnet::Listener listener(io, listener_config(config), credentials, nonces, app);
  if (auto r = listener.start(); !r) {
    std::fprintf(stderr, "dstm-agent: %s\n", r.error().c_str());
    return 1;
  }
  auto do_reload = [&]() -> Expected<std::vector<std::string>, std::string> {
    auto r = reload(args.config, config, credentials);
    if (r) listener.set_max_sessions(config.max_sessions);  // tsp.allow is read live via config
    return r;
  };
  AgentControl control(**service, listener, do_reload);
  control::Server control_server(io, config.control_socket,
                                 [&](const std::string& cmd, const json::Value& a, control::Reply reply) {
                                   control.handle(cmd, a, std::move(reply));
                                 });
  if (auto r = control_server.start(); !r) {
    std::fprintf(stderr, "dstm-agent: %s\n", r.error().c_str());
    return 1;
  }
  log::info("control socket " + config.control_socket);

  // The tick: fast (100 us) while an answer waits for the dataplane, so create-to-applied
  // latency is the dataplane's, not ours; otherwise 20 ms (restart detection, heartbeat).
  asio::steady_timer tick(io);
  std::uint64_t last_sample = 0;
  bool fast = false;
  std::function<void(bool)> arm = [&](bool want_fast) {
    fast = want_fast;
    // Re-arming cancels the pending wait: its handler sees operation_aborted and returns.
    tick.expires_after(fast ? std::chrono::microseconds(100) : std::chrono::microseconds(20000));
    tick.async_wait([&](asio::error_code ec) {
      if (ec) return;
      const std::uint64_t now = now_ms();
      (*service)->tick(now);
      if (now - last_sample >= 1000) {
        control.sample();
        last_sample = now;
      }
      arm((*service)->waiting());
    });
  };
  // A new waiter switches to the fast tick at once instead of at the next slow one.
  (*service)->set_wakeup([&] {
    if (!fast) arm(true);
  });
  arm(false);

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

  log::info("dstm-agent " + std::string(DSTM_VERSION) + " running: TEP " + config.tep_ipv4.to_string() +
            " / " + config.tep_ipv6.to_string() + ", " + std::to_string((*service)->mappings().size()) +
            " mapping(s), shm " + config.shm_name);
  io.run();
  log::info("stopped");
  return 0;
}
