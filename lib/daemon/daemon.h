// dstm::daemon — what every control-plane daemon's main() shares: the common command line
// (--config, --check, --log-level, --help, --version), the users file that SIGHUP reloads,
// and the signal handling of one asio event loop.
#pragma once

#include <asio.hpp>

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

// SIGTERM/SIGINT call on_stop once (which should make io.run() return); SIGHUP calls on_hup
// each time. Keep the returned object alive while the loop runs.
std::shared_ptr<void> handle_signals(asio::io_context& io, std::function<void(const char*)> on_stop,
                                     std::function<void()> on_hup);

}  // namespace dstm::daemon
