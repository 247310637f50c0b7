// decap_parse on the outer IPv6 header and its extension header chain (TEP-BEHAVIOUR.md cases
// 4-6 and 27-32, RFC 8200 §4).
#include <catch2/catch.hpp>

#include "decap_test_util.h"

namespace dstm::dp::test {
namespace {

constexpr auto kPP = IcmpError::kV6ParameterProblem;
constexpr std::uint8_t kHbh = net::kProtoHopByHop;
constexpr std::uint8_t kOpts = net::kProtoIpv6Opts;
constexpr std::uint8_t kV4 = net::kProtoIpv4InIpv6;

// Sends `ext` (chained, the first named by the fixed header's `first`) + a default inner packet
// and returns the verdict; `before`/`after` are the bytes around decap.
struct Sent {
  Verdict verdict;
  Bytes before;
  Bytes after;
};
Sent send(std::uint8_t first, const Bytes& ext, const TepContext& tep = make_tep()) {
  Outer o;
  o.next = first;
  o.ext = ext;
  TestPacket pkt(ipv6_packet(o, ipv4_packet(Inner{})));
  const Bytes before = pkt.bytes();
  const Verdict v = run(tep, pkt);
  return {v, before, pkt.bytes()};
}

void check_accepted(const Sent& s) {
  CHECK(s.verdict.action == Action::kToIpv4Side);
  CHECK(s.after == forwarded(Inner{}));
}

void check_refused(const Sent& s, const std::string& counter, IcmpError icmp = IcmpError::kNone,
                   std::uint8_t code = 0, std::uint32_t pointer = 0) {
  check_drop(s.verdict, counter, icmp, code, pointer);
  CHECK(s.after == s.before);  // unchanged: an ICMP error will quote it
}

TEST_CASE("case 4: outer destination not a TEP address is not decapsulated", "[decap]") {
  Outer o;
  o.dst = kNotTep6;
  TestPacket pkt(ipv6_packet(o, ipv4_packet(Inner{})));
  const Bytes before = pkt.bytes();
  check_drop(run(make_tep(), pkt), "drop-ipv6-not-local");
  CHECK(pkt.bytes() == before);

  o.dst = kTep6Second;  // every configured TEP address is ours
  TestPacket second(ipv6_packet(o, ipv4_packet(Inner{})));
  check_forwarded(run(make_tep(), second), second, forwarded(Inner{}));
}

TEST_CASE("case 5: next header 41, 47 or 59 instead of 4", "[decap]") {
  SECTION("41 and 47: Parameter Problem 4/1 at the next header field") {
    check_refused(send(net::kProtoIpv6, {}), "drop-unknown-protocol-ipv6", kPP, 1, 6);
    check_refused(send(net::kProtoGre, {}), "drop-unknown-protocol-ipv6", kPP, 1, 6);
  }
  SECTION("after a Destination Options header the pointer names its next header field") {
    check_refused(send(kOpts, encap_limit_header(net::kProtoGre)), "drop-unknown-protocol-ipv6",
                  kPP, 1, 40);
  }
  SECTION("59, No Next Header: no ICMP") {
    check_refused(send(net::kProtoNoNext, {}), "drop-unknown-protocol-ipv6");
  }
  SECTION("parameter_problem policy off: dropped and counted, no ICMP") {
    TepContext tep = make_tep();
    tep.icmp.parameter_problem = false;
    check_refused(send(net::kProtoIpv6, {}, tep), "drop-unknown-protocol-ipv6");
  }
}

TEST_CASE("case 6: truncated or inconsistent outer IPv6 is dropped silently", "[decap]") {
  Bytes packet = ipv6_packet(Outer{}, ipv4_packet(Inner{}));
  SECTION("shorter than the fixed header") {
    packet.resize(39);
  }
  SECTION("version 4 in the outer header") {
    packet[0] = 0x40;
  }
  SECTION("payload length > bytes received") {
    packet.pop_back();
  }
  SECTION("next header 4 with fewer than 20 bytes of payload") {
    packet = ipv6_packet(Outer{}, Bytes(19, 0x45));
  }
  TestPacket pkt(packet);
  check_drop(run(make_tep(), pkt), "drop-malformed-ipv6");
  CHECK(pkt.bytes() == packet);
}

TEST_CASE("case 27: an atomic fragment is processed as unfragmented", "[decap]") {
  check_accepted(send(net::kProtoIpv6Frag, fragment_header(kV4, 0, false)));
}

TEST_CASE("case 28: options before a Fragment header are walked, never corrupted", "[decap]") {
  const Bytes hbh = options_header(kOpts, {1, 4, 0, 0, 0, 0});
  SECTION("Hop-by-Hop + Destination Options + atomic fragment: decapsulated") {
    check_accepted(send(kHbh, concat(concat(hbh, encap_limit_header(net::kProtoIpv6Frag)),
                                     fragment_header(kV4, 0, false))));
  }
  SECTION("the same with a real first fragment: handed to reassembly, Fragment header located") {
    Outer o;
    o.next = kHbh;
    o.ext = concat(concat(hbh, encap_limit_header(net::kProtoIpv6Frag)),
                   fragment_header(kV4, 0, true));
    TestPacket pkt(ipv6_packet(o, ipv4_packet(Inner{})));
    const Bytes before = pkt.bytes();
    const DecapParse parsed = decap_parse(make_tep(), pkt.buf);
    CHECK(parsed.fragment_header == 56);      // 40 + Hop-by-Hop 8 + Destination Options 8
    CHECK(parsed.fragment_next_field == 48);  // the Destination Options' next header
    REQUIRE(parsed.early.has_value());
    check_drop(*parsed.early, "in-ipv6-frag-needs-reassembly");
    CHECK(pkt.bytes() == before);
  }
  SECTION("a non-first fragment: handed to reassembly") {
    const Sent s = send(net::kProtoIpv6Frag, fragment_header(kV4, 3, false));
    check_refused(s, "in-ipv6-frag-needs-reassembly");
    TestPacket pkt(s.before);
    const DecapParse parsed = decap_parse(make_tep(), pkt.buf);
    CHECK(parsed.fragment_header == 40);
    CHECK(parsed.fragment_next_field == 6);
  }
  SECTION("an option refused before the Fragment header wins: no reassembly") {
    TestPacket pkt(ipv6_packet(Outer{kNode6, kTep6, kOpts, 64, 0,
                                     concat(options_header(net::kProtoIpv6Frag, {0x41, 4, 0, 0, 0, 0}),
                                            fragment_header(kV4, 0, true))},
                               ipv4_packet(Inner{})));
    const DecapParse parsed = decap_parse(make_tep(), pkt.buf);
    CHECK(parsed.fragment_header == 0);
    REQUIRE(parsed.early.has_value());
    check_drop(*parsed.early, "drop-ipv6-exthdr");
  }
}

TEST_CASE("case 29: Hop-by-Hop PadN + Tunnel Encapsulation Limit + 4 is decapsulated", "[decap]") {
  SECTION("Linux ip6_tnl default: Destination Options (limit 4) then next header 4") {
    Outer o;
    o.next = kOpts;
    o.ext = encap_limit_header(kV4);
    TestPacket pkt(ipv6_packet(o, ipv4_packet(Inner{})));
    CHECK(decap_parse(make_tep(), pkt.buf).outer_header_bytes == 48);
    check_forwarded(run(make_tep(), pkt), pkt, forwarded(Inner{}));
  }
  SECTION("Hop-by-Hop PadN, then the Linux Destination Options, then 4") {
    Outer o;
    o.next = kHbh;
    o.ext = concat(options_header(kOpts, {1, 4, 0, 0, 0, 0}), encap_limit_header(kV4));
    TestPacket pkt(ipv6_packet(o, ipv4_packet(Inner{})));
    const DecapParse parsed = decap_parse(make_tep(), pkt.buf);
    CHECK_FALSE(parsed.early.has_value());
    CHECK(parsed.outer_header_bytes == 56);
    CHECK(parsed.inner_src == kLease4);
    CHECK(parsed.inner_dst == kInternet4);
    CHECK(parsed.outer_src == kNode6);
    check_forwarded(decap_finish(make_tep(), pkt.buf, parsed, &kNode6), pkt, forwarded(Inner{}));
  }
  SECTION("Pad1 options are skipped one byte at a time") {
    check_accepted(send(kOpts, options_header(kV4, {0, 0, 0, 0, 0, 0})));
  }
}

TEST_CASE("case 30: unknown destination option, by its action bits", "[decap]") {
  auto with_option = [](std::uint8_t type) {
    return send(kOpts, options_header(kV4, {type, 4, 0, 0, 0, 0}));
  };
  SECTION("00: skipped") {
    check_accepted(with_option(0x1E));
  }
  SECTION("01: dropped silently") {
    check_refused(with_option(0x5E), "drop-ipv6-exthdr");
  }
  SECTION("10: dropped, 4/2 pointing at the option type") {
    check_refused(with_option(0x9E), "drop-ipv6-exthdr", kPP, 2, 42);
  }
  SECTION("11: the destination is unicast, so 4/2 as well") {
    check_refused(with_option(0xDE), "drop-ipv6-exthdr", kPP, 2, 42);
  }
  SECTION("an option overrunning its header") {
    check_refused(send(kOpts, options_header(kV4, {1, 5, 0, 0, 0, 0})), "drop-ipv6-exthdr");
  }
  SECTION("in a Hop-by-Hop header, after padding, the pointer still names the option") {
    check_refused(send(kHbh, options_header(kV4, {0, 0x9E, 3, 0, 0, 0})), "drop-ipv6-exthdr", kPP,
                  2, 43);
  }
}

TEST_CASE("case 31: Routing headers", "[decap]") {
  SECTION("type 0 with Segments Left > 0: 4/0 at the Routing Type (RFC 5095 §3)") {
    check_refused(send(net::kProtoIpv6Route, routing_header(kV4, 0, 2)), "drop-ipv6-exthdr", kPP, 0,
                  42);
  }
  SECTION("Segments Left 0 is skipped, whatever the type") {
    check_accepted(send(net::kProtoIpv6Route, routing_header(kV4, 0, 0)));
    check_accepted(send(net::kProtoIpv6Route, routing_header(kV4, 4, 0)));
  }
}

TEST_CASE("case 32: misplaced Hop-by-Hop, too many headers, too long a chain", "[decap]") {
  SECTION("Hop-by-Hop after Destination Options: 4/1 at the field that named it") {
    check_refused(
        send(kOpts, concat(encap_limit_header(kHbh), options_header(kV4, {1, 4, 0, 0, 0, 0}))),
        "drop-ipv6-exthdr", kPP, 1, 40);
  }
  auto chain_of = [](unsigned n) {
    Bytes ext;
    for (unsigned i = 0; i < n; ++i) ext = concat(ext, encap_limit_header(i + 1 < n ? kOpts : kV4));
    return ext;
  };
  SECTION("8 headers are accepted, 9 are not") {
    check_accepted(send(kOpts, chain_of(8)));
    check_refused(send(kOpts, chain_of(9)), "drop-ipv6-exthdr");
  }
  auto padded_header = [](std::uint32_t bytes) {
    Bytes options = {1, static_cast<std::uint8_t>(bytes - 4)};
    options.resize(bytes - 2);
    return options_header(kV4, options);
  };
  SECTION("a chain ending at byte 256 is accepted, one ending at byte 264 is not") {
    check_accepted(send(kOpts, padded_header(216)));
    check_refused(send(kOpts, padded_header(224)), "drop-ipv6-exthdr");
  }
  SECTION("an extension header cut short by the payload length") {
    Outer o;
    o.next = kOpts;
    TestPacket pkt(ipv6_packet(o, {kV4, 0, 1, 4}));
    check_drop(run(make_tep(), pkt), "drop-ipv6-exthdr");
  }
}

}  // namespace
}  // namespace dstm::dp::test
