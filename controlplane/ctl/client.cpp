// The control-socket client: blocking connect (a Unix socket connects at once or fails), then
// poll() against one deadline for the whole exchange.
#include "client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dstm::ctl {

namespace {

// Answers may be long (a big page of mappings): more room than a daemon gives requests.
constexpr std::size_t kMaxAnswerBytes = 64u << 20;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

int ms_left(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(std::min<long long>(left.count(), 1 << 30));
}

}  // namespace

Expected<json::Value, CallError> call(const std::string& socket_path, std::string_view daemon,
                                      std::string_view cmd, const json::Value& args,
                                      std::chrono::milliseconds timeout) {
  std::string who = std::string(daemon) + " at " + socket_path;
  auto unreachable = [&](const std::string& what) {
    return unexpected(CallError{CallError::Kind::kUnreachable, what});
  };
  auto protocol = [&](const std::string& what) {
    return unexpected(
        CallError{CallError::Kind::kProtocol, who + " sent an invalid answer: " + what});
  };

  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.empty() || socket_path.size() >= sizeof addr.sun_path) {
    return unreachable("cannot connect to " + who + ": the path is empty or longer than " +
                       std::to_string(sizeof addr.sun_path - 1) + " bytes");
  }
  std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return unreachable(std::string("socket: ") + std::strerror(errno));
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    return unreachable("cannot connect to " + who + ": " + std::strerror(err) + " (is " +
                       std::string(daemon) + " running? " +
                       (daemon == "dstm-server" ? "--server-socket or DSTM_SERVER_SOCKET"
                                                : "--agent-socket or DSTM_AGENT_SOCKET") +
                       " names another socket)");
  }

  json::Value request;
  request["cmd"] = cmd;
  request["args"] = args.is_object() ? args : json::Value(json::Object{});
  std::string line = json::serialize(request) + "\n";
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto timed_out = [&] {
    return unreachable(who + " did not answer within " + std::to_string(timeout.count()) + " ms");
  };

  for (std::size_t sent = 0; sent < line.size();) {
    pollfd p{fd.get(), POLLOUT, 0};
    int r = ::poll(&p, 1, ms_left(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) return timed_out();
    ssize_t n =
        ::send(fd.get(), line.data() + sent, line.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return unreachable("sending to " + who + ": " + std::strerror(errno));
    }
    sent += static_cast<std::size_t>(n);
  }

  std::string answer;
  char buf[65536];
  for (;;) {
    std::size_t nl = answer.find('\n');
    if (nl != std::string::npos) {
      answer.resize(nl);
      break;
    }
    if (answer.size() > kMaxAnswerBytes) return protocol("longer than 64 MiB");
    pollfd p{fd.get(), POLLIN, 0};
    int r = ::poll(&p, 1, ms_left(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) return timed_out();
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return unreachable("reading from " + who + ": " + std::strerror(errno));
    }
    if (n == 0) {
      if (answer.empty()) return unreachable(who + " closed the connection without answering");
      return protocol("the line is not terminated by a newline");
    }
    answer.append(buf, static_cast<std::size_t>(n));
  }

  json::Limits limits;
  limits.max_bytes = kMaxAnswerBytes;
  limits.max_elements = 10'000'000;
  auto parsed = json::parse(answer, limits);
  if (!parsed) return protocol(parsed.error());
  const json::Value* ok = parsed->find("ok");
  if (!ok || !ok->is_bool()) return protocol("no boolean \"ok\"");
  if (ok->as_bool() && !parsed->find("result")) return protocol("\"ok\": true without \"result\"");
  if (!ok->as_bool()) {
    const json::Value* error = parsed->find("error");
    if (!error || !error->is_string()) return protocol("\"ok\": false without an \"error\" string");
  }
  return std::move(*parsed);
}

}  // namespace dstm::ctl
