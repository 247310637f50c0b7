// The client facing servers that refuse, redirect, or misbehave.
#include <catch2/catch.hpp>

#include "session_harness.h"

using namespace dstm::tsp;
using namespace dstm::tsp::testing;

namespace {

struct Client {
  CountingNonces nonces;
  std::unique_ptr<ClientSession> session;
  explicit Client(std::function<void(ClientSessionConfig&)> tweak = {}, Transport t = Transport::kStream) {
    ClientSessionConfig cfg;
    cfg.mechanisms = {sasl::Mechanism::kAnonymous};
    if (tweak) tweak(cfg);
    session = std::make_unique<ClientSession>(cfg, nonces, t);
    session->start();
    session->take_writes();
  }
  std::vector<ClientEvent> feed(const std::string& bytes) {
    session->on_input(bytes);
    return session->take_events();
  }
};

}  // namespace

TEST_CASE("302 to VERSION reports VersionRejected so the caller can fall back", "[tsp][client]") {
  Client c;
  auto events = c.feed("302 Unsupported client version\r\n");
  auto rejected = events_of<VersionRejected>(events);
  REQUIRE(rejected.size() == 1);
  CHECK(rejected[0].version == "2.0.2");
  CHECK(c.session->closed());
}

TEST_CASE("530 Server too busy instead of CAPABILITY fails with that code", "[tsp][client]") {
  Client c;
  auto failed = events_of<ClientFailed>(c.feed("530 Server too busy\r\n"));
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].code == 530);
}

TEST_CASE("no common mechanism, or tunnel type not offered, fails before sending anything", "[tsp][client]") {
  Client mech([](ClientSessionConfig& c) { c.mechanisms = {sasl::Mechanism::kScramSha256}; });
  auto failed = events_of<ClientFailed>(mech.feed("CAPABILITY TUNNEL=V4V6 AUTH=DIGEST-MD5\r\n"));
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].code == 300);
  CHECK(mech.session->take_writes().empty());

  Client tunnel;
  failed = events_of<ClientFailed>(tunnel.feed("CAPABILITY TUNNEL=V6V4 AUTH=ANONYMOUS\r\n"));
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].code == 303);

  // v6anyv4 has no capability of its own: V6V4 or V6UDPV4 will do (tsp-digest.md §2.2).
  Client any([](ClientSessionConfig& c) { c.tunnel_type = TunnelType::kV6AnyV4; });
  CHECK(events_of<ClientFailed>(any.feed("CAPABILITY TUNNEL=V6UDPV4 AUTH=ANONYMOUS\r\n")).empty());
  CHECK(any.session->take_writes() == std::vector<std::string>{"AUTHENTICATE ANONYMOUS\r\n"});
}

TEST_CASE("garbage where CAPABILITY belongs fails", "[tsp][client]") {
  Client c;
  CHECK(events_of<ClientFailed>(c.feed("HELLO THERE\r\n")).size() == 1);
}

TEST_CASE("a server that cannot prove itself is refused (SCRAM v=, DIGEST rspauth)", "[tsp][client]") {
  for (auto mech : {sasl::Mechanism::kScramSha256, sasl::Mechanism::kDigestMd5}) {
    CountingNonces nonces;
    sasl::MemoryCredentialStore store;
    store.add(sasl::make_user_record("node1", "pw", "dstm", 4096, nonces));
    ServerSessionConfig scfg;
    ServerSession server(scfg, store, nonces, Transport::kStream, 0);
    ClientSessionConfig ccfg;
    ccfg.mechanisms = {mech};
    ccfg.credentials = {"node1", "pw"};
    ccfg.digest_host = "x";
    ClientSession client(ccfg, nonces, Transport::kStream);
    client.start();
    // Relay honestly until the server's final proof, then flip one character of it.
    bool tampered = false;
    for (int round = 0; round < 10 && !client.closed() && !client.ready(); ++round) {
      for (auto& w : client.take_writes()) server.on_input(w, 0);
      for (auto& w : server.take_writes()) {
        std::string bytes = w.bytes;
        auto decoded = sasl::base64_decode(bytes.substr(0, bytes.size() - 2));
        if (decoded && (decoded->rfind("v=", 0) == 0 || decoded->rfind("rspauth=", 0) == 0)) {
          (*decoded)[decoded->size() - 2] ^= 1;
          bytes = sasl::base64_encode(*decoded) + "\r\n";
          tampered = true;
        }
        client.on_input(bytes);
      }
    }
    CHECK(tampered);
    CHECK(client.closed());
    CHECK(events_of<ClientFailed>(client.take_events()).size() == 1);
  }
}

TEST_CASE("a referral in reply to a request carries the broker list", "[tsp][client]") {
  Client c;
  c.feed("CAPABILITY TUNNEL=V4V6 AUTH=ANONYMOUS\r\n");
  c.feed("200 Success\r\n");
  REQUIRE(c.session->ready());
  TunnelMessage create;
  create.action = TunnelAction::kCreate;
  create.type = TunnelType::kV4V6;
  REQUIRE(c.session->request(create));
  auto events = c.feed(frame_content(
      "1306 Address Pool Exhausted\r\n<tunnel action=\"info\"><broker><address type=\"dn\">b2.example</address>"
      "</broker></tunnel>\r\n"));
  auto redirected = events_of<Redirected>(events);
  REQUIRE(redirected.size() == 1);
  CHECK(redirected[0].code == 1306);
  REQUIRE(redirected[0].brokers.size() == 1);
  CHECK(redirected[0].brokers[0].value == "b2.example");
}

TEST_CASE("malformed XML in a reply fails the session", "[tsp][client]") {
  Client c;
  c.feed("CAPABILITY TUNNEL=V4V6 AUTH=ANONYMOUS\r\n");
  c.feed("200 Success\r\n");
  TunnelMessage create;
  create.action = TunnelAction::kCreate;
  REQUIRE(c.session->request(create));
  auto failed = events_of<ClientFailed>(c.feed(frame_content("200 Success\r\n<tunnel action=\"info\"><client>\r\n")));
  CHECK(failed.size() == 1);
  CHECK(c.session->closed());
}

TEST_CASE("requests are refused until authenticated", "[tsp][client]") {
  Client c;
  TunnelMessage create;
  CHECK_FALSE(c.session->request(create));
  CHECK_FALSE(c.session->accept());
}
