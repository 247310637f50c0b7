#include "control/server.h"

#include <sys/stat.h>
#include <unistd.h>

#include <deque>

namespace dstm::control {
namespace {

using asio::local::stream_protocol;

json::Limits request_limits() {
  json::Limits l;
  l.max_bytes = kMaxRequestBytes;
  l.max_depth = 8;
  l.max_elements = 1000;
  return l;
}

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(stream_protocol::socket socket, std::shared_ptr<Handler> handler)
      : socket_(std::move(socket)), handler_(std::move(handler)) {}
  void start() { read(); }

 private:
  void read() {
    auto self = shared_from_this();
    asio::async_read_until(socket_, asio::dynamic_buffer(in_, kMaxRequestBytes + 1), '\n',
                           [self](asio::error_code ec, std::size_t n) {
                             if (ec == asio::error::not_found) {
                               return self->answer(Response::failure("request longer than " + std::to_string(kMaxRequestBytes) + " bytes"), true);
                             }
                             if (ec) return;  // peer closed
                             std::string line = self->in_.substr(0, n - 1);
                             self->in_.erase(0, n);
                             self->dispatch(line);
                           });
  }

  void dispatch(const std::string& line) {
    auto request = json::parse(line, request_limits());
    if (!request) return answer(Response::failure("bad request: " + request.error()), false);
    const json::Value* cmd = request->find("cmd");
    if (!request->is_object() || cmd == nullptr || !cmd->is_string()) {
      return answer(Response::failure("bad request: expected {\"cmd\": NAME, \"args\": {...}}"), false);
    }
    static const json::Value kNoArgs = json::Value(json::Object{});
    const json::Value* args = request->find("args");
    if (args != nullptr && !args->is_object()) {
      return answer(Response::failure("bad request: \"args\" must be an object"), false);
    }
    // The reply owns the connection until it is given: a handler may answer later (the agent
    // waits for the dataplane), and nothing else keeps the connection alive meanwhile.
    auto self = shared_from_this();
    (*handler_)(cmd->as_string(), args != nullptr ? *args : kNoArgs, [self](Response r) {
      self->answer(std::move(r), false);
    });
  }

  void answer(const Response& r, bool then_close) {
    out_ = encode_response(r);
    auto self = shared_from_this();
    asio::async_write(socket_, asio::buffer(out_), [self, then_close](asio::error_code ec, std::size_t) {
      if (ec || then_close) {
        asio::error_code ignored;
        self->socket_.close(ignored);
        return;
      }
      self->read();  // the next request only after this answer: answers stay in order
    });
  }

  stream_protocol::socket socket_;
  std::shared_ptr<Handler> handler_;
  std::string in_;
  std::string out_;
};

}  // namespace

std::string encode_response(const Response& r) {
  json::Value v(json::Object{});
  v["ok"] = r.ok;
  if (r.ok) {
    v["result"] = r.result;
  } else {
    v["error"] = r.error;
    if (r.code) v["code"] = *r.code;
  }
  return json::serialize(v) + "\n";
}

Server::Server(asio::io_context& io, std::string path, Handler handler)
    : io_(io),
      path_(std::move(path)),
      handler_(std::make_shared<Handler>(std::move(handler))),
      acceptor_(io) {}

Server::~Server() {
  asio::error_code ignored;
  acceptor_.close(ignored);
  if (bound_) ::unlink(path_.c_str());
}

Expected<void, std::string> Server::start() {
  const stream_protocol::endpoint ep(path_);
  {
    // A socket file left by a crashed daemon refuses connections: replace it. One that
    // accepts belongs to a running daemon: never steal it.
    stream_protocol::socket probe(io_);
    asio::error_code ec;
    probe.connect(ep, ec);
    if (!ec) return unexpected("control socket " + path_ + ": another process is listening on it");
    if (ec == asio::error::connection_refused) ::unlink(path_.c_str());
  }
  asio::error_code ec;
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return unexpected("control socket " + path_ + ": " + ec.message());
  bound_ = true;
  ::chmod(path_.c_str(), 0660);
  accept_next();
  return {};
}

void Server::accept_next() {
  acceptor_.async_accept([this](asio::error_code ec, stream_protocol::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) std::make_shared<Connection>(std::move(socket), handler_)->start();
    accept_next();
  });
}

Response reload_response(const Expected<std::vector<std::string>, std::string>& changed) {
  if (!changed) return Response::failure(changed.error());
  json::Value list(json::Array{});
  for (const auto& c : *changed) list.push_back(c);
  json::Value out(json::Object{});
  out["changed"] = std::move(list);
  return Response::success(std::move(out));
}

}  // namespace dstm::control
