// dstm::control — the daemons' control socket (controlplane/ctl/PROTOCOL.md is the contract):
// a Unix stream socket, one JSON request per line {"cmd": NAME, "args": {...}}, one JSON
// answer per line {"ok": true, "result": ...} | {"ok": false, "error": TEXT[, "code": N]}.
// Requests on one connection are answered in order; a handler may answer later (the agent
// waits for the dataplane), from the same event loop.
#pragma once

#include <asio.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "json/json.h"
#include "util/expected.h"

namespace dstm::control {

struct Response {
  bool ok = true;
  json::Value result;          // when ok
  std::string error;           // when !ok
  std::optional<int> code;     // a TSP status code, when the failure has one
  static Response success(json::Value v) { return Response{true, std::move(v), {}, {}}; }
  static Response failure(std::string e, std::optional<int> c = {}) {
    return Response{false, {}, std::move(e), c};
  }
};
using Reply = std::function<void(Response)>;

// The answer to "reload" (PROTOCOL.md): {"changed": [the keys the daemon named]}, or the
// reload's error (the old configuration stays in force).
Response reload_response(const Expected<std::vector<std::string>, std::string>& changed);
using Handler = std::function<void(const std::string& cmd, const json::Value& args, Reply reply)>;

// Longest request line accepted; longer ones get an error and the connection is closed.
inline constexpr std::size_t kMaxRequestBytes = 64 * 1024;

class Server {
 public:
  Server(asio::io_context& io, std::string path, Handler handler);
  ~Server();  // closes and unlinks the socket
  // Binds `path` (mode 0660: root and the group may drive the daemon). A leftover socket file
  // that nobody listens on is replaced; one in use is an error (another daemon runs).
  Expected<void, std::string> start();
  const std::string& path() const { return path_; }

 private:
  void accept_next();
  asio::io_context& io_;
  std::string path_;
  std::shared_ptr<Handler> handler_;
  asio::local::stream_protocol::acceptor acceptor_;
  bool bound_ = false;
};

// The answer line for a response (exposed for tests).
std::string encode_response(const Response& r);

}  // namespace dstm::control
