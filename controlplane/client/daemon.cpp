// dstm-client's daemon: see daemon.h.
#include "daemon.h"

#include <chrono>

#include "status.h"
#include "util/log.h"

namespace dstm::client {
namespace {

// The machine's clock: milliseconds of the steady clock since the first call.
std::uint64_t now_ms() {
  using namespace std::chrono;
  static const auto start = steady_clock::now();
  return static_cast<std::uint64_t>(duration_cast<milliseconds>(steady_clock::now() - start).count());
}

std::int64_t wall_now_s() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

Daemon::Daemon(asio::io_context& io, const ClientConfig& config, MachineConfig machine_config, std::unique_ptr<Dti> dti)
    : config_(config),
      machine_(std::move(machine_config), nonces_, config.udp ? tsp::Transport::kDatagram : tsp::Transport::kStream),
      link_(io, config.udp,
            LinkCallbacks{[this] {
                            machine_.on_connected(now_ms());
                            process();
                          },
                          [this](const std::string& why) {
                            if (machine_.state() == ClientMachine::State::kConnecting) {
                              machine_.on_connect_failed(now_ms(), why);
                            } else {
                              machine_.on_disconnected(now_ms(), why);
                            }
                            process();
                          },
                          [this](std::string_view bytes) {
                            machine_.on_input(now_ms(), bytes);
                            process();
                          }}),
      dti_(std::move(dti)),
      timer_(io) {}

void Daemon::start() {
  machine_.start(now_ms());
  process();
}

bool Daemon::start_static(const Lease& lease) {
  static_lease_ = lease;
  if (auto r = dti_->up(lease); !r) {
    log::error("cannot bring the DTI up: " + r.error().text);
    return false;
  }
  return true;
}

void Daemon::stop() {
  if (static_lease_) {
    if (auto problem = dti_->down()) log::warning("while removing the DTI: " + *problem);
  } else {
    machine_.stop(now_ms());
    process();
  }
  timer_.cancel();
  link_.close();
}

json::Value Daemon::status() const {
  StatusInputs in;
  in.machine = static_lease_ ? nullptr : &machine_;
  in.static_lease = static_lease_;
  in.dti = dti_.get();
  in.dti_name = config_.dti_name;
  if (!static_lease_ && !config_.servers.empty()) in.server = config_.servers[machine_.server_index()].to_string();
  in.transport = static_lease_ ? "-" : (config_.udp ? "udp" : "tcp");
  in.now_ms = now_ms();
  in.wall_now_s = wall_now_s();
  return status_json(in);
}

// Carries out what the machine asks, until it asks nothing more; then re-arms its timer.
void Daemon::process() {
  for (auto actions = machine_.take_actions(); !actions.empty(); actions = machine_.take_actions()) {
    for (auto& a : actions) {
      if (auto* c = std::get_if<Connect>(&a)) {
        const auto& server = config_.servers[c->server_index];
        log::info("connecting to " + server.to_string() + (config_.udp ? " (udp)" : " (tcp)"));
        link_.connect(server);
      } else if (auto* s = std::get_if<Send>(&a)) {
        link_.send(std::move(s->bytes));
      } else if (std::holds_alternative<Disconnect>(a)) {
        link_.close();
      } else if (auto* cfg = std::get_if<ConfigureDti>(&a)) {
        if (auto r = dti_->up(cfg->lease); !r) machine_.on_dti_failed(now_ms(), r.error().text);
      } else if (std::holds_alternative<TearDownDti>(a)) {
        if (auto problem = dti_->down()) log::warning("while removing the DTI: " + *problem);
      }
    }
  }
  arm();
}

void Daemon::arm() {
  const auto deadline = machine_.next_deadline();
  timer_.cancel();
  if (!deadline) return;
  const std::uint64_t now = now_ms();
  timer_.expires_after(std::chrono::milliseconds(*deadline > now ? *deadline - now : 0));
  timer_.async_wait([this](const asio::error_code& ec) {
    if (ec) return;
    machine_.on_timer(now_ms());
    process();
  });
}

}  // namespace dstm::client
