#include "daemon/daemon.h"

#include <getopt.h>
#include <signal.h>

#include <cstdio>

namespace dstm::daemon {

std::optional<int> parse_args(int argc, char** argv, const char* name, const char* usage,
                              const char* version, Args& args) {
  static const option kLong[] = {{"config", required_argument, nullptr, 'c'},
                                 {"check", no_argument, nullptr, 'k'},
                                 {"log-level", required_argument, nullptr, 'l'},
                                 {"help", no_argument, nullptr, 'h'},
                                 {"version", no_argument, nullptr, 'V'},
                                 {nullptr, 0, nullptr, 0}};
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "c:l:hV", kLong, nullptr)) != -1) {
    switch (c) {
      case 'c': args.config = optarg; break;
      case 'k': args.check = true; break;
      case 'l': {
        const std::string v = optarg;
        if (v == "error") args.level = log::Level::kError;
        else if (v == "warning") args.level = log::Level::kWarning;
        else if (v == "info") args.level = log::Level::kInfo;
        else if (v == "debug") args.level = log::Level::kDebug;
        else {
          std::fprintf(stderr, "%s: --log-level: '%s' is not error, warning, info or debug\n", name, optarg);
          return 2;
        }
        break;
      }
      case 'h': std::fputs(usage, stdout); return 0;
      case 'V': std::printf("%s %s\n", name, version); return 0;
      default: std::fputs(usage, stderr); return 2;
    }
  }
  if (optind != argc) {
    std::fprintf(stderr, "%s: unexpected argument '%s'\n%s", name, argv[optind], usage);
    return 2;
  }
  if (args.config.empty()) {
    std::fprintf(stderr, "%s: --config FILE is required\n%s", name, usage);
    return 2;
  }
  return std::nullopt;
}

std::optional<tsp::sasl::UserRecord> ReloadableCredentials::find(std::string_view user) const {
  return current_ ? current_->find(user) : std::nullopt;
}

Expected<void, std::string> ReloadableCredentials::load(const std::string& path) {
  if (path.empty()) {
    current_.reset();
    return {};
  }
  auto store = tsp::sasl::FileCredentialStore::load(path);
  if (!store) return unexpected(store.error());
  current_ = std::make_unique<tsp::sasl::FileCredentialStore>(std::move(*store));
  return {};
}

std::shared_ptr<void> handle_signals(asio::io_context& io, std::function<void(const char*)> on_stop,
                                     std::function<void()> on_hup) {
  struct Signals {
    Signals(asio::io_context& io) : stop(io, SIGINT, SIGTERM), hup(io, SIGHUP) {}
    asio::signal_set stop;
    asio::signal_set hup;
    std::function<void()> arm_hup;
  };
  auto s = std::make_shared<Signals>(io);
  s->stop.async_wait([on_stop](asio::error_code ec, int signo) {
    if (!ec) on_stop(signo == SIGINT ? "SIGINT" : "SIGTERM");
  });
  std::weak_ptr<Signals> weak = s;
  s->arm_hup = [weak, on_hup] {
    auto self = weak.lock();
    if (!self) return;
    self->hup.async_wait([weak, on_hup](asio::error_code ec, int) {
      if (ec) return;
      on_hup();
      if (auto again = weak.lock()) again->arm_hup();
    });
  };
  s->arm_hup();
  return s;
}

}  // namespace dstm::daemon
