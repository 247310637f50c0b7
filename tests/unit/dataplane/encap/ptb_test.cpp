// ICMPv6 Packet Too Big from the node path (packet/ptb.h, case 34), the per-node MTU cache
// (packet/path_mtu.h) and encap_finish with a learned MTU.
#include <catch2/catch.hpp>

#include "packet/encap.h"
#include "packet/path_mtu.h"
#include "packet/ptb.h"
#include "test_packets.h"

namespace dstm::dp {
namespace {

using test::Ipv4Spec;
using test::TestBuf;

const net::Ipv6Address kRouter = *net::Ipv6Address::parse("2001:db8:9::1");

// The inner packet the TEP once sent to kNode6 (D -> L4), as a router quotes it.
std::vector<std::uint8_t> quoted_inner(bool df, net::Ipv4Address dst = test::kLease) {
  Ipv4Spec spec;
  spec.dst = dst;
  spec.dont_fragment = df;
  return test::make_ipv4(spec);
}

// IPv6 (router -> T) / ICMPv6 2/0 MTU `mtu` / IPv6 (qsrc -> qdst, next header `nh`) / inner.
std::vector<std::uint8_t> ptb(std::uint32_t mtu, const std::vector<std::uint8_t>& inner,
                              const net::Ipv6Address& qsrc = test::kTep6,
                              const net::Ipv6Address& qdst = test::kNode6,
                              std::uint8_t nh = net::kProtoIpv4InIpv6) {
  const std::size_t icmp_len = 8 + 40 + inner.size();
  std::vector<std::uint8_t> b(40 + icmp_len);
  auto ip = net::Ipv6Header::at(b);
  ip->set_version_class_flow(6, 0, 0);
  ip->set_payload_length(static_cast<std::uint16_t>(icmp_len));
  ip->set_next_header(net::kProtoIcmpv6);
  ip->set_hop_limit(60);
  ip->set_src(kRouter);
  ip->set_dst(test::kTep6);
  b[40] = net::kIcmpv6PacketTooBig;
  net::store_be32(&b[44], mtu);
  auto q = net::Ipv6Header::at(std::span(b).subspan(48));
  q->set_version_class_flow(6, 0, 0);
  q->set_payload_length(static_cast<std::uint16_t>(inner.size()));
  q->set_next_header(nh);
  q->set_hop_limit(64);
  q->set_src(qsrc);
  q->set_dst(qdst);
  std::copy(inner.begin(), inner.end(), b.begin() + 88);
  auto icmp = std::span(b).subspan(40);
  const auto sum = net::checksum_fold(net::checksum_partial(
      icmp, net::pseudo_header_sum_v6(kRouter, test::kTep6, net::kProtoIcmpv6, static_cast<std::uint32_t>(icmp.size()))));
  net::store_be16(&b[42], sum);
  return b;
}

Verdict run(const TepContext& tep, const std::vector<std::uint8_t>& bytes, const net::Ipv6Address* binding,
            PtbParse* out = nullptr) {
  TestBuf buf(bytes);
  REQUIRE(is_packet_too_big(buf.pkt));
  const PtbParse p = ptb_parse(tep, buf.pkt);
  if (out != nullptr) *out = p;
  return ptb_finish(tep, p, binding);
}

}  // namespace

TEST_CASE("case 34: PTB quoting T -> bound node sets MTU - 40 and relays 3/4 for DF", "[ptb]") {
  const auto tep = test::make_tep();
  PtbParse p;
  const Verdict v = run(tep, ptb(1400, quoted_inner(true)), &test::kNode6, &p);
  CHECK(v.action == Action::kDrop);
  CHECK(v.counter == Counter::kInIcmpv6Ptb);
  CHECK(v.icmp == IcmpError::kV4FragNeeded);
  CHECK(v.mtu == 1360);
  CHECK(p.mtu == 1360);
  CHECK(p.client == test::kLease);
  CHECK(p.inner_offset == 88);
}

TEST_CASE("case 34: a report below 1280 counts as 1280; no relay without DF", "[ptb]") {
  const auto tep = test::make_tep();
  PtbParse p;
  const Verdict v = run(tep, ptb(576, quoted_inner(false)), &test::kNode6, &p);
  CHECK(v.counter == Counter::kInIcmpv6Ptb);
  CHECK(v.icmp == IcmpError::kNone);
  CHECK(p.mtu == 1240);
  CHECK(run(tep, ptb(0xFFFFFFFF, quoted_inner(false)), &test::kNode6, &p).counter == Counter::kInIcmpv6Ptb);
  CHECK(p.mtu == 0xFFFF - 40);
}

TEST_CASE("case 34: relayed MTU never above tep.tunnel_mtu; frag_needed policy off: no relay", "[ptb]") {
  auto tep = test::make_tep();
  CHECK(run(tep, ptb(9000, quoted_inner(true)), &test::kNode6).mtu == tep.tunnel_mtu);
  tep.icmp.frag_needed = false;
  CHECK(run(tep, ptb(1400, quoted_inner(true)), &test::kNode6).icmp == IcmpError::kNone);
}

TEST_CASE("case 34: quotes that are not ours are refused", "[ptb]") {
  const auto tep = test::make_tep();
  const net::Ipv6Address other = *net::Ipv6Address::parse("2001:db8:c::7");
  SECTION("quoted source not a TEP address") {
    CHECK(run(tep, ptb(1280, quoted_inner(true), other), &test::kNode6).counter == Counter::kDropIcmpv6BadQuote);
  }
  SECTION("quoted next header not 4") {
    CHECK(run(tep, ptb(1280, quoted_inner(true), test::kTep6, test::kNode6, 17), &test::kNode6).counter ==
          Counter::kDropIcmpv6BadQuote);
  }
  SECTION("the lease is bound to another node") {
    CHECK(run(tep, ptb(1280, quoted_inner(true), test::kTep6, other), &test::kNode6).counter ==
          Counter::kDropIcmpv6BadQuote);
  }
  SECTION("no lease at all") {
    CHECK(run(tep, ptb(1280, quoted_inner(true)), nullptr).counter == Counter::kDropIcmpv6BadQuote);
  }
  SECTION("no IPv4 header in the quote") {
    auto inner = quoted_inner(true);
    inner.resize(12);
    CHECK(run(tep, ptb(1280, inner), &test::kNode6).counter == Counter::kDropIcmpv6BadQuote);
  }
}

TEST_CASE("case 34: malformed or unwanted PTB messages", "[ptb]") {
  auto tep = test::make_tep();
  auto bytes = ptb(1280, quoted_inner(true));
  SECTION("bad checksum") {
    bytes[42] ^= 1;
    CHECK(run(tep, bytes, &test::kNode6).counter == Counter::kDropIcmpv6Other);
  }
  SECTION("code 1") {
    bytes[41] = 1;
    CHECK(run(tep, bytes, &test::kNode6).counter == Counter::kDropIcmpv6Other);
  }
  SECTION("payload length beyond the packet") {
    bytes.pop_back();
    CHECK(run(tep, bytes, &test::kNode6).counter == Counter::kDropMalformedIpv6);
  }
  SECTION("policy: ignore Packet Too Big") {
    tep.icmp.packet_too_big = false;
    CHECK(run(tep, bytes, &test::kNode6).counter == Counter::kDropIcmpv6Other);
  }
}

TEST_CASE("path MTU cache: lookup, expiry, never raised, aging", "[ptb]") {
  PathMtuCache cache;
  const std::uint32_t a = test::kLease.to_host();
  const std::uint32_t b = test::kOtherLease.to_host();
  CHECK_FALSE(cache.used());
  CHECK_FALSE(cache.lookup(a, 100, 600));
  cache.update(a, 1240, 100, 600);
  CHECK(cache.used());
  CHECK(cache.lookup(a, 100, 600) == std::uint16_t{1240});
  CHECK_FALSE(cache.lookup(b, 100, 600));
  cache.update(a, 1400, 200, 600);  // RFC 8201 §4: a larger report does not raise it
  CHECK(cache.lookup(a, 699, 600) == std::uint16_t{1240});
  CHECK_FALSE(cache.lookup(a, 700, 600));  // 600 s after the last lowering
  cache.update(a, 1300, 700, 600);  // expired: a new estimate, larger is fine now
  CHECK(cache.lookup(a, 700, 600) == std::uint16_t{1300});
  cache.update(a, 1250, 710, 600);
  CHECK(cache.lookup(a, 710, 600) == std::uint16_t{1250});
  CHECK(cache.age(1000, 600) == 0);
  CHECK(cache.age(1310, 600) == 1);
  CHECK_FALSE(cache.lookup(a, 1310, 60000));
  SECTION("the clock wraps at 2^16 s") {
    cache.update(b, 1280, 65530, 600);
    CHECK(cache.lookup(b, 10, 600) == std::uint16_t{1280});
    CHECK_FALSE(cache.lookup(b, 600, 600));
  }
}

TEST_CASE("path MTU cache: many nodes, colliding ones replace the oldest", "[ptb]") {
  PathMtuCache cache;
  for (std::uint32_t i = 1; i <= 3000; ++i) cache.update(i, static_cast<std::uint16_t>(1000 + i % 200), 5, 600);
  unsigned found = 0;
  for (std::uint32_t i = 1; i <= 3000; ++i) {
    auto mtu = cache.lookup(i, 5, 600);
    if (mtu) {
      CHECK(*mtu == 1000 + i % 200);  // never another node's MTU
      ++found;
    }
  }
  CHECK(found > 2500);
}

TEST_CASE("encap uses the smaller of the learned MTU and tep.tunnel_mtu", "[ptb]") {
  const auto tep = test::make_tep();
  Ipv4Spec spec;
  spec.payload_length = 1300 - 20;
  spec.dont_fragment = true;
  const auto in = test::make_ipv4(spec);
  auto run_encap = [&](std::uint32_t path_mtu) {
    TestBuf buf(in);
    const EncapParse parsed = encap_parse(tep, buf.pkt);
    return encap_finish(tep, buf.pkt, parsed, &test::kNode6, false, path_mtu);
  };
  CHECK(run_encap(0).action == Action::kToIpv6Side);
  CHECK(run_encap(1400).action == Action::kToIpv6Side);
  const Verdict v = run_encap(1240);
  CHECK(v.counter == Counter::kDropOverMtuDf);
  CHECK(v.mtu == 1240);
  spec.dont_fragment = false;
  TestBuf buf(test::make_ipv4(spec));
  const Verdict f = encap_finish(tep, buf.pkt, encap_parse(tep, buf.pkt), &test::kNode6, false, 1240);
  CHECK(f.action == Action::kToIpv6SideFragment);
  CHECK(f.mtu == 1280);
}

}  // namespace dstm::dp
