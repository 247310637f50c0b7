// Every exchange of tsp-digest.md §2 replayed byte for byte, against our server session and
// from our client session.
#include <catch2/catch.hpp>

#include "session_harness.h"

using namespace dstm::tsp;
using namespace dstm::tsp::testing;

namespace {

ServerSessionConfig observed_server_config() {
  ServerSessionConfig c;
  c.offer = Capabilities{{TunnelType::kV6V4, TunnelType::kV6UdpV4, TunnelType::kV4V6},
                         {sasl::Mechanism::kAnonymous, sasl::Mechanism::kPlain, sasl::Mechanism::kDigestMd5}};
  c.allow_plain_without_tls = true;  // the observed mock offered PLAIN over plain UDP
  return c;
}

sasl::MemoryCredentialStore alice_store(sasl::NonceSource& salts) {
  sasl::MemoryCredentialStore store;
  store.add(sasl::make_user_record("alice", "secret", "dstm", 4096, salts));
  return store;
}

}  // namespace

TEST_CASE("server replays gogoc's anonymous v6v4 exchange over RUDP byte for byte", "[tsp][replay]") {
  CountingNonces nonces;
  sasl::MemoryCredentialStore store;
  ServerSession s(observed_server_config(), store, nonces, Transport::kDatagram, 0);

  s.on_input("VERSION=2.0.2\r\n", 0);
  CHECK(bytes_of(s.take_writes()) == std::vector<std::string>{kObservedCapability});

  s.on_input(with_nul("AUTHENTICATE ANONYMOUS\r\n"), 0);
  CHECK(bytes_of(s.take_writes()) == std::vector<std::string>{"200 Success\r\n"});
  auto auth = events_of<Authenticated>(s.take_events());
  REQUIRE(auth.size() == 1);
  CHECK(auth[0].mechanism == sasl::Mechanism::kAnonymous);

  s.on_input(kGogocCreateV6V4, 0);
  CHECK(s.take_writes().empty());  // the application answers first
  auto req = events_of<TunnelRequested>(s.take_events());
  REQUIRE(req.size() == 1);
  CHECK(req[0].message == gogoc_create_v6v4());
  TunnelMessage answer = observed_answer_v6v4();
  s.answer(Status::kSuccess, &answer);
  CHECK(bytes_of(s.take_writes()) == std::vector<std::string>{kObservedAnswerV6V4});

  s.on_input(kGogocAccept, 0);
  auto writes = s.take_writes();
  REQUIRE(writes.size() == 1);
  CHECK(writes[0].bytes.empty());  // header-only echo
  CHECK_FALSE(writes[0].unsolicited);
  CHECK(events_of<TunnelAccepted>(s.take_events()).size() == 1);
  CHECK_FALSE(s.closed());
}

TEST_CASE("server replays the same exchange over TCP in one segment", "[tsp][replay]") {
  CountingNonces nonces;
  sasl::MemoryCredentialStore store;
  ServerSession s(observed_server_config(), store, nonces, Transport::kStream, 0);
  s.on_input("VERSION=2.0.2\r\n" + with_nul("AUTHENTICATE ANONYMOUS\r\n") + kGogocCreateV6V4, 0);
  CHECK(bytes_of(s.take_writes()) == std::vector<std::string>{kObservedCapability, "200 Success\r\n"});
  auto req = events_of<TunnelRequested>(s.take_events());
  REQUIRE(req.size() == 1);
  TunnelMessage answer = observed_answer_v6v4();
  s.answer(Status::kSuccess, &answer);
  s.on_input(kGogocAccept, 0);
  CHECK(bytes_of(s.take_writes()) == std::vector<std::string>{kObservedAnswerV6V4});  // no reply to accept on TCP
  CHECK(events_of<TunnelAccepted>(s.take_events()).size() == 1);
}

TEST_CASE("client replays gogoc's bytes and accepts the observed answer", "[tsp][replay]") {
  for (Transport t : {Transport::kDatagram, Transport::kStream}) {
    CountingNonces nonces;
    ClientSessionConfig cfg;
    cfg.tunnel_type = TunnelType::kV6V4;
    cfg.mechanisms = {sasl::Mechanism::kAnonymous};
    cfg.nul_after_authenticate = true;
    ClientSession c(cfg, nonces, t);
    c.start();
    CHECK(c.take_writes() == std::vector<std::string>{"VERSION=2.0.2\r\n"});
    c.on_input(kObservedCapability);
    CHECK(c.take_writes() == std::vector<std::string>{with_nul("AUTHENTICATE ANONYMOUS\r\n")});
    c.on_input("200 Success\r\n");
    REQUIRE(c.ready());
    REQUIRE(c.request(gogoc_create_v6v4()));
    CHECK(c.take_writes() == std::vector<std::string>{kGogocCreateV6V4});
    c.on_input(kObservedAnswerV6V4);
    auto replies = events_of<TunnelReply>(c.take_events());
    REQUIRE(replies.size() == 1);
    CHECK(replies[0].code == 200);
    REQUIRE(replies[0].message);
    CHECK(*replies[0].message == observed_answer_v6v4());
    REQUIRE(c.accept());
    CHECK(c.take_writes() == std::vector<std::string>{kGogocAccept});
    if (t == Transport::kDatagram) c.on_input("");  // header-only echo
    CHECK(c.ready());
  }
}

TEST_CASE("PLAIN as gogoc sends it: RUDP ack in between, and one TCP segment", "[tsp][replay][plain]") {
  CountingNonces nonces;
  auto store = alice_store(nonces);
  ServerSession udp(observed_server_config(), store, nonces, Transport::kDatagram, 0);
  udp.on_input("VERSION=2.0.2\r\n", 0);
  udp.take_writes();
  udp.on_input(with_nul("AUTHENTICATE PLAIN\r\n"), 0);
  CHECK(bytes_of(udp.take_writes()) == std::vector<std::string>{""});
  udp.on_input(std::string("\0alice\0secret\r\n", 15), 0);
  CHECK(bytes_of(udp.take_writes()) == std::vector<std::string>{"200 Success\r\n"});
  CHECK(udp.identity() == "alice");

  ServerSession tcp(observed_server_config(), store, nonces, Transport::kStream, 0);
  tcp.on_input("VERSION=2.0.2\r\n" + with_nul("AUTHENTICATE PLAIN\r\n") + std::string("\0alice\0secret\r\n", 15), 0);
  CHECK(bytes_of(tcp.take_writes()) == std::vector<std::string>{kObservedCapability, "200 Success\r\n"});

  // Our client sends the same bytes gogoc does.
  ClientSessionConfig cfg;
  cfg.tunnel_type = TunnelType::kV6V4;
  cfg.mechanisms = {sasl::Mechanism::kPlain};
  cfg.credentials = {"alice", "secret"};
  cfg.nul_after_authenticate = true;
  ClientSession c(cfg, nonces, Transport::kDatagram);
  c.start();
  c.take_writes();
  c.on_input(kObservedCapability);
  CHECK(c.take_writes() == std::vector<std::string>{with_nul("AUTHENTICATE PLAIN\r\n")});
  c.on_input("");
  CHECK(c.take_writes() == std::vector<std::string>{std::string("\0alice\0secret\r\n", 15)});
  c.on_input("200 Success\r\n");
  CHECK(c.ready());
}

TEST_CASE("DIGEST-MD5 over RUDP: challenge, response, rspauth, empty ack, 200", "[tsp][replay][digest]") {
  CountingNonces nonces;
  auto store = alice_store(nonces);
  ServerSession s(observed_server_config(), store, nonces, Transport::kDatagram, 0);
  ClientSessionConfig cfg;
  cfg.tunnel_type = TunnelType::kV4V6;
  cfg.mechanisms = {sasl::Mechanism::kDigestMd5};
  cfg.credentials = {"alice", "secret"};
  cfg.digest_host = "broker.example.net:3653";
  ClientSession c(cfg, nonces, Transport::kDatagram);
  c.start();
  Loopback loop{c, s, {}, {}, {}};
  loop.run([](ServerSession&, const TunnelMessage&) {});
  REQUIRE(c.ready());
  // C: VERSION, S: CAPABILITY, C: AUTHENTICATE, S: challenge, C: response, S: rspauth,
  // C: empty ack, S: 200 Success — each server write a reply to exactly one client datagram.
  REQUIRE(loop.wire.size() == 8);
  auto challenge = sasl::base64_decode(loop.wire[3].substr(2, loop.wire[3].size() - 4));
  REQUIRE(challenge);
  CHECK(challenge->rfind("realm=\"dstm\",nonce=\"", 0) == 0);
  CHECK(challenge->find(",qop=auth,algorithm=md5-sess,charset=utf8") != std::string::npos);
  auto response = sasl::base64_decode(loop.wire[4].substr(2, loop.wire[4].size() - 4));
  REQUIRE(response);
  CHECK(response->find("digest-uri=\"tsp/broker.example.net:3653\"") != std::string::npos);
  auto rspauth = sasl::base64_decode(loop.wire[5].substr(2, loop.wire[5].size() - 4));
  REQUIRE(rspauth);
  CHECK(rspauth->rfind("rspauth=", 0) == 0);
  CHECK(loop.wire[6] == "C:");
  CHECK(loop.wire[7] == "S:200 Success\r\n");
}

TEST_CASE("DIGEST-MD5 over TCP: rspauth and 200 are two writes with no client turn", "[tsp][replay][digest]") {
  CountingNonces nonces;
  auto store = alice_store(nonces);
  ServerSession s(observed_server_config(), store, nonces, Transport::kStream, 0);
  ClientSessionConfig cfg;
  cfg.tunnel_type = TunnelType::kV4V6;
  cfg.mechanisms = {sasl::Mechanism::kDigestMd5};
  cfg.credentials = {"alice", "secret"};
  cfg.digest_host = "hexos";
  ClientSession c(cfg, nonces, Transport::kStream);
  c.start();
  Loopback loop{c, s, {}, {}, {}};
  loop.run([](ServerSession&, const TunnelMessage&) {});
  REQUIRE(c.ready());
  REQUIRE(loop.wire.size() == 7);
  CHECK(loop.wire[5].rfind("S:", 0) == 0);
  CHECK(loop.wire[6] == "S:200 Success\r\n");
}

TEST_CASE("the DSTM draft's own exchange: VERSION=1.0, anonymous, two-address v4v6 create", "[tsp][replay][dstm]") {
  // draft-bound-dstm-exp-00, TSP profile §4.1: C:VERSION=1.0 / S:CAPABILITY TUNNEL=V4V6
  // AUTH=DIGEST-MD5 AUTH=ANONYMOUS / C:AUTHENTICATE ANONYMOUS / S:OK ... / C:Content-length ...
  CountingNonces nonces;
  sasl::MemoryCredentialStore store;
  ServerSessionConfig cfg;
  cfg.offer = Capabilities{{TunnelType::kV4V6}, {sasl::Mechanism::kDigestMd5, sasl::Mechanism::kAnonymous}};
  ServerSession s(cfg, store, nonces, Transport::kStream, 0);
  s.on_input("VERSION=1.0\r\n", 0);
  CHECK(bytes_of(s.take_writes()) ==
        std::vector<std::string>{"CAPABILITY TUNNEL=V4V6 AUTH=DIGEST-MD5 AUTH=ANONYMOUS\r\n"});
  s.on_input("AUTHENTICATE ANONYMOUS\r\n", 0);
  CHECK(bytes_of(s.take_writes()) == std::vector<std::string>{"200 Success\r\n"});
  const std::string create =
      "<tunnel action=\"create\" type=\"v4v6\">\r\n <client>\r\n"
      "  <address type=\"ipv6\">fe80:0000:0000:0000:0000:0000:0000:0001</address>\r\n"
      "  <address type=\"ipv6\">3ffe:0b00:0c18:ffff:0000:0000:0000:0001</address>\r\n"
      " </client>\r\n</tunnel>\r\n";
  s.on_input(frame_content(create), 0);
  auto req = events_of<TunnelRequested>(s.take_events());
  REQUIRE(req.size() == 1);
  auto v6 = req[0].message.client->all(AddressType::kIpv6);
  REQUIRE(v6.size() == 2);
  CHECK(v6[1]->value == "3ffe:0b00:0c18:ffff:0000:0000:0000:0001");
  TunnelMessage info;
  info.action = TunnelAction::kInfo;
  info.type = TunnelType::kV4V6;
  info.lifetime = 1440;
  info.server = Endpoint{{addr(AddressType::kIpv4, "206.123.31.1"), addr(AddressType::kIpv6, "3ffe:b00:c18:ffff::1")}, {}, {}, {}};
  info.client = Endpoint{{addr(AddressType::kIpv4, "206.123.31.2"), addr(AddressType::kIpv6, "3ffe:b00:c18:ffff::2")},
                         {addr(AddressType::kIpv6, "3ffe:b00:c18:ffff::1")}, {}, {}};
  s.answer(Status::kSuccess, &info);
  auto out = bytes_of(s.take_writes());
  REQUIRE(out.size() == 1);
  CHECK(out[0].rfind("Content-length: ", 0) == 0);
  CHECK(out[0].find("\r\n200 Success\r\n<tunnel action=\"info\" type=\"v4v6\" lifetime=\"1440\">") != std::string::npos);
  CHECK(events_of<TunnelAccepted>(s.take_events()).size() == 1);  // 1.0: no accept step

  // And our client takes the draft's wordings of success: only the number counts.
  for (const char* ok : {"200 OK\r\n", "200 Authentication successful\r\n"}) {
    ClientSessionConfig ccfg;
    ccfg.version = "1.0";
    ccfg.mechanisms = {sasl::Mechanism::kAnonymous};
    ClientSession c(ccfg, nonces, Transport::kStream);
    c.start();
    c.on_input("CAPABILITY TUNNEL=V4V6 AUTH=DIGEST-MD5 AUTH=ANONYMOUS\r\n");
    c.on_input(ok);
    CHECK(c.ready());
  }
}
