#include <catch2/catch.hpp>
#include <string>

#include "tsp/rudp.h"

using namespace dstm::tsp;

TEST_CASE("RUDP header round trip and control detection", "[tsp][rudp]") {
  std::string d = encode_rudp(RudpHeader{0xf00000f0u, 1234}, "VERSION=2.0.2\r\n");
  REQUIRE(d.size() == 8 + 15);
  CHECK(static_cast<unsigned char>(d[0]) == 0xf0);
  CHECK(static_cast<unsigned char>(d[3]) == 0xf0);  // the wire shows f0 00 00 f0 (§1)
  auto h = parse_rudp_header(d);
  REQUIRE(h);
  CHECK(h->sequence == 0xf00000f0u);
  CHECK(h->timestamp == 1234u);
  CHECK_FALSE(is_rudp_control("\x60\x00\x00\x00"));  // an IPv6 data packet on the same 5-tuple
  CHECK_FALSE(parse_rudp_header("\xf0\x00\x00"));    // too short
}

TEST_CASE("server peer answers duplicates from its cache and drops stale ones", "[tsp][rudp]") {
  RudpServerPeer peer;
  RudpHeader first{0xf00000f0u, 10};
  REQUIRE(peer.classify(first) == RudpServerPeer::Verdict::kProcess);
  CHECK(peer.classify(first) == RudpServerPeer::Verdict::kPending);  // still being worked on
  std::string reply = peer.reply("CAPABILITY TUNNEL=V4V6 AUTH=ANONYMOUS\r\n");
  CHECK(reply.substr(0, 8) == encode_rudp(first, ""));  // header echoed unchanged
  CHECK(peer.classify(first) == RudpServerPeer::Verdict::kResendCached);
  CHECK(peer.cached_reply() == reply);
  RudpHeader second{0xf00000f1u, 20};
  CHECK(peer.classify(second) == RudpServerPeer::Verdict::kProcess);
  peer.reply("");
  CHECK(peer.classify(first) == RudpServerPeer::Verdict::kDrop);
  CHECK(peer.classify(RudpHeader{0x000000f2u, 0}) == RudpServerPeer::Verdict::kDrop);
}

TEST_CASE("server peer tells a new client on its port from a late first request", "[tsp][rudp]") {
  RudpServerPeer peer;
  const RudpHeader initial{0xf00000f0u, 10};
  CHECK_FALSE(peer.is_restart(initial, "VERSION=2.0.0\r\n"));  // nothing seen yet: just new
  REQUIRE(peer.classify(initial) == RudpServerPeer::Verdict::kProcess);
  peer.reply("CAPABILITY TUNNEL=V4V6 AUTH=ANONYMOUS\r\n");
  CHECK_FALSE(peer.is_restart(initial, "VERSION=2.0.0\r\n"));  // a retransmission of it
  REQUIRE(peer.classify(RudpHeader{0xf00000f1u, 20}) == RudpServerPeer::Verdict::kProcess);
  peer.reply("200 Success\r\n");
  CHECK_FALSE(peer.is_restart(initial, "VERSION=2.0.0\r\n"));  // one request on: still ambiguous
  REQUIRE(peer.classify(RudpHeader{0xf00000f2u, 30}) == RudpServerPeer::Verdict::kProcess);
  peer.reply("Content-length: 0\r\n");
  CHECK(peer.is_restart(RudpHeader{0xf00000f0u, 5}, "VERSION=2.0.0\r\n"));
  CHECK_FALSE(peer.is_restart(RudpHeader{0xf00000f0u, 5}, "AUTHENTICATE ANONYMOUS\r\n"));
  CHECK_FALSE(peer.is_restart(RudpHeader{0xf00000f3u, 40}, "VERSION=2.0.0\r\n"));
}

TEST_CASE("server peer follows 28-bit sequence wrap-around", "[tsp][rudp]") {
  RudpServerPeer peer;
  REQUIRE(peer.classify(RudpHeader{0xffffffffu - 0, 0}) == RudpServerPeer::Verdict::kProcess);
  peer.reply("");
  CHECK(peer.classify(RudpHeader{0xf0000000u, 0}) == RudpServerPeer::Verdict::kProcess);
}

TEST_CASE("client peer numbers from 0xf00000f0, matches replies, backs off", "[tsp][rudp]") {
  RudpClientPeer peer;
  std::string first = peer.send("VERSION=2.0.2\r\n", 0);
  CHECK(parse_rudp_header(first)->sequence == 0xf00000f0u);
  CHECK(peer.retransmit_deadline() == 2000u);
  CHECK_FALSE(peer.accept(encode_rudp(RudpHeader{0xf00000efu, 0}, "x")));  // wrong sequence
  auto again = peer.retransmit(2000);
  REQUIRE(again);
  CHECK(*again == first);
  CHECK(peer.retransmit_deadline() == 2000u + 4000u);
  auto payload = peer.accept(encode_rudp(RudpHeader{0xf00000f0u, 0}, "CAPABILITY\r\n"));
  REQUIRE(payload);
  CHECK(*payload == "CAPABILITY\r\n");
  CHECK_FALSE(peer.retransmit_deadline());
  std::string second = peer.send("AUTHENTICATE ANONYMOUS\r\n", 5000);
  CHECK(parse_rudp_header(second)->sequence == 0xf00000f1u);
}

TEST_CASE("client peer gives up after its tries", "[tsp][rudp]") {
  RudpClientPeer peer;
  peer.send("VERSION=2.0.2\r\n", 0);
  int resent = 0;
  while (peer.retransmit(0)) ++resent;
  CHECK(resent == RudpClientPeer::kMaxTries - 1);
}
