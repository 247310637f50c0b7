// dstm::daemon — what every control-plane daemon's main() shares: the common command line
// (--config, --check, --log-level, --help, --version), the users file that SIGHUP reloads,
// and the signal handling of one asio event loop.
#pragma once

#include <asio.hpp>

#include <cstdio>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "tsp/tsp.h"
#include "util/expected.h"
#include "util/log.h"

namespace dstm::daemon {

struct Args {
  std::string config;
  bool check = false;
  log::Level level = log::Level::kInfo;
};

// Parses argv. Returns nullopt to go on, or the exit status (0 after --help/--version, 2 on a
// usage error, with the message and `usage` printed).
std::optional<int> parse_args(int argc, char** argv, const char* name, const char* usage,
                              const char* version, Args& args);

// The users file behind a pointer that reload swaps; sessions look users up at auth time.
class ReloadableCredentials final : public tsp::sasl::CredentialStore {
 public:
  std::optional<tsp::sasl::UserRecord> find(std::string_view user) const override;
  // "" = no users (ANONYMOUS only). On error the previous file stays in force.
  Expected<void, std::string> load(const std::string& path);

 private:
  std::unique_ptr<tsp::sasl::FileCredentialStore> current_;
};

// The start every TSP daemon shares: load the configuration with `load`, then its users file
// (Config::users_file, "" = none). Returns nullopt to go on, or the exit status: 1 with the
// error on stderr, 0 after --check printed "FILE: OK".
template <class Config, class Load>
std::optional<int> load_config_and_users(const char* name, const Args& args, Load&& load,
                                         std::optional<Config>& config,
                                         ReloadableCredentials& credentials) {
  auto loaded = load(args.config);
  if (!loaded) {
    std::fprintf(stderr, "%s: %s\n", name, loaded.error().c_str());
    return 1;
  }
  config.emplace(std::move(*loaded));
  if (auto r = credentials.load(config->users_file); !r) {
    std::fprintf(stderr, "%s: %s\n", name, r.error().c_str());
    return 1;
  }
  if (args.check) {
    std::printf("%s: OK\n", args.config.c_str());
    return 0;
  }
  return std::nullopt;
}

// SIGTERM/SIGINT call on_stop once (which should make io.run() return); SIGHUP calls on_hup
// each time. Keep the returned object alive while the loop runs.
std::shared_ptr<void> handle_signals(asio::io_context& io, std::function<void(const char*)> on_stop,
                                     std::function<void()> on_hup);

}  // namespace dstm::daemon
