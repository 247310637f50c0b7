// Our client against our server, in memory: every mechanism over both transports, the DSTM
// v4v6 allocation (draft-bound-dstm-exp-00, TSP profile §4), renewal and the server's delete.
#include <catch2/catch.hpp>

#include "session_harness.h"

using namespace dstm::tsp;
using namespace dstm::tsp::testing;

namespace {

// draft-00's v4v6 create: link-local and global IPv6 of the node (§4.1).
TunnelMessage dstm_create(std::optional<std::string> renew_ipv4 = std::nullopt) {
  TunnelMessage m;
  m.action = TunnelAction::kCreate;
  m.type = TunnelType::kV4V6;
  Endpoint client;
  client.addresses = {addr(AddressType::kIpv6, "fe80:0000:0000:0000:0000:0000:0000:0001"),
                      addr(AddressType::kIpv6, "3ffe:0b00:0c18:ffff:0000:0000:0000:0001")};
  if (renew_ipv4) client.addresses.push_back(addr(AddressType::kIpv4, *renew_ipv4));
  m.client = client;
  return m;
}

// A DSTM allocation answer: leased IPv4, TEP addresses, lifetime, dns_server (gogoc needs it).
TunnelMessage dstm_info(TunnelAction action = TunnelAction::kInfo) {
  TunnelMessage m;
  m.action = action;
  m.type = TunnelType::kV4V6;
  m.lifetime = 1440;
  m.server = Endpoint{{addr(AddressType::kIpv4, "206.123.31.1"), addr(AddressType::kIpv6, "3ffe:b00:c18:ffff::1")}, {}, {}, {}};
  m.client = Endpoint{{addr(AddressType::kIpv4, "206.123.31.2"), addr(AddressType::kIpv6, "3ffe:b00:c18:ffff::2")},
                      {addr(AddressType::kIpv6, "3ffe:b00:c18:ffff::53")}, {},
                      Keepalive{30, addr(AddressType::kIpv4, "206.123.31.1")}};
  return m;
}

struct Fixture {
  CountingNonces nonces;
  sasl::MemoryCredentialStore store;
  ServerSessionConfig server_config;
  ClientSessionConfig client_config;
  Fixture() {
    store.add(sasl::make_user_record("node1", "correct horse", "dstm", 4096, nonces));
    server_config.offer.mechanisms = {sasl::Mechanism::kScramSha256, sasl::Mechanism::kDigestMd5,
                                      sasl::Mechanism::kPlain, sasl::Mechanism::kAnonymous};
    server_config.transport_secure = true;
    client_config.credentials = {"node1", "correct horse"};
    client_config.digest_host = "dstm.example";
  }
};

}  // namespace

TEST_CASE("DSTM allocation, accept, renewal and delete for every mechanism and transport", "[tsp][flow]") {
  auto mechanism = GENERATE(sasl::Mechanism::kScramSha256, sasl::Mechanism::kDigestMd5,
                            sasl::Mechanism::kPlain, sasl::Mechanism::kAnonymous);
  auto transport = GENERATE(Transport::kStream, Transport::kDatagram);
  CAPTURE(sasl::wire_name(mechanism), transport == Transport::kStream ? "tcp" : "udp");
  Fixture f;
  f.client_config.mechanisms = {mechanism};
  ServerSession server(f.server_config, f.store, f.nonces, transport, 0);
  ClientSession client(f.client_config, f.nonces, transport);
  client.start();
  Loopback loop{client, server, {}, {}, {}};
  std::vector<TunnelMessage> requests;
  auto app = [&requests](ServerSession& s, const TunnelMessage& m) {
    requests.push_back(m);
    TunnelMessage info = dstm_info();
    s.answer(Status::kSuccess, &info);
  };
  loop.run(app);
  REQUIRE(client.ready());
  auto auth = events_of<Authenticated>(loop.server_events);
  REQUIRE(auth.size() == 1);
  CHECK(auth[0].identity == (mechanism == sasl::Mechanism::kAnonymous ? "anonymous" : "node1"));

  REQUIRE(client.request(dstm_create()));
  loop.run(app);
  REQUIRE(requests.size() == 1);
  CHECK(requests[0] == dstm_create());
  auto replies = events_of<TunnelReply>(loop.client_events);
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].code == 200);
  CHECK(replies[0].message == dstm_info());
  REQUIRE(client.accept());
  loop.run(app);
  CHECK(events_of<TunnelAccepted>(loop.server_events).size() == 1);
  REQUIRE(client.ready());

  // Renewal: a create carrying the leased IPv4 (TSP profile §4.2) on the same session.
  REQUIRE(client.request(dstm_create("206.123.31.2")));
  loop.run(app);
  REQUIRE(requests.size() == 2);
  CHECK(requests[1].client->find(AddressType::kIpv4)->value == "206.123.31.2");

  // End of allocation: the server's own Tunnel Delete (§4.3) — TCP only.
  bool sent = server.send_request(dstm_info(TunnelAction::kDelete));
  CHECK(sent == (transport == Transport::kStream));
  loop.run(app);
  auto pushed = events_of<ServerRequest>(loop.client_events);
  CHECK(pushed.size() == (transport == Transport::kStream ? 1u : 0u));
  if (!pushed.empty()) CHECK(pushed[0].message == dstm_info(TunnelAction::kDelete));
  CHECK(events_of<ClientFailed>(loop.client_events).empty());
  CHECK(events_of<ProtocolError>(loop.server_events).empty());
}

TEST_CASE("version 1.0.1 has no accept step", "[tsp][flow]") {
  Fixture f;
  f.client_config.version = "1.0.1";
  f.client_config.mechanisms = {sasl::Mechanism::kAnonymous};
  ServerSession server(f.server_config, f.store, f.nonces, Transport::kStream, 0);
  ClientSession client(f.client_config, f.nonces, Transport::kStream);
  client.start();
  Loopback loop{client, server, {}, {}, {}};
  auto app = [](ServerSession& s, const TunnelMessage&) {
    TunnelMessage info = dstm_info();
    s.answer(Status::kSuccess, &info);
  };
  loop.run(app);
  REQUIRE(client.request(dstm_create()));
  loop.run(app);
  CHECK(events_of<TunnelAccepted>(loop.server_events).size() == 1);  // implicit
  REQUIRE(client.accept());
  CHECK(client.take_writes().empty());  // nothing to send in 1.x
}

TEST_CASE("wrong password fails with 300 on both sides", "[tsp][flow]") {
  auto mechanism = GENERATE(sasl::Mechanism::kScramSha256, sasl::Mechanism::kDigestMd5, sasl::Mechanism::kPlain);
  auto transport = GENERATE(Transport::kStream, Transport::kDatagram);
  Fixture f;
  f.client_config.mechanisms = {mechanism};
  f.client_config.credentials.password = "wrong";
  ServerSession server(f.server_config, f.store, f.nonces, transport, 0);
  ClientSession client(f.client_config, f.nonces, transport);
  client.start();
  Loopback loop{client, server, {}, {}, {}};
  loop.run([](ServerSession&, const TunnelMessage&) {});
  auto failed = events_of<ClientFailed>(loop.client_events);
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].code == 300);
  CHECK(events_of<Authenticated>(loop.server_events).empty());
  CHECK(events_of<ProtocolError>(loop.server_events).size() >= 1);  // logged with its code
}

TEST_CASE("an application error code reaches the client as a framed status", "[tsp][flow]") {
  Fixture f;
  f.client_config.mechanisms = {sasl::Mechanism::kAnonymous};
  ServerSession server(f.server_config, f.store, f.nonces, Transport::kStream, 0);
  ClientSession client(f.client_config, f.nonces, Transport::kStream);
  client.start();
  Loopback loop{client, server, {}, {}, {}};
  auto app = [](ServerSession& s, const TunnelMessage&) { s.answer(Status::kPoolExhausted, nullptr); };
  loop.run(app);
  REQUIRE(client.request(dstm_create()));
  loop.run(app);
  CHECK(loop.wire.back() == "S:Content-length: 28\r\n306 Address Pool Exhausted\r\n");
  auto replies = events_of<TunnelReply>(loop.client_events);
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].code == 306);
  CHECK_FALSE(replies[0].message);
  CHECK(client.ready());  // the session stays usable
}
