// dstm-tsp-demo: the TSP library end to end over real loopback sockets, until the daemons land.
//
// A DSTM node (ClientSession) asks a DSTM server (ServerSession) for a temporary IPv4 address,
// once over TCP with SCRAM-SHA-256 and once over reliable UDP with DIGEST-MD5, both on
// 127.0.0.1, and prints every message on the wire. The "server" hands out addresses from a
// two-line in-process pool: there is no lease store, TEP or dataplane yet (issues #3-#6).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "tsp/tsp.h"

namespace {

using namespace dstm::tsp;

std::string printable(std::string_view bytes) {
  std::string out;
  for (char c : bytes) {
    if (c == '\r') out += "\\r";
    else if (c == '\n') out += "\\n";
    else if (c == '\0') out += "\\0";
    else out += c;
  }
  return out.empty() ? "(header only)" : out;
}

void show(const char* who, std::string_view bytes) {
  std::string p = printable(bytes);
  if (p.size() > 160) p = p.substr(0, 157) + "...";
  std::printf("  %s %s\n", who, p.c_str());
}

// The server's "application": a DSTM allocation answer (draft-bound-dstm-exp-00 TSP profile §4.1).
TunnelMessage allocate(const TunnelMessage& request, const std::string& leased_ipv4) {
  TunnelMessage m;
  m.action = TunnelAction::kInfo;
  m.type = TunnelType::kV4V6;
  m.lifetime = 3600;
  m.server = Endpoint{{{AddressType::kIpv4, "198.51.100.1"}, {AddressType::kIpv6, "2001:db8:1::1"}}, {}, {}, {}};
  const Address* node6 = request.client ? request.client->find(AddressType::kIpv6) : nullptr;
  m.client = Endpoint{{{AddressType::kIpv4, leased_ipv4},
                       {AddressType::kIpv6, node6 ? node6->value : "2001:db8:1::2"}},
                      {{AddressType::kIpv6, "2001:db8:1::53"}}, {}, {}};
  return m;
}

TunnelMessage node_create() {
  TunnelMessage m;
  m.action = TunnelAction::kCreate;
  m.type = TunnelType::kV4V6;
  m.proxy = false;
  m.client = Endpoint{{{AddressType::kIpv6, "2001:db8:1::2"}}, {}, {}, Keepalive{30, Address{AddressType::kIpv4, "127.0.0.1"}}};
  return m;
}

std::uint64_t now_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

bool wait_readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1;
}

// A socket of `type` bound to 127.0.0.1 on a free port; `addr` gets the address. -1 on error.
int bound_loopback(int type, sockaddr_in& addr) {
  int fd = ::socket(AF_INET, type, 0);
  addr = sockaddr_in{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("bind 127.0.0.1");
    if (fd >= 0) ::close(fd);
    return -1;
  }
  return fd;
}

struct Server {
  sasl::MemoryCredentialStore store;
  ServerSessionConfig config;
  std::string leased;
  Server(const std::string& ipv4, sasl::NonceSource& salts) : leased(ipv4) {
    store.add(sasl::make_user_record("node1", "demo password", "dstm", 4096, salts));
  }
  // Lets the application answer what the session asks; true once the client accepted.
  bool serve_events(ServerSession& s) {
    bool accepted = false;
    for (auto& e : s.take_events()) {
      if (auto* req = std::get_if<TunnelRequested>(&e)) {
        TunnelMessage info = allocate(req->message, leased);
        s.answer(Status::kSuccess, &info);
      } else if (std::holds_alternative<TunnelAccepted>(e)) {
        accepted = true;
      } else if (auto* err = std::get_if<ProtocolError>(&e)) {
        std::printf("  server log: %d %s\n", code_of(err->status), err->detail.c_str());
      }
    }
    return accepted;
  }
};

// Drives the client: returns the leased IPv4 once the offer is accepted, "" on failure.
std::string client_step(ClientSession& c, std::string& leased) {
  for (auto& e : c.take_events()) {
    if (std::holds_alternative<ClientAuthenticated>(e)) c.request(node_create());
    if (auto* reply = std::get_if<TunnelReply>(&e)) {
      if (reply->code == 200 && reply->message && reply->message->client) {
        leased = reply->message->client->find(AddressType::kIpv4)->value;
        c.accept();
      }
    }
    if (auto* f = std::get_if<ClientFailed>(&e)) std::printf("  client failed: %d %s\n", f->code, f->reason.c_str());
  }
  return leased;
}

bool run_tcp(sasl::NonceSource& nonces) {
  std::printf("TCP 127.0.0.1, SCRAM-SHA-256:\n");
  sockaddr_in addr;
  int listener = bound_loopback(SOCK_STREAM, addr);
  if (listener < 0 || ::listen(listener, 1) != 0) return false;
  Server server("192.0.2.2", nonces);
  std::thread server_thread([&] {
    int fd = ::accept(listener, nullptr, nullptr);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ServerSession s(server.config, server.store, nonces, Transport::kStream, now_ms());
    char buf[4096];
    bool accepted = false;
    while (!accepted && !s.closed() && wait_readable(fd, 5000)) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      s.on_input(std::string_view(buf, static_cast<std::size_t>(n)), now_ms());
      accepted = server.serve_events(s);
      // Each write is its own send(): gogoc reads rspauth and the status with separate recv()s.
      for (auto& w : s.take_writes()) ::send(fd, w.bytes.data(), w.bytes.size(), MSG_NOSIGNAL);
      accepted = server.serve_events(s) || accepted;
      for (auto& w : s.take_writes()) ::send(fd, w.bytes.data(), w.bytes.size(), MSG_NOSIGNAL);
    }
    ::close(fd);
  });
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::perror("tcp connect");
    server_thread.join();
    return false;
  }
  ClientSessionConfig cfg;
  cfg.credentials = {"node1", "demo password"};
  ClientSession c(cfg, nonces, Transport::kStream);
  c.start();
  std::string leased;
  char buf[4096];
  for (;;) {
    for (auto& w : c.take_writes()) {
      show("node  ->", w);
      ::send(fd, w.data(), w.size(), MSG_NOSIGNAL);
    }
    if (c.closed() || (!leased.empty() && c.ready())) break;
    if (!wait_readable(fd, 5000)) break;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    show("server->", std::string_view(buf, static_cast<std::size_t>(n)));
    c.on_input(std::string_view(buf, static_cast<std::size_t>(n)));
    client_step(c, leased);
  }
  ::close(fd);
  server_thread.join();
  ::close(listener);
  std::printf("  => leased %s over TCP\n\n", leased.empty() ? "nothing" : leased.c_str());
  return !leased.empty();
}

bool run_udp(sasl::NonceSource& nonces) {
  std::printf("Reliable UDP 127.0.0.1, DIGEST-MD5:\n");
  sockaddr_in addr;
  int sfd = bound_loopback(SOCK_DGRAM, addr);
  if (sfd < 0) return false;
  Server server("192.0.2.3", nonces);
  server.config.offer.mechanisms = {sasl::Mechanism::kDigestMd5};
  std::thread server_thread([&] {
    ServerSession s(server.config, server.store, nonces, Transport::kDatagram, now_ms());
    RudpServerPeer peer;
    char buf[4096];
    bool accepted = false;
    while (!accepted && !s.closed() && wait_readable(sfd, 5000)) {
      sockaddr_in from{};
      socklen_t flen = sizeof from;
      ssize_t n = ::recvfrom(sfd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen);
      std::string_view dgram(buf, static_cast<std::size_t>(n > 0 ? n : 0));
      auto header = parse_rudp_header(dgram);
      if (!header) continue;
      auto send_back = [&](const std::string& d) {
        ::sendto(sfd, d.data(), d.size(), 0, reinterpret_cast<sockaddr*>(&from), flen);
      };
      switch (peer.classify(*header)) {
        case RudpServerPeer::Verdict::kResendCached: send_back(peer.cached_reply()); continue;
        case RudpServerPeer::Verdict::kPending:
        case RudpServerPeer::Verdict::kDrop: continue;
        case RudpServerPeer::Verdict::kProcess: break;
      }
      s.on_input(dgram.substr(kRudpHeaderSize), now_ms());
      accepted = server.serve_events(s);
      for (auto& w : s.take_writes()) send_back(peer.reply(w.bytes));
    }
  });
  int cfd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ::connect(cfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ClientSessionConfig cfg;
  cfg.mechanisms = {sasl::Mechanism::kDigestMd5};
  cfg.credentials = {"node1", "demo password"};
  cfg.digest_host = "127.0.0.1";
  ClientSession c(cfg, nonces, Transport::kDatagram);
  RudpClientPeer peer;
  const std::uint64_t t0 = now_ms();
  c.start();
  std::string leased;
  char buf[4096];
  for (;;) {
    auto writes = c.take_writes();
    if (writes.empty()) break;  // nothing more to say: done or stuck
    for (auto& w : writes) {
      show("node  ->", w);
      std::string d = peer.send(w, static_cast<std::uint32_t>(now_ms() - t0));
      ::send(cfd, d.data(), d.size(), 0);
      if (!wait_readable(cfd, 5000)) break;
      ssize_t n = ::recv(cfd, buf, sizeof buf, 0);
      auto payload = peer.accept(std::string_view(buf, static_cast<std::size_t>(n > 0 ? n : 0)));
      if (!payload) continue;
      show("server->", *payload);
      c.on_input(*payload);
    }
    client_step(c, leased);
    if (c.closed() || (!leased.empty() && c.ready())) break;
  }
  ::close(cfd);
  server_thread.join();
  ::close(sfd);
  std::printf("  => leased %s over reliable UDP\n", leased.empty() ? "nothing" : leased.c_str());
  return !leased.empty();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && (std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "--help") == 0)) {
    std::printf("usage: dstm-tsp-demo\n  Runs a DSTM address request over TSP on 127.0.0.1 (TCP and UDP)\n"
                "  with dstm's TSP library and prints the exchange. Exit 0 when both succeed.\n");
    return 0;
  }
  sasl::OpenSslNonceSource nonces;
  bool tcp = run_tcp(nonces);
  bool udp = run_udp(nonces);
  return tcp && udp ? 0 : 1;
}
