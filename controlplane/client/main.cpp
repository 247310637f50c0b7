// dstm-client: the DSTM node's daemon (DESIGN.md). Obtains a temporary IPv4 address and a TEP
// from a DSTM server over TSP, sets up the Dynamic Tunnel Interface, renews, and tears down on
// delete, expiry or SIGTERM/SIGINT. One event-loop thread. `dstm-client status` asks a running
// one over its control socket.
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asio.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "client_machine.h"
#include "config.h"
#include "control/server.h"
#include "daemon.h"
#include "dti.h"
#include "json/json.h"
#include "status.h"
#include "util/log.h"

namespace {

using namespace dstm;
using namespace dstm::client;

constexpr const char* kUsage = R"(Usage: dstm-client [--config FILE] [options]
       dstm-client status [-j] [--config FILE | --socket PATH]

The DSTM node's client (draft-bound-dstm-exp-00). It connects to a DSTM server over TSP (TCP or
reliable UDP, port 3653), authenticates, asks for a temporary IPv4 address with a v4v6 Tunnel
Create carrying the node's link-local and global IPv6 addresses, and sets up the Dynamic
Tunnel Interface (DTI): an IPv4-in-IPv6 tunnel from the node's global IPv6 to the TEP's IPv6,
with the leased address as /32 on it and IPv4 routes into it (the default route unless
dti.routes says otherwise). Backends: "kernel" (ip6tnl in ipip6 mode, made through netlink),
"tun" (a TUN device; dstm-client encapsulates in user space and checks that what comes back
is from the TEP and for the leased address), "auto" (kernel where the kernel has ip6tnl).

It renews at lease.renew_fraction of the lifetime on the session it keeps open, retries with
back-off, reconnects (asking for the same address again) when the session drops, and removes
the DTI, the address and the routes when the server sends Tunnel Delete, when the lease
expires unrenewed, or on SIGTERM/SIGINT, leaving the node's network as it found it. It never
touches DNS (draft section 5.1). Only one dstm-client runs per node (files.lock).

Options:
  -c, --config FILE      configuration (TOML; default /etc/dstm/client.toml; see
                         controlplane/client/README.md)
  -f, --foreground       accepted for init systems; dstm-client always stays in the foreground
                         and logs to stderr
  -l, --log-level LEVEL  error, warning, info (default) or debug
      --check            check the configuration (and the password file), then exit
  -h, --help             this text
  -V, --version          print the version

status subcommand:
  -j, --json             print the control socket's JSON answer
  -s, --socket PATH      the control socket (default: files.control_socket of --config, else
                         /run/dstm/client.sock)
  Shows the session state, the leased IPv4, the TEP's IPv4/IPv6, the expiry (absolute and
  remaining), the DTI's backend, name and state, and the TUN data path's counters.

Testing only:
  --static-lease IPV4,TEP6   skip TSP: bring the DTI up at once for a fixed lease (no expiry)
                             and keep it until SIGTERM/SIGINT; for data-path tests

Signals: SIGTERM/SIGINT tear the DTI down and stop.
Exit status: 0 stopped cleanly, 1 configuration or start-up error (another client running,
no permission), 2 usage error; status: 0 when the client answered, 1 otherwise.
)";

constexpr const char* kDefaultConfig = "/etc/dstm/client.toml";
constexpr const char* kDefaultSocket = "/run/dstm/client.sock";

struct Args {
  std::string config;
  bool status = false;
  bool json = false;
  bool check = false;
  std::string socket;
  std::string static_lease;
  log::Level level = log::Level::kInfo;
};

int parse_args(int argc, char** argv, Args& args) {
  if (argc > 1 && std::string(argv[1]) == "status") {
    args.status = true;
    --argc;
    ++argv;
  }
  enum { kCheck = 1000, kStaticLease };
  static const option kLong[] = {{"config", required_argument, nullptr, 'c'},
                                 {"foreground", no_argument, nullptr, 'f'},
                                 {"log-level", required_argument, nullptr, 'l'},
                                 {"check", no_argument, nullptr, kCheck},
                                 {"static-lease", required_argument, nullptr, kStaticLease},
                                 {"json", no_argument, nullptr, 'j'},
                                 {"socket", required_argument, nullptr, 's'},
                                 {"help", no_argument, nullptr, 'h'},
                                 {"version", no_argument, nullptr, 'V'},
                                 {nullptr, 0, nullptr, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "c:fl:js:hV", kLong, nullptr)) != -1) {
    switch (c) {
      case 'c': args.config = optarg; break;
      case 'f': break;
      case 'j': args.json = true; break;
      case 's': args.socket = optarg; break;
      case kCheck: args.check = true; break;
      case kStaticLease: args.static_lease = optarg; break;
      case 'l': {
        const std::string v = optarg;
        if (v == "error") args.level = log::Level::kError;
        else if (v == "warning") args.level = log::Level::kWarning;
        else if (v == "info") args.level = log::Level::kInfo;
        else if (v == "debug") args.level = log::Level::kDebug;
        else {
          std::fprintf(stderr, "dstm-client: --log-level: '%s' is not error, warning, info or debug\n", optarg);
          return 2;
        }
        break;
      }
      case 'h': std::fputs(kUsage, stdout); return 0;
      case 'V': std::printf("dstm-client %s\n", DSTM_VERSION); return 0;
      default: std::fputs(kUsage, stderr); return 2;
    }
  }
  if (optind != argc) {
    std::fprintf(stderr, "dstm-client: unexpected argument '%s'\n%s", argv[optind], kUsage);
    return 2;
  }
  if ((args.json || !args.socket.empty()) && !args.status) {
    std::fprintf(stderr, "dstm-client: -j and --socket belong to the status subcommand\n");
    return 2;
  }
  return -1;
}

// `dstm-client status`: one "status" request on the control socket.
int run_status(const Args& args) {
  std::string path = args.socket;
  if (path.empty()) {
    path = kDefaultSocket;
    if (!args.config.empty()) {
      auto cfg = load_config(args.config);
      if (!cfg) {
        std::fprintf(stderr, "dstm-client: %s\n", cfg.error().c_str());
        return 1;
      }
      path = cfg->control_socket;
    }
  }
  asio::io_context io;
  asio::local::stream_protocol::socket sock(io);
  asio::error_code ec;
  sock.connect(asio::local::stream_protocol::endpoint(path), ec);
  if (ec) {
    std::fprintf(stderr, "dstm-client: no client answers on %s (%s): is dstm-client running?\n", path.c_str(),
                 ec.message().c_str());
    return 1;
  }
  const std::string request = "{\"cmd\":\"status\",\"args\":{}}\n";
  asio::write(sock, asio::buffer(request), ec);
  std::string line;
  if (!ec) asio::read_until(sock, asio::dynamic_buffer(line), '\n', ec);
  if (ec && line.find('\n') == std::string::npos) {
    std::fprintf(stderr, "dstm-client: %s: %s\n", path.c_str(), ec.message().c_str());
    return 1;
  }
  auto answer = json::parse(std::string_view(line).substr(0, line.find('\n')));
  if (!answer || !answer->is_object()) {
    std::fprintf(stderr, "dstm-client: %s: malformed answer\n", path.c_str());
    return 1;
  }
  const json::Value* ok = answer->find("ok");
  const json::Value* result = answer->find("result");
  if (!ok || !ok->is_bool() || !ok->as_bool() || !result) {
    const json::Value* err = answer->find("error");
    std::fprintf(stderr, "dstm-client: %s\n", err && err->is_string() ? err->as_string().c_str() : "status failed");
    return 1;
  }
  if (args.json) {
    std::printf("%s\n", json::serialize_pretty(*result).c_str());
  } else {
    std::fputs(format_status(*result).c_str(), stdout);
  }
  return 0;
}

void make_parent_dir(const std::string& path) {
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
}

// One client per node: an exclusive flock, held for the process's life, with our PID inside.
class LockFile {
 public:
  // The file stays: unlinking it would let a newcomer lock a fresh file while a racing one
  // still holds the old inode. The PID inside is only read while someone holds the lock.
  ~LockFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  Expected<void, std::string> acquire(const std::string& path) {
    make_parent_dir(path);
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) return unexpected("cannot open the lock file " + path + ": " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      char buf[32] = {};
      const ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
      ::close(fd_);
      fd_ = -1;
      if (err != EWOULDBLOCK) return unexpected("cannot lock " + path + ": " + std::strerror(err));
      std::string pid = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string("?");
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
      return unexpected("another dstm-client is already running (PID " + pid + ", lock " + path +
                        "); stop it first, or give this one other files.lock and dti.name");
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
      return unexpected("cannot write the lock file " + path + ": " + std::strerror(errno));
    }
    return {};
  }

 private:
  int fd_ = -1;
};

Expected<Lease, std::string> parse_static_lease(const std::string& text) {
  const auto comma = text.find(',');
  if (comma == std::string::npos) return unexpected(std::string("--static-lease IPV4,TEP6"));
  auto v4 = net::Ipv4Address::parse(text.substr(0, comma));
  auto v6 = net::Ipv6Address::parse(text.substr(comma + 1));
  if (!v4 || !v6) return unexpected("--static-lease: '" + text + "' is not IPV4,TEP6");
  Lease l;
  l.ipv4 = *v4;
  l.tep_ipv6 = *v6;
  return l;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (int rc = parse_args(argc, argv, args); rc >= 0) return rc;
  log::set_level(args.level);
  if (args.status) return run_status(args);
  if (args.config.empty()) args.config = kDefaultConfig;

  auto loaded = load_config(args.config);
  if (!loaded) {
    std::fprintf(stderr, "dstm-client: %s\n", loaded.error().c_str());
    return 1;
  }
  const ClientConfig config = std::move(*loaded);
  std::string password;
  if (!config.anonymous && args.static_lease.empty()) {
    auto p = read_password_file(config.password_file);
    if (!p) {
      std::fprintf(stderr, "dstm-client: %s\n", p.error().c_str());
      return 1;
    }
    password = std::move(*p);
  }
  std::optional<net::Ipv6Address> global = config.ipv6;
  std::optional<net::Ipv6Address> link_local = config.link_local;
  if (!config.interface.empty() && (!global || !link_local)) {
    auto found = interface_addresses(config.interface);
    if (!found) {
      std::fprintf(stderr, "dstm-client: node.interface: %s\n", found.error().c_str());
      return 1;
    }
    if (!global) global = found->global;
    if (!link_local) link_local = found->link_local;
  }
  if (!global) {
    std::fprintf(stderr, "dstm-client: %s has no global IPv6 address: set node.ipv6\n", config.interface.c_str());
    return 1;
  }
  std::optional<Lease> static_lease;
  if (!args.static_lease.empty()) {
    auto l = parse_static_lease(args.static_lease);
    if (!l) {
      std::fprintf(stderr, "dstm-client: %s\n", l.error().c_str());
      return 2;
    }
    static_lease = *l;
  }
  if (args.check) {
    std::printf("%s: OK (node %s%s)\n", args.config.c_str(), global->to_string().c_str(),
                link_local ? (", " + link_local->to_string()).c_str() : "");
    return 0;
  }

  LockFile lock;
  if (auto r = lock.acquire(config.lock_file); !r) {
    std::fprintf(stderr, "dstm-client: %s\n", r.error().c_str());
    return 1;
  }
  auto channel = nl::open_route_channel();
  if (!channel) {
    std::fprintf(stderr, "dstm-client: %s\n", channel.error().c_str());
    return 1;
  }

  MachineConfig mc;
  mc.session.mechanisms = config.mechanisms;
  mc.session.credentials = {config.username, password};
  mc.session.digest_host = config.servers.front().host;
  mc.server_count = config.servers.size();
  mc.global = *global;
  mc.link_local = link_local;
  mc.renew_fraction = config.renew_fraction;
  mc.retry_min_ms = config.retry_min_ms;
  mc.retry_max_ms = config.retry_max_ms;
  mc.answer_timeout_ms = config.timeout_ms;
  DtiSettings ds;
  ds.backend = config.backend;
  ds.name = config.dti_name;
  ds.mtu = config.mtu;
  ds.encap_limit = config.encap_limit;
  ds.routes = config.routes;
  ds.local = *global;

  asio::io_context io(1);
  Daemon daemon(io, config, mc, make_dti(io, **channel, ds));
  make_parent_dir(config.control_socket);
  control::Server control_server(io, config.control_socket,
                                 [&](const std::string& cmd, const json::Value&, control::Reply reply) {
                                   if (cmd == "status") return reply(control::Response::success(daemon.status()));
                                   reply(control::Response::failure("unknown command '" + cmd + "' (known: status)"));
                                 });
  if (auto r = control_server.start(); !r) {
    std::fprintf(stderr, "dstm-client: %s\n", r.error().c_str());
    return 1;
  }
  asio::signal_set stop_signals(io, SIGINT, SIGTERM);
  stop_signals.async_wait([&](asio::error_code ec, int signo) {
    if (ec) return;
    log::info(std::string("stopping on ") + (signo == SIGINT ? "SIGINT" : "SIGTERM"));
    daemon.stop();
    io.stop();
  });
  ::signal(SIGPIPE, SIG_IGN);

  log::info("dstm-client " + std::string(DSTM_VERSION) + " running: node " + global->to_string() +
            (link_local ? " / " + link_local->to_string() : std::string()) + ", DTI " + config.dti_name + " (" +
            std::string(backend_name(config.backend)) + "), control socket " + config.control_socket);
  if (static_lease) {
    log::warning("--static-lease: no TSP, fixed lease " + static_lease->ipv4.to_string() + " via " +
                 static_lease->tep_ipv6.to_string() + " (testing only)");
    if (!daemon.start_static(*static_lease)) return 1;
  } else {
    daemon.start();
  }
  io.run();
  log::info("stopped");
  return 0;
}
