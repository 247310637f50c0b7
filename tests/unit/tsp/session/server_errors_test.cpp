// Every way a client can go wrong gets its TSP code, a ProtocolError for the log, and leaves the
// server session in a defined state.
#include <catch2/catch.hpp>

#include "session_harness.h"

using namespace dstm::tsp;
using namespace dstm::tsp::testing;

namespace {

struct Server {
  CountingNonces nonces;
  sasl::MemoryCredentialStore store;
  ServerSessionConfig config;
  std::unique_ptr<ServerSession> session;
  explicit Server(Transport t = Transport::kStream, std::function<void(ServerSessionConfig&)> tweak = {}) {
    config.offer.mechanisms = {sasl::Mechanism::kAnonymous, sasl::Mechanism::kDigestMd5};
    if (tweak) tweak(config);
    session = std::make_unique<ServerSession>(config, store, nonces, t, 1000);
  }
  std::vector<std::string> feed(const std::string& bytes, std::uint64_t now = 1000) {
    session->on_input(bytes, now);
    return bytes_of(session->take_writes());
  }
  void authenticate() {
    feed("VERSION=2.0.2\r\n");
    REQUIRE(feed("AUTHENTICATE ANONYMOUS\r\n") == std::vector<std::string>{"200 Success\r\n"});
    session->take_events();
  }
  std::vector<ProtocolError> errors() { return events_of<ProtocolError>(session->take_events()); }
};

}  // namespace

TEST_CASE("unsupported versions get 302 and the session closes", "[tsp][server][errors]") {
  for (const char* v : {"VERSION=3.0.0\r\n", "VERSION=2.0\r\n", "VERSION=\r\n"}) {
    Server s;
    CHECK(s.feed(v) == std::vector<std::string>{"302 Unsupported client version\r\n"});
    CHECK(s.session->closed());
  }
  for (const char* v : {"1.0", "1.0.1", "2.0.0", "2.0.1", "2.0.2"}) {
    Server s;
    auto out = s.feed(std::string("VERSION=") + v + "\r\n");
    REQUIRE(out.size() == 1);
    CHECK(out[0].rfind("CAPABILITY ", 0) == 0);
  }
}

TEST_CASE("with brokers configured, 302 becomes a 1302 referral with the broker list", "[tsp][server][errors]") {
  Server s(Transport::kStream, [](ServerSessionConfig& c) {
    c.referral_brokers = {addr(AddressType::kDn, "broker2.example.net"), addr(AddressType::kIpv6, "2001:db8::99")};
  });
  auto out = s.feed("VERSION=9.9\r\n");
  REQUIRE(out.size() == 1);
  CHECK(out[0].rfind("1302 Unsupported client version\r\n<tunnel", 0) == 0);
  CHECK(out[0].find("<broker>") != std::string::npos);
  CHECK(out[0].find("broker2.example.net") != std::string::npos);
  CHECK(s.session->closed());

  // Our client follows it.
  CountingNonces nonces;
  ClientSessionConfig cfg;
  cfg.version = "9.9";
  ClientSession c(cfg, nonces, Transport::kStream);
  c.start();
  c.on_input(out[0]);
  auto redirected = events_of<Redirected>(c.take_events());
  REQUIRE(redirected.size() == 1);
  CHECK(redirected[0].code == 1302);
  REQUIRE(redirected[0].brokers.size() == 2);
  CHECK(redirected[0].brokers[1].value == "2001:db8::99");
}

TEST_CASE("anything but VERSION first is refused", "[tsp][server][errors]") {
  Server s;
  CHECK(s.feed("AUTHENTICATE ANONYMOUS\r\n") == std::vector<std::string>{"500 Invalid request\r\n"});
  CHECK(s.session->closed());
}

TEST_CASE("mechanisms not offered, unknown, or PLAIN without TLS get 300", "[tsp][server][errors]") {
  Server s;
  s.feed("VERSION=2.0.2\r\n");
  CHECK(s.feed("AUTHENTICATE PLAIN\r\n") == std::vector<std::string>{"300 Authentication failed\r\n"});
  CHECK(s.feed("AUTHENTICATE KERBEROS_V4\r\n") == std::vector<std::string>{"300 Authentication failed\r\n"});
  CHECK(s.errors().size() == 2);
  // The third strike ends the session (back-off is the daemon's job).
  CHECK(s.feed("Content-length: 35\r\n<tunnel action=\"accept\"></tunnel>\r\n") ==
        std::vector<std::string>{"300 Authentication failed\r\n"});
  CHECK(s.session->closed());

  Server plain_offered(Transport::kStream, [](ServerSessionConfig& c) {
    c.offer.mechanisms = {sasl::Mechanism::kPlain, sasl::Mechanism::kDigestMd5};
  });
  auto caps = plain_offered.feed("VERSION=2.0.2\r\n");
  REQUIRE(caps.size() == 1);
  CHECK(caps[0] == "CAPABILITY TUNNEL=V4V6 AUTH=DIGEST-MD5\r\n");  // PLAIN withheld without TLS
}

TEST_CASE("malformed requests get their code and the session goes on", "[tsp][server][errors]") {
  Server s;
  s.authenticate();
  CHECK(s.feed("Content-length: 10\r\n<tunnel a>") == std::vector<std::string>{"Content-length: 21\r\n500 Invalid request\r\n"});
  CHECK(s.feed(frame_content("<tunnel action=\"create\" type=\"v9\"/>\r\n")) ==
        std::vector<std::string>{"Content-length: 29\r\n303 Unsupported tunnel type\r\n"});
  std::string doctype = "<!DOCTYPE tunnel [<!ENTITY a \"aaaa\">]><tunnel action=\"create\">&a;</tunnel>\r\n";
  CHECK(s.feed(frame_content(doctype)) ==
        std::vector<std::string>{"Content-length: 21\r\n500 Invalid request\r\n"});
  CHECK(s.feed("HELLO\r\n") == std::vector<std::string>{"Content-length: 21\r\n500 Invalid request\r\n"});
  auto errors = s.errors();
  REQUIRE(errors.size() == 4);
  CHECK(errors[1].status == Status::kUnsupportedTunnelType);
  CHECK_FALSE(s.session->closed());
  // A stray accept with no offer is logged, not answered.
  CHECK(s.feed("Content-length: 35\r\n<tunnel action=\"accept\"></tunnel>\r\n").empty());
  CHECK(s.errors().size() == 1);
}

TEST_CASE("oversized Content-length closes the session before the body is read", "[tsp][server][errors]") {
  Server s;
  s.authenticate();
  CHECK(s.feed("Content-length: 1000000\r\n") == std::vector<std::string>{"Content-length: 21\r\n500 Invalid request\r\n"});
  CHECK(s.session->closed());
}

TEST_CASE("an endless line closes the session", "[tsp][server][errors]") {
  Server s;
  s.feed(std::string(5000, 'V'));
  CHECK(s.session->closed());
}

TEST_CASE("handshake deadline closes an unauthenticated session, not an authenticated one", "[tsp][server][limits]") {
  Server s;
  s.feed("VERSION=2.0.2\r\n");
  CHECK(s.session->next_deadline() == 1000u + 30000u);
  s.session->on_timer(30999);
  CHECK_FALSE(s.session->closed());
  s.session->on_timer(31000);
  CHECK(s.session->closed());
  auto closed = events_of<SessionClosed>(s.session->take_events());
  REQUIRE(closed.size() == 1);
  CHECK(closed[0].status == Status::kStatusError);

  Server ok;
  ok.authenticate();
  CHECK_FALSE(ok.session->next_deadline());
  ok.session->on_timer(1000000);
  CHECK_FALSE(ok.session->closed());
}

TEST_CASE("a timer close on RUDP is marked unsolicited (sent with the kill sequence)", "[tsp][server][limits]") {
  Server s(Transport::kDatagram);
  s.feed("VERSION=2.0.2\r\n");
  s.session->on_timer(1000000);
  auto writes = s.session->take_writes();
  REQUIRE(writes.size() == 1);
  CHECK(writes[0].unsolicited);
  CHECK(writes[0].bytes == "310 TSP status error\r\n");
}

TEST_CASE("the byte budget bounds input between answers, not a session's life", "[tsp][server][limits]") {
  Server s(Transport::kStream, [](ServerSessionConfig& c) { c.byte_budget = 4096; });
  s.authenticate();
  std::string info = "Content-length: 35\r\n<tunnel action=\"info\"></tunnel>\r\n\r\n";
  // Answered requests: far more than the budget in all, and the session stays open.
  for (int i = 0; i < 500; ++i) {
    s.session->on_input(info, 1000);
    for (auto& e : s.session->take_events()) {
      if (std::holds_alternative<TunnelRequested>(e)) s.session->answer(Status::kInvalidRequest, nullptr);
    }
  }
  REQUIRE_FALSE(s.session->closed());
  // Unanswered input piles up: past the budget the session is closed.
  for (int i = 0; i < 200 && !s.session->closed(); ++i) s.session->on_input(info, 1000);
  CHECK(s.session->closed());
}

TEST_CASE("RUDP: one reply per datagram, even for garbage", "[tsp][server][rudp]") {
  Server s(Transport::kDatagram);
  s.feed("VERSION=2.0.2\r\n");
  s.feed("AUTHENTICATE ANONYMOUS\r\n");
  CHECK(s.feed("") == std::vector<std::string>{""});
  CHECK(s.feed("Content-length: 99\r\nshort") == std::vector<std::string>{"Content-length: 21\r\n500 Invalid request\r\n"});
  CHECK(s.feed("\x01\x02\x03") == std::vector<std::string>{"Content-length: 21\r\n500 Invalid request\r\n"});
}

TEST_CASE("a message trickled in slower than the message deadline closes the session", "[tsp][server][limits]") {
  Server s(Transport::kStream, [](ServerSessionConfig& c) { c.message_deadline_ms = 5000; });
  s.authenticate();
  s.session->on_input("Content-length: 35\r\n<tunnel act", 1000);
  REQUIRE(s.session->next_deadline() == std::optional<std::uint64_t>(6000));
  s.session->on_timer(5999);
  CHECK_FALSE(s.session->closed());
  s.session->on_timer(6000);
  CHECK(s.session->closed());
}

TEST_CASE("a message completed in time, and an idle session, are not cut", "[tsp][server][limits]") {
  Server s(Transport::kStream, [](ServerSessionConfig& c) { c.message_deadline_ms = 5000; });
  s.authenticate();
  s.session->on_input("Content-length: 35\r\n<tunnel act", 1000);
  s.session->on_input("ion=\"info\"></tunnel>\r\n\r\n", 4000);
  for (auto& e : s.session->take_events()) {
    if (std::holds_alternative<TunnelRequested>(e)) s.session->answer(Status::kInvalidRequest, nullptr);
  }
  CHECK_FALSE(s.session->next_deadline().has_value());  // authenticated and idle: kept open
  s.session->on_timer(1000000);
  CHECK_FALSE(s.session->closed());
}
