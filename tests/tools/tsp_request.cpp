// tsp_request: a DSTM server's side of TSP towards a TEP's dstm-agent, for tests and the
// agent benchmark. Connects (TCP or reliable UDP), authenticates, sends the requests given on
// the command line and prints one line per answer:
//   <code> <action> client=<ipv4>/<ipv6> server=<ipv4>/<ipv6>
// Requests: create [V4] [V6] | replace V4 V6 | delete V4 [V6] | info [V4] | accept | wait-delete
// | renew | sleep MS (a node: create with its IPv6 only, accept the offer, renew = create
// carrying the client addresses of the last answer, then wait for the server's delete).
// --bench N: N creates of consecutive addresses from --bench-base, then one JSON line with
// the create-to-answer latency percentiles (the agent answers only once the dataplane applied).
// --tls-ca F [--tls-cert F --tls-key F] [--tls-server-name N]: TCP over TLS (blocking OpenSSL),
// the server's certificate verified against F.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "net/net.h"
#include "tsp/tsp.h"
#include "tspnet/tls.h"

namespace {

using namespace dstm;
using namespace dstm::tsp;

std::uint64_t now_us() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count());
}

struct Options {
  std::string host = "127.0.0.1";
  std::string port = "3653";
  bool udp = false;
  std::string user, password;
  std::vector<sasl::Mechanism> mechanisms{sasl::Mechanism::kScramSha256};
  std::uint64_t bench = 0;
  std::string bench_base = "10.64.0.0";
  std::string bench_v6 = "2001:db8:100::";
  int timeout_ms = 10000;
  tspnet::TlsClientConfig tls;  // ca_file set: TLS
  std::vector<std::string> words;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "tsp_request: %s\nusage: tsp_request --connect HOST:PORT [--udp] --user U --password P "
               "[--mechanism M] [--timeout MS] [--tls-ca F [--tls-cert F --tls-key F] [--tls-server-name N]] [--bench N [--bench-base V4] [--bench-v6 V6PREFIX]] "
               "[create [V4] [V6] | replace V4 V6 | delete V4 [V6] | info [V4] | accept | renew | sleep MS | wait-delete]...\n",
               why);
  std::exit(2);
}

class Link {
 public:
  Link(const Options& o) : udp_(o.udp), timeout_ms_(o.timeout_ms) {
    addrinfo hints{};
    hints.ai_socktype = o.udp ? SOCK_DGRAM : SOCK_STREAM;
    addrinfo* res = nullptr;
    if (getaddrinfo(o.host.c_str(), o.port.c_str(), &hints, &res) != 0 || res == nullptr) {
      std::fprintf(stderr, "tsp_request: cannot resolve %s\n", o.host.c_str());
      std::exit(1);
    }
    fd_ = ::socket(res->ai_family, res->ai_socktype, 0);
    if (fd_ < 0 || ::connect(fd_, res->ai_addr, res->ai_addrlen) != 0) {
      std::fprintf(stderr, "tsp_request: connect %s:%s: %s\n", o.host.c_str(), o.port.c_str(), std::strerror(errno));
      std::exit(1);
    }
    freeaddrinfo(res);
    int one = 1;
    if (!udp_) ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (!o.tls.ca_file.empty()) start_tls(o);
  }
  ~Link() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    ::close(fd_);
  }
  void send(const std::string& payload) {
    const std::string bytes = udp_ ? rudp_.send(payload, static_cast<std::uint32_t>(now_us() / 1000)) : payload;
    if (ssl_ != nullptr) {
      if (SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) != static_cast<int>(bytes.size())) {
        std::fprintf(stderr, "tsp_request: TLS write: %s\n", tls_error().c_str());
        std::exit(1);
      }
      return;
    }
    if (::send(fd_, bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size())) {
      std::fprintf(stderr, "tsp_request: send: %s\n", std::strerror(errno));
      std::exit(1);
    }
  }
  enum class Got { kBytes, kStray, kNothing };
  // Bytes for the session in `out` (over UDP possibly none: a header-only datagram is an
  // acknowledgement the session must see), a stray datagram to ignore, or timeout / close.
  Got receive(std::string& out) {
    pollfd p{fd_, POLLIN, 0};
    const bool buffered = ssl_ != nullptr && SSL_pending(ssl_) > 0;  // decrypted, not yet read
    if (!buffered && ::poll(&p, 1, timeout_ms_) != 1) return Got::kNothing;
    char buf[65536];
    const ssize_t n = ssl_ != nullptr ? SSL_read(ssl_, buf, sizeof buf) : ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      if (ssl_ != nullptr) std::fprintf(stderr, "tsp_request: TLS read: %s\n", tls_error().c_str());
      return Got::kNothing;
    }
    if (!udp_) {
      out.assign(buf, static_cast<std::size_t>(n));
      return Got::kBytes;
    }
    auto payload = rudp_.accept(std::string_view(buf, static_cast<std::size_t>(n)));
    if (!payload) return Got::kStray;
    out = std::move(*payload);
    return Got::kBytes;
  }

 private:
  static std::string tls_error() {
    const unsigned long e = ERR_get_error();
    if (e == 0) return "connection closed";
    char text[256];
    ERR_error_string_n(e, text, sizeof text);
    return text;
  }

  void start_tls(const Options& o) {
    if (udp_) usage("--tls-ca is for TCP (RUDP has no TLS)");
    auto context = tspnet::make_client_context(o.tls);
    if (!context) {
      std::fprintf(stderr, "tsp_request: %s\n", context.error().c_str());
      std::exit(1);
    }
    context_ = std::move(*context);
    // A blocking handshake, bounded like every other wait.
    timeval tv{timeout_ms_ / 1000, (timeout_ms_ % 1000) * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssl_ = SSL_new(context_->native_handle());
    SSL_set_fd(ssl_, fd_);
    if (!o.tls.server_name.empty()) {
      SSL_ctrl(ssl_, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(o.tls.server_name.c_str()));
      SSL_set1_host(ssl_, o.tls.server_name.c_str());
    }
    if (SSL_connect(ssl_) != 1) {
      std::fprintf(stderr, "tsp_request: TLS handshake failed: %s\n", tls_error().c_str());
      std::exit(1);
    }
  }

  int fd_ = -1;
  tspnet::TlsContextPtr context_;
  SSL* ssl_ = nullptr;
  bool udp_;
  int timeout_ms_;
  RudpClientPeer rudp_;
};

// Runs the session until `done` says so; false on failure/timeout.
template <class Done>
bool pump(ClientSession& s, Link& link, Done done) {
  for (;;) {
    for (auto& w : s.take_writes()) link.send(w);
    if (done()) return true;
    if (s.closed()) return false;
    std::string in;
    const Link::Got got = link.receive(in);
    if (got == Link::Got::kNothing) return false;
    if (got == Link::Got::kBytes) s.on_input(in);
  }
}

std::string describe_reply(const TunnelReply& r) {
  std::string out = std::to_string(r.code);
  if (!r.message) return out;
  const auto& m = *r.message;
  out += " " + std::string(xml_name(m.action));
  auto pair = [](const std::optional<Endpoint>& e) {
    if (!e) return std::string("-");
    const Address* v4 = e->find(AddressType::kIpv4);
    const Address* v6 = e->find(AddressType::kIpv6);
    return (v4 ? v4->value : "-") + "/" + (v6 ? v6->value : "-");
  };
  out += " client=" + pair(m.client) + " server=" + pair(m.server);
  if (m.lifetime) out += " lifetime=" + std::to_string(*m.lifetime);
  if (m.client && m.client->keepalive) out += " keepalive=" + std::to_string(m.client->keepalive->interval);
  if (m.client && !m.client->dns_servers.empty()) out += " dns=" + m.client->dns_servers.front().value;
  return out;
}

TunnelMessage make_request(TunnelAction action, const std::string& v4, const std::string& v6, bool replace) {
  TunnelMessage m;
  m.action = action;
  m.type = TunnelType::kV4V6;
  if (replace) m.replace = true;
  if (!v4.empty() || !v6.empty()) {
    Endpoint e;
    if (!v4.empty()) e.addresses.push_back({AddressType::kIpv4, v4});
    if (!v6.empty()) e.addresses.push_back({AddressType::kIpv6, v6});
    m.client = e;
  }
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    if (a == "--connect") {
      const std::string hp = value();
      const auto colon = hp.rfind(':');
      if (colon == std::string::npos) usage("--connect HOST:PORT");
      o.host = hp.substr(0, colon);
      if (o.host.size() > 2 && o.host.front() == '[') o.host = o.host.substr(1, o.host.size() - 2);
      o.port = hp.substr(colon + 1);
    } else if (a == "--udp") {
      o.udp = true;
    } else if (a == "--user") {
      o.user = value();
    } else if (a == "--password") {
      o.password = value();
    } else if (a == "--mechanism") {
      auto m = sasl::mechanism_from_name(value());
      if (!m) usage("unknown mechanism");
      o.mechanisms = {*m};
    } else if (a == "--timeout") {
      o.timeout_ms = std::stoi(value());
    } else if (a == "--tls-ca") {
      o.tls.ca_file = value();
    } else if (a == "--tls-cert") {
      o.tls.cert_file = value();
    } else if (a == "--tls-key") {
      o.tls.key_file = value();
    } else if (a == "--tls-server-name") {
      o.tls.server_name = value();
    } else if (a == "--bench") {
      o.bench = std::stoull(value());
    } else if (a == "--bench-base") {
      o.bench_base = value();
    } else if (a == "--bench-v6") {
      o.bench_v6 = value();
    } else {
      o.words.push_back(a);
    }
  }
  sasl::OpenSslNonceSource nonces;
  ClientSessionConfig cfg;
  cfg.mechanisms = o.mechanisms;
  cfg.credentials = {o.user, o.password};
  cfg.digest_host = o.host;
  ClientSession s(cfg, nonces, o.udp ? Transport::kDatagram : Transport::kStream);
  Link link(o);
  s.start();
  std::optional<ClientFailed> failed;
  bool authenticated = false;
  auto drain = [&](std::optional<TunnelReply>* reply) {
    for (auto& e : s.take_events()) {
      if (std::holds_alternative<ClientAuthenticated>(e)) authenticated = true;
      if (auto* f = std::get_if<ClientFailed>(&e)) failed = *f;
      if (auto* r = std::get_if<TunnelReply>(&e); r && reply) *reply = *r;
    }
  };
  if (!pump(s, link, [&] { drain(nullptr); return authenticated || failed.has_value(); }) || !authenticated) {
    std::fprintf(stderr, "tsp_request: not authenticated: %s\n",
                 failed ? (std::to_string(failed->code) + " " + failed->reason).c_str() : "timeout");
    return 1;
  }
  auto run = [&](const TunnelMessage& m) -> std::optional<TunnelReply> {
    std::optional<TunnelReply> reply;
    if (!s.request(m)) return std::nullopt;
    if (!pump(s, link, [&] { drain(&reply); return reply.has_value() || failed.has_value(); })) return std::nullopt;
    return reply;
  };

  if (o.bench != 0) {
    auto base = net::Ipv4Address::parse(o.bench_base);
    auto v6 = net::Ipv6Address::parse(o.bench_v6);
    if (!base || !v6) usage("--bench-base / --bench-v6");
    std::vector<std::uint64_t> lat;
    std::uint64_t errors = 0;
    const std::uint64_t t0 = now_us();
    for (std::uint64_t i = 0; i < o.bench; ++i) {
      auto a4 = net::Ipv4Address::from_host(base->to_host() + static_cast<std::uint32_t>(i));
      auto bytes = v6->bytes();
      bytes[12] = static_cast<std::uint8_t>(i >> 24);
      bytes[13] = static_cast<std::uint8_t>(i >> 16);
      bytes[14] = static_cast<std::uint8_t>(i >> 8);
      bytes[15] = static_cast<std::uint8_t>(i);
      const std::uint64_t start = now_us();
      auto r = run(make_request(TunnelAction::kCreate, a4.to_string(),
                                net::Ipv6Address::from_bytes(bytes.data()).to_string(), true));
      lat.push_back(now_us() - start);
      if (!r || r->code != 200) ++errors;
      if (!r) break;
    }
    const std::uint64_t total = now_us() - t0;
    std::sort(lat.begin(), lat.end());
    auto pct = [&](double p) { return lat.empty() ? 0 : lat[std::min(lat.size() - 1, static_cast<std::size_t>(p * static_cast<double>(lat.size())))]; };
    std::printf("{\"creates\": %zu, \"errors\": %llu, \"p50_us\": %llu, \"p99_us\": %llu, \"per_s\": %.0f}\n",
                lat.size(), static_cast<unsigned long long>(errors), static_cast<unsigned long long>(pct(0.5)),
                static_cast<unsigned long long>(pct(0.99)),
                total ? static_cast<double>(lat.size()) * 1e6 / static_cast<double>(total) : 0.0);
    return errors == 0 ? 0 : 1;
  }

  std::optional<TunnelReply> last;  // for renew
  for (std::size_t i = 0; i < o.words.size();) {
    const std::string verb = o.words[i++];
    // The addresses after a verb, told apart by their form.
    std::string v4, v6;
    while (i < o.words.size() && o.words[i].find_first_of(".:") != std::string::npos) {
      const std::string& a = o.words[i++];
      (a.find(':') != std::string::npos ? v6 : v4) = a;
    }
    if (verb == "accept") {
      if (!s.accept()) usage("accept: no offer to accept");
      for (auto& w : s.take_writes()) link.send(w);
      std::printf("accepted\n");
      std::fflush(stdout);
      continue;
    }
    if (verb == "sleep") {
      if (i >= o.words.size()) usage("sleep MS");
      std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(o.words[i++])));
      continue;
    }
    if (verb == "wait-delete") {
      // A node's kept-open session: wait for the server's Tunnel Delete.
      std::optional<TunnelMessage> deleted;
      const bool ok = pump(s, link, [&] {
        for (auto& e : s.take_events()) {
          if (auto* r = std::get_if<ServerRequest>(&e)) deleted = r->message;
        }
        return deleted.has_value();
      });
      std::printf("%s\n", ok ? ("server " + std::string(xml_name(deleted->action))).c_str() : "no request");
      if (!ok) return 1;
      continue;
    }
    TunnelMessage m;
    if (verb == "renew") {
      // A node's renewal on its session (DESIGN.md flow 2): the addresses it was given.
      if (!last || !last->message || !last->message->client) usage("renew: no earlier answer with addresses");
      const Address* a4 = last->message->client->find(AddressType::kIpv4);
      const Address* a6 = last->message->client->find(AddressType::kIpv6);
      m = make_request(TunnelAction::kCreate, a4 ? a4->value : "", a6 ? a6->value : "", false);
    } else if (verb == "create" || verb == "replace") {
      m = make_request(TunnelAction::kCreate, v4, v6, verb == "replace");
    } else if (verb == "delete") {
      m = make_request(TunnelAction::kDelete, v4, v6, false);
    } else if (verb == "info") {
      m = make_request(TunnelAction::kInfo, v4, v6, false);
    } else {
      usage(("unknown request " + verb).c_str());
    }
    auto r = run(m);
    if (!r) {
      std::printf("no answer%s\n", failed ? (": " + std::to_string(failed->code) + " " + failed->reason).c_str() : "");
      return 1;
    }
    std::printf("%s\n", describe_reply(*r).c_str());
    std::fflush(stdout);
    last = r;
  }
  return 0;
}
