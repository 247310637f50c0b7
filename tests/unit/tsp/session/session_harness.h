// Helpers shared by the session tests: gogoc's observed bytes (tsp-digest.md §2) and a
// loopback that shuttles writes between a ClientSession and a ServerSession in memory.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "tsp/tsp.h"

namespace dstm::tsp::testing {

// Nonces that tests can predict (the protocol code never sees a clock or a RNG of its own).
class CountingNonces : public sasl::NonceSource {
 public:
  std::string nonce(std::size_t bytes) override {
    std::string n = "n" + std::to_string(++count_);
    n.resize(bytes < n.size() ? n.size() : bytes, 'x');
    return n;
  }

 private:
  int count_ = 0;
};

inline std::string with_nul(std::string s) {
  s.push_back('\0');
  return s;
}

// tsp-digest.md §2: gogoc 1.2, anonymous, v6v4 (Python repr decoded; CRLF line ends).
inline const std::string kGogocCreateV6V4 =
    "Content-length: 211\r\n<tunnel action=\"create\" type=\"v6v4\" proxy=\"no\">\r\n <client>\r\n"
    "  <address type=\"ipv4\">127.0.0.1</address>\r\n  <keepalive interval=\"30\">\r\n"
    "    <address type=\"ipv6\">::</address>\r\n  </keepalive>\r\n </client>\r\n</tunnel>\r\n";
inline const std::string kObservedAnswerV6V4 =
    "Content-length: 469\r\n200 Success\r\n<tunnel action=\"info\" type=\"v6v4\" lifetime=\"604800\">\r\n"
    " <server>\r\n  <address type=\"ipv4\">127.0.0.1</address>\r\n  <address type=\"ipv6\">2001:db8::1</address>\r\n"
    " </server>\r\n <client>\r\n  <address type=\"ipv4\">127.0.0.1</address>\r\n"
    "  <address type=\"ipv6\">2001:db8::2</address>\r\n  <dns_server>\r\n"
    "   <address type=\"ipv6\">2001:db8::53</address>\r\n  </dns_server>\r\n"
    "  <keepalive interval=\"30\">\r\n   <address type=\"ipv6\">::1</address>\r\n  </keepalive>\r\n"
    " </client>\r\n</tunnel>\r\n";
inline const std::string kGogocAccept = "Content-length: 35\r\n<tunnel action=\"accept\"></tunnel>\r\n";
inline const std::string kObservedCapability =
    "CAPABILITY TUNNEL=V6V4 TUNNEL=V6UDPV4 TUNNEL=V4V6 AUTH=ANONYMOUS AUTH=PLAIN AUTH=DIGEST-MD5\r\n";

inline Address addr(AddressType t, std::string v) { return Address{t, std::move(v)}; }

// The model of the observed v6v4 answer above.
inline TunnelMessage observed_answer_v6v4() {
  TunnelMessage m;
  m.action = TunnelAction::kInfo;
  m.type = TunnelType::kV6V4;
  m.lifetime = 604800;
  m.server = Endpoint{{addr(AddressType::kIpv4, "127.0.0.1"), addr(AddressType::kIpv6, "2001:db8::1")}, {}, {}, {}};
  Endpoint client{{addr(AddressType::kIpv4, "127.0.0.1"), addr(AddressType::kIpv6, "2001:db8::2")},
                  {addr(AddressType::kIpv6, "2001:db8::53")}, {}, Keepalive{30, addr(AddressType::kIpv6, "::1")}};
  m.client = client;
  return m;
}

inline TunnelMessage gogoc_create_v6v4() {
  TunnelMessage m;
  m.action = TunnelAction::kCreate;
  m.type = TunnelType::kV6V4;
  m.proxy = false;
  m.client = Endpoint{{addr(AddressType::kIpv4, "127.0.0.1")}, {}, {}, Keepalive{30, addr(AddressType::kIpv6, "::")}};
  return m;
}

template <class T, class Variant>
std::vector<T> events_of(const std::vector<Variant>& events) {
  std::vector<T> out;
  for (const auto& e : events) {
    if (const T* t = std::get_if<T>(&e)) out.push_back(*t);
  }
  return out;
}

inline std::vector<std::string> bytes_of(const std::vector<OutboundWrite>& writes) {
  std::vector<std::string> out;
  for (const auto& w : writes) out.push_back(w.bytes);
  return out;
}

// Runs a client and a server against each other in memory until neither has anything to say.
// The application side of the server answers every request through `answer_fn`.
struct Loopback {
  ClientSession& client;
  ServerSession& server;
  std::vector<ClientEvent> client_events;
  std::vector<ServerEvent> server_events;
  std::vector<std::string> wire;  // everything sent, in order, for assertions

  template <class AnswerFn>
  void run(AnswerFn&& answer_fn, int max_rounds = 64) {
    for (int round = 0; round < max_rounds; ++round) {
      bool moved = false;
      for (auto& w : client.take_writes()) {
        wire.push_back("C:" + w);
        server.on_input(w, 0);
        moved = true;
      }
      for (auto& e : server.take_events()) {
        if (auto* req = std::get_if<TunnelRequested>(&e)) answer_fn(server, req->message);
        server_events.push_back(e);
        moved = true;
      }
      for (auto& w : server.take_writes()) {
        wire.push_back("S:" + w.bytes);
        client.on_input(w.bytes);
        moved = true;
      }
      for (auto& e : client.take_events()) {
        client_events.push_back(e);
        moved = true;
      }
      if (!moved) return;
    }
  }
};

}  // namespace dstm::tsp::testing
