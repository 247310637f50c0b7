// dstm-client's TSP state machine against an in-process tsp::ServerSession playing the DSTM
// server: allocation, renewal, the server's delete, expiry, reconnection, bad answers, errors.
#include <catch2/catch.hpp>

#include <functional>

#include "client_machine.h"

using namespace dstm;
using namespace dstm::client;
using namespace dstm::tsp;

namespace {

const auto kGlobal = *net::Ipv6Address::parse("2001:db8:1::2");
const auto kLinkLocal = *net::Ipv6Address::parse("fe80::2");

TunnelMessage info(std::string ipv4 = "192.0.2.2", std::optional<std::uint32_t> lifetime = 100) {
  TunnelMessage m;
  m.action = TunnelAction::kInfo;
  m.type = TunnelType::kV4V6;
  m.lifetime = lifetime;
  m.server = Endpoint{{{AddressType::kIpv4, "198.51.100.1"}, {AddressType::kIpv6, "2001:db8:1::a"}}, {}, {}, {}};
  m.client = Endpoint{{{AddressType::kIpv4, ipv4}, {AddressType::kIpv6, "2001:db8:1::2"}}, {}, {}, {}};
  return m;
}

// The DSTM server's side: a ServerSession per connection and an answering policy.
struct Harness {
  sasl::OpenSslNonceSource nonces;
  sasl::MemoryCredentialStore store;
  ServerSessionConfig server_config;
  std::unique_ptr<ServerSession> server;
  std::unique_ptr<ClientMachine> machine;
  std::uint64_t now = 1000;
  bool accept_connections = true;
  std::vector<TunnelMessage> requests;
  int accepts = 0, rejects = 0, connects = 0, disconnects = 0;
  std::vector<Lease> configured;
  std::vector<std::string> torn_down;
  // The application's answer to each request; default: 200 + info.
  std::function<void(ServerSession&, const TunnelMessage&)> answer = [](ServerSession& s, const TunnelMessage&) {
    auto m = info();
    s.answer(Status::kSuccess, &m);
  };
  bool hold = false;  // when true, requests are recorded but not answered

  explicit Harness(MachineConfig cfg = config()) {
    server_config.offer.mechanisms = {sasl::Mechanism::kScramSha256, sasl::Mechanism::kAnonymous};
    store.add(sasl::make_user_record("node1", "secret", "", 4096, nonces));
    machine = std::make_unique<ClientMachine>(std::move(cfg), nonces, Transport::kStream);
  }
  static MachineConfig config() {
    MachineConfig c;
    c.session.mechanisms = {sasl::Mechanism::kAnonymous};
    c.global = kGlobal;
    c.link_local = kLinkLocal;
    c.retry_min_ms = 1000;
    c.retry_max_ms = 8000;
    c.answer_timeout_ms = 5000;
    return c;
  }

  // Carries out the machine's actions and the server's writes until both are quiet.
  void pump() {
    for (int round = 0; round < 100; ++round) {
      bool busy = false;
      for (auto& a : machine->take_actions()) {
        busy = true;
        if (std::holds_alternative<Connect>(a)) {
          ++connects;
          if (accept_connections) {
            server = std::make_unique<ServerSession>(server_config, store, nonces, Transport::kStream, now);
            machine->on_connected(now);
          } else {
            machine->on_connect_failed(now, "connection refused");
          }
        } else if (auto* s = std::get_if<Send>(&a)) {
          if (server) server->on_input(s->bytes, now);
        } else if (std::holds_alternative<Disconnect>(a)) {
          ++disconnects;
          server.reset();
        } else if (auto* c = std::get_if<ConfigureDti>(&a)) {
          configured.push_back(c->lease);
        } else if (auto* t = std::get_if<TearDownDti>(&a)) {
          torn_down.push_back(t->reason);
        }
      }
      if (server) {
        for (auto& e : server->take_events()) {
          busy = true;
          if (auto* r = std::get_if<TunnelRequested>(&e)) {
            requests.push_back(r->message);
            if (!hold) answer(*server, r->message);
          } else if (std::holds_alternative<TunnelAccepted>(e)) {
            ++accepts;
          } else if (std::holds_alternative<TunnelRejected>(e)) {
            ++rejects;
          }
        }
        std::string out;
        for (auto& w : server->take_writes()) out += w.bytes;
        if (!out.empty()) {
          busy = true;
          machine->on_input(now, out);
        }
      }
      if (!busy) return;
    }
    FAIL("pump did not settle");
  }
  // Advances the clock to `t`, firing every deadline on the way.
  void advance_to(std::uint64_t t) {
    for (;;) {
      auto d = machine->next_deadline();
      if (!d || *d > t) break;
      now = std::max(now, *d);
      machine->on_timer(now);
      pump();
    }
    now = t;
  }
  void start() {
    machine->start(now);
    pump();
  }
  // The server's Tunnel Delete on the kept-open session.
  void server_delete() {
    TunnelMessage d;
    d.action = TunnelAction::kDelete;
    d.type = TunnelType::kV4V6;
    d.client = Endpoint{{{AddressType::kIpv4, "192.0.2.2"}}, {}, {}, {}};
    REQUIRE(server->send_request(d));
    pump();
  }
};

std::vector<std::string> ipv4s_of(const TunnelMessage& m) {
  std::vector<std::string> out;
  if (m.client) {
    for (const auto* a : m.client->all(AddressType::kIpv4)) out.push_back(a->value);
  }
  return out;
}

}  // namespace

TEST_CASE("first allocation: create with link-local and global IPv6, accept, configure the DTI", "[client]") {
  Harness h;
  h.start();
  REQUIRE(h.requests.size() == 1);
  const auto& create = h.requests[0];
  CHECK(create.action == TunnelAction::kCreate);
  CHECK(create.type == TunnelType::kV4V6);
  REQUIRE(create.client);
  auto v6 = create.client->all(AddressType::kIpv6);
  REQUIRE(v6.size() == 2);
  CHECK(v6[0]->value == "fe80::2");
  CHECK(v6[1]->value == "2001:db8:1::2");
  CHECK(ipv4s_of(create).empty());
  CHECK(h.accepts == 1);
  REQUIRE(h.configured.size() == 1);
  const Lease& l = h.configured[0];
  CHECK(l.ipv4.to_string() == "192.0.2.2");
  CHECK(l.tep_ipv4.to_string() == "198.51.100.1");
  CHECK(l.tep_ipv6.to_string() == "2001:db8:1::a");
  CHECK(l.lifetime_s == 100);
  CHECK(l.expires_ms == 1000 + 100000);
  CHECK(h.machine->state() == ClientMachine::State::kLeased);
  CHECK(h.machine->dti_configured());
  CHECK(h.machine->renew_at_ms() == 1000 + 50000);  // renew_fraction 0.5
}

TEST_CASE("SCRAM-SHA-256 with a user and password authenticates", "[client]") {
  auto cfg = Harness::config();
  cfg.session.mechanisms = {sasl::Mechanism::kScramSha256};
  cfg.session.credentials = {"node1", "secret"};
  Harness h(cfg);
  h.start();
  CHECK(h.configured.size() == 1);
  cfg.session.credentials = {"node1", "wrong"};
  Harness bad(cfg);
  bad.start();
  CHECK(bad.configured.empty());
  CHECK(bad.machine->state() == ClientMachine::State::kBackoff);
  CHECK(bad.machine->last_error().find("300") != std::string::npos);
}

TEST_CASE("renewal at half the lifetime carries the leased IPv4 on the same session", "[client]") {
  Harness h;
  h.start();
  h.advance_to(1000 + 49999);
  CHECK(h.requests.size() == 1);
  h.advance_to(1000 + 50000);
  REQUIRE(h.requests.size() == 2);
  CHECK(ipv4s_of(h.requests[1]) == std::vector<std::string>{"192.0.2.2"});
  CHECK(h.connects == 1);          // the kept-open session
  CHECK(h.configured.size() == 1);  // nothing to change on the DTI
  CHECK(h.torn_down.empty());
  CHECK(h.machine->lease()->expires_ms == 51000 + 100000);
  CHECK(h.machine->renewals() == 1);
  // And again, half of the new lifetime later.
  h.advance_to(51000 + 50000);
  CHECK(h.requests.size() == 3);
  CHECK(h.torn_down.empty());
}

TEST_CASE("renewal errors back off and retry; the DTI stays until the lease ends", "[client]") {
  Harness h;
  h.start();
  h.answer = [](ServerSession& s, const TunnelMessage&) { s.answer(Status::kPoolExhausted, nullptr); };
  h.advance_to(51000);
  REQUIRE(h.requests.size() == 2);
  CHECK(h.machine->state() == ClientMachine::State::kBackoff);
  h.advance_to(52000);  // +1 s
  CHECK(h.requests.size() == 3);
  h.advance_to(54000);  // +2 s
  CHECK(h.requests.size() == 4);
  h.advance_to(57999);
  CHECK(h.requests.size() == 4);
  h.advance_to(58000);  // +4 s
  CHECK(h.requests.size() == 5);
  CHECK(h.torn_down.empty());
  // The server recovers: the next retry renews.
  h.answer = [](ServerSession& s, const TunnelMessage&) {
    auto m = info();
    s.answer(Status::kSuccess, &m);
  };
  h.advance_to(66000);  // +8 s (the ceiling)
  CHECK(h.machine->state() == ClientMachine::State::kLeased);
  CHECK(h.torn_down.empty());
  CHECK(h.configured.size() == 1);
}

TEST_CASE("expiry without renewal tears the DTI down at the expiry", "[client]") {
  Harness h;
  h.start();
  h.hold = true;  // the server never answers the renewal...
  h.advance_to(51000);
  REQUIRE(h.requests.size() == 2);
  h.answer = [](ServerSession& s, const TunnelMessage&) { s.answer(Status::kPoolExhausted, nullptr); };
  h.hold = false;
  // ...then the answer timeout drops the session; reconnections are refused.
  h.accept_connections = false;
  h.advance_to(100999);
  CHECK(h.torn_down.empty());
  CHECK(h.machine->dti_configured());
  h.advance_to(101000);
  REQUIRE(h.torn_down.size() == 1);
  CHECK(h.torn_down[0] == "lease expired");
  CHECK_FALSE(h.machine->lease());
  CHECK_FALSE(h.machine->dti_configured());
  // It keeps trying and asks for the same address once the server is back.
  h.accept_connections = true;
  h.answer = [](ServerSession& s, const TunnelMessage&) {
    auto m = info();
    s.answer(Status::kSuccess, &m);
  };
  h.advance_to(200000);
  CHECK(h.configured.size() == 2);
  CHECK(ipv4s_of(h.requests.back()) == std::vector<std::string>{"192.0.2.2"});
}

TEST_CASE("the server's Tunnel Delete tears the DTI down", "[client]") {
  Harness h;
  h.start();
  h.server_delete();
  REQUIRE(h.torn_down.size() == 1);
  CHECK(h.torn_down[0] == "Tunnel Delete from the server");
  CHECK_FALSE(h.machine->lease());
  CHECK(h.machine->state() == ClientMachine::State::kBackoff);
  // No bounce: the next request waits the long back-off, and asks for any address.
  const std::size_t before = h.requests.size();
  h.advance_to(h.now + 3999);
  CHECK(h.requests.size() == before);
  h.advance_to(h.now + 8000);
  REQUIRE(h.requests.size() == before + 1);
  CHECK(ipv4s_of(h.requests.back()).empty());
  CHECK(h.connects == 1);
}

TEST_CASE("a dropped session reconnects with back-off and asks for the same IPv4", "[client]") {
  Harness h;
  h.start();
  h.server.reset();
  h.accept_connections = false;
  h.machine->on_disconnected(h.now, "connection reset by peer");
  h.pump();
  CHECK(h.machine->state() == ClientMachine::State::kBackoff);
  CHECK(h.machine->dti_configured());  // the lease is still valid: traffic keeps flowing
  h.advance_to(h.now + 1000);
  CHECK(h.connects == 2);
  h.advance_to(h.now + 2000);
  CHECK(h.connects == 3);
  h.accept_connections = true;
  h.advance_to(h.now + 4000);
  CHECK(h.connects == 4);
  REQUIRE(h.requests.size() == 2);
  CHECK(ipv4s_of(h.requests[1]) == std::vector<std::string>{"192.0.2.2"});
  CHECK(h.configured.size() == 1);  // same lease: the DTI was left as it was
  CHECK(h.torn_down.empty());
  CHECK(h.machine->state() == ClientMachine::State::kLeased);
}

TEST_CASE("an answer lacking a field is rejected with the reason, and retried", "[client]") {
  auto broken = GENERATE(as<std::string>{}, "client-ipv4", "tep-ipv4", "tep-ipv6", "lifetime", "no-xml");
  CAPTURE(broken);
  Harness h;
  h.answer = [broken](ServerSession& s, const TunnelMessage&) {
    auto m = info();
    if (broken == "no-xml") return s.answer(Status::kSuccess, nullptr);
    if (broken == "client-ipv4") m.client->addresses.erase(m.client->addresses.begin());
    if (broken == "tep-ipv4") m.server->addresses.erase(m.server->addresses.begin());
    if (broken == "tep-ipv6") m.server->addresses.pop_back();
    if (broken == "lifetime") m.lifetime.reset();
    s.answer(Status::kSuccess, &m);
  };
  h.start();
  CHECK(h.configured.empty());
  CHECK(h.accepts == 0);
  CHECK(h.machine->state() == ClientMachine::State::kBackoff);
  CHECK_FALSE(h.machine->last_error().empty());
  h.advance_to(h.now + 1000);
  CHECK(h.requests.size() == 2);
  CHECK(h.configured.empty());
}

TEST_CASE("lease_from_answer names what is wrong", "[client]") {
  auto m = info();
  m.lifetime = 0;
  CHECK(lease_from_answer(m).error() == "lifetime is 0");
  m = info("10.0.0.256");
  CHECK(lease_from_answer(m).error().find("10.0.0.256") != std::string::npos);
  m = info();
  m.server->addresses[1].value = "fe80::1";
  CHECK(lease_from_answer(m).error().find("TEP IPv6") != std::string::npos);
  m = info();
  REQUIRE(lease_from_answer(m));
}

TEST_CASE("306 backs off and retries on the same session", "[client]") {
  Harness h;
  int calls = 0;
  h.answer = [&calls](ServerSession& s, const TunnelMessage&) {
    if (++calls < 3) return s.answer(Status::kPoolExhausted, nullptr);
    auto m = info();
    s.answer(Status::kSuccess, &m);
  };
  h.start();
  CHECK(h.configured.empty());
  CHECK(h.machine->last_error().find("306") != std::string::npos);
  h.advance_to(h.now + 1000);
  CHECK(h.configured.empty());
  h.advance_to(h.now + 2000);
  CHECK(h.configured.size() == 1);
  CHECK(h.connects == 1);
}

TEST_CASE("308 on a renewal gives the address up and asks for a new one", "[client]") {
  Harness h;
  h.start();
  h.answer = [](ServerSession& s, const TunnelMessage& req) {
    if (!ipv4s_of(req).empty()) return s.answer(Status::kAddressUnavailable, nullptr);
    auto m = info("192.0.2.77");
    s.answer(Status::kSuccess, &m);
  };
  h.advance_to(51000);
  REQUIRE(h.requests.size() == 3);
  CHECK(ipv4s_of(h.requests[1]) == std::vector<std::string>{"192.0.2.2"});
  CHECK(ipv4s_of(h.requests[2]).empty());
  REQUIRE(h.torn_down.size() == 1);
  REQUIRE(h.configured.size() == 2);
  CHECK(h.configured[1].ipv4.to_string() == "192.0.2.77");
}

TEST_CASE("309 (our IPv6 refused) is logged and retried with back-off", "[client]") {
  Harness h;
  h.answer = [](ServerSession& s, const TunnelMessage&) { s.answer(Status::kInvalidIpv6, nullptr); };
  h.start();
  CHECK(h.machine->last_error().find("309") != std::string::npos);
  h.advance_to(h.now + 1000);
  h.advance_to(h.now + 2000);
  CHECK(h.requests.size() == 3);
  CHECK(h.configured.empty());
}

TEST_CASE("stop tears the DTI down and closes the session", "[client]") {
  Harness h;
  h.start();
  h.machine->stop(h.now);
  h.pump();
  CHECK(h.torn_down == std::vector<std::string>{"stopping"});
  CHECK(h.disconnects == 1);
  CHECK(h.machine->state() == ClientMachine::State::kStopped);
  CHECK_FALSE(h.machine->next_deadline());
}

TEST_CASE("unreachable servers are tried in turn", "[client]") {
  auto cfg = Harness::config();
  cfg.server_count = 2;
  Harness h(cfg);
  h.accept_connections = false;
  h.start();
  CHECK(h.machine->server_index() == 1);
  h.advance_to(h.now + 1000);
  CHECK(h.machine->server_index() == 0);
  CHECK(h.connects == 2);
}

TEST_CASE("a handshake that never completes times out and reconnects", "[client]") {
  Harness h;
  h.machine->start(h.now);
  auto actions = h.machine->take_actions();
  REQUIRE(actions.size() == 1);
  h.machine->on_connected(h.now);  // connected, but nobody answers VERSION
  h.machine->take_actions();
  h.now += 5000;
  h.machine->on_timer(h.now);
  CHECK(h.machine->state() == ClientMachine::State::kBackoff);
  bool disconnected = false;
  for (auto& a : h.machine->take_actions()) disconnected |= std::holds_alternative<Disconnect>(a);
  CHECK(disconnected);
}

TEST_CASE("a Tunnel Delete crossing a renewal is still a delete", "[client]") {
  Harness h;
  h.start();
  h.hold = true;  // the renewal goes out and stays unanswered...
  h.advance_to(51000);
  REQUIRE(h.requests.size() == 2);
  REQUIRE(h.machine->state() == ClientMachine::State::kRenewing);
  // ...while the server's delete is on its way: the session reads it as the reply.
  TunnelMessage d;
  d.action = TunnelAction::kDelete;
  d.type = TunnelType::kV4V6;
  d.client = Endpoint{{{AddressType::kIpv4, "192.0.2.2"}}, {}, {}, {}};
  h.machine->on_input(h.now, frame_content("200 Success\r\n" + serialize_tunnel(d, XmlStyle::kServerReply)));
  h.pump();
  REQUIRE(h.torn_down.size() == 1);
  CHECK(h.torn_down[0] == "Tunnel Delete from the server");
  CHECK_FALSE(h.machine->lease());
  CHECK(h.machine->state() == ClientMachine::State::kBackoff);
}
