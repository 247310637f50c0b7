// Ipv6Address: RFC 4291 §2.2 parsing, RFC 5952 canonical text, expanded text, classification.
#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "net/net.h"

using dstm::net::Ipv6Address;
using namespace std::string_view_literals;

namespace {

std::string canonical(std::string_view text) {
  auto a = Ipv6Address::parse(text);
  return a ? a->to_string() : "<rejected>";
}

}  // namespace

TEST_CASE("Ipv6Address canonical text follows RFC 5952 section 4", "[net]") {
  struct Row {
    std::string_view in, out;
  };
  const Row rows[] = {
      // §4.2.3: equal runs, the first is compressed.
      {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
      // §4.1: leading zeros dropped.
      {"2001:0db8::0001", "2001:db8::1"},
      // §4.2.1: the whole run, not part of it.
      {"2001:db8:0:0:0:0:2:1", "2001:db8::2:1"},
      // §4.2.2: a single zero group is not compressed.
      {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
      // §4.2.3: the longest run wins even when it comes later.
      {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},
      {"2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"},
      // §4.3: lower case.
      {"2001:DB8::ABCD:EF", "2001:db8::abcd:ef"},
      {"::", "::"},
      {"0:0:0:0:0:0:0:0", "::"},
      {"::1", "::1"},
      {"0:0:0:0:0:0:0:1", "::1"},
      {"1:0:0:0:0:0:0:0", "1::"},
      {"2001:db8:0:0:0:0:0:0", "2001:db8::"},
      {"1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0"},
      {"0:1:0:0:1:0:0:0", "0:1:0:0:1::"},
      {"0:0:1:0:0:1:0:0", "::1:0:0:1:0:0"},
      {"1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"},  // "::" for one group is not canonical
      {"::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"},
      {"fe80::0200:5eff:fe00:5301", "fe80::200:5eff:fe00:5301"},
      {"ff02::1:ff00:1", "ff02::1:ff00:1"},
      // §5: IPv4-mapped keeps the dotted quad; other embeddings are plain hex.
      {"::ffff:192.0.2.1", "::ffff:192.0.2.1"},
      {"0:0:0:0:0:FFFF:C000:0201", "::ffff:192.0.2.1"},
      {"::ffff:0.0.0.0", "::ffff:0.0.0.0"},
      {"64:ff9b::1.2.3.4", "64:ff9b::102:304"},
      {"::1.2.3.4", "::102:304"},
      {"1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"},
      // The fully expanded forms TSP messages carry.
      {"2001:05c0:1400:000b:0000:0000:0000:1634", "2001:5c0:1400:b::1634"},
      {"3ffe:0b00:0c18:ffff:0000:0000:0000:0001", "3ffe:b00:c18:ffff::1"},
  };
  for (const auto& row : rows) {
    INFO(row.in);
    CHECK(canonical(row.in) == row.out);
  }
}

TEST_CASE("Ipv6Address expanded text", "[net]") {
  for (auto text :
       {"2001:05c0:1400:000b:0000:0000:0000:1634", "3ffe:0b00:0c18:ffff:0000:0000:0000:0001"}) {
    CHECK(Ipv6Address::parse(text).value().to_expanded() == text);
  }
  CHECK(Ipv6Address().to_expanded() == "0000:0000:0000:0000:0000:0000:0000:0000");
  CHECK(Ipv6Address::parse("2001:DB8::1").value().to_expanded() ==
        "2001:0db8:0000:0000:0000:0000:0000:0001");
  CHECK(Ipv6Address::parse("::ffff:192.0.2.1").value().to_expanded() ==
        "0000:0000:0000:0000:0000:ffff:c000:0201");
}

TEST_CASE("Ipv6Address: all textual forms of one address are equal", "[net]") {
  const auto a = Ipv6Address::from_groups({0x2001, 0xdb8, 0, 0, 0, 0, 0xc000, 0x201});
  for (auto text :
       {"2001:db8::c000:201", "2001:0db8:0000:0000:0000:0000:c000:0201", "2001:DB8:0:0::C000:201",
        "2001:db8::192.0.2.1", "2001:db8:0:0:0:0:192.0.2.1", "2001:db8:0::0:c000:0201"}) {
    INFO(text);
    CHECK(Ipv6Address::parse(text) == a);
  }
}

TEST_CASE("Ipv6Address rejects malformed text", "[net]") {
  const std::string_view rows[] = {
      "",
      ":",
      ":::",  // "::" followed by a stray colon
      "::::",
      "1:::2",
      "1::2::3",  // two "::": the zero split is ambiguous (§2.2 item 2)
      "::1::",
      ":1:2:3:4:5:6:7",  // leading single colon
      "1:2:3:4:5:6:7:",  // trailing single colon
      ":1::2",
      "1::2:",
      "1:2:3:4:5:6:7",      // seven groups and no "::"
      "1:2:3:4:5:6:7:8:9",  // nine groups
      "1:2:3:4:5:6:7:8::",  // "::" must stand for at least one group
      "::1:2:3:4:5:6:7:8",
      "1:2:3:4::5:6:7:8",
      "12345::",   // five hex digits
      "00000::1",  // five digits even if they are zeros
      "2001:db8::g",
      "fe80::1%eth0",  // zone id (RFC 4007 §11) is not part of an address
      "fe80::1%1",
      "[::1]",  // URI brackets (RFC 3986 §3.2.2)
      " ::1",
      "::1 ",
      "::1\n",
      "::1\0"sv,
      ":: 1",
      "2001:db8::/32",  // a prefix, not an address
      "2001:db8::1/128",
      "1.2.3.4",  // IPv4 alone
      "::1.2.3",  // short dotted part
      "::1.2.3.4.5",
      "::1.2.3.256",
      "::01.2.3.4",  // leading zero in the dotted part (as for Ipv4Address)
      "1.2.3.4::",   // dotted part must be last
      "::1.2.3.4:1",
      "1:2:3:4:5:6:7:1.2.3.4",  // dotted part makes nine groups
      "1:2:3:4:5:6:7::1.2.3.4",
      "::ffff:1.2.3.4 ",
      "-1::",
      "+1::",
      "0x1::",
      "::-1",
      "1:2:3:4:5:6:7:8:",
      "1::2::",
      "2001:db8:::1",
      "\xef\xbc\x91::",  // FULLWIDTH DIGIT ONE
  };
  for (auto text : rows) {
    INFO('"' << std::string(text) << '"');
    CHECK_FALSE(Ipv6Address::parse(text));
  }
}

TEST_CASE("Ipv6Address round-trips through canonical and expanded text", "[net]") {
  std::mt19937 rng(1234567);
  // Many zero groups so that runs, ties and edge positions all occur; small values so that
  // leading-zero stripping is exercised.
  auto group = [&rng]() -> std::uint16_t {
    switch (rng() % 4) {
      case 0:
      case 1:
        return 0;
      case 2:
        return static_cast<std::uint16_t>(rng() % 0x20);
      default:
        return static_cast<std::uint16_t>(rng());
    }
  };
  for (int i = 0; i < 20000; ++i) {
    std::array<std::uint16_t, 8> groups{};
    for (auto& g : groups) g = group();
    if (i % 10 == 0) groups = {0, 0, 0, 0, 0, 0xFFFF, groups[6], groups[7]};  // IPv4-mapped
    const auto a = Ipv6Address::from_groups(groups);
    const auto text = a.to_string();
    INFO(text);
    CHECK(Ipv6Address::parse(text) == a);
    CHECK(Ipv6Address::parse(a.to_expanded()) == a);
    CHECK(text.size() <= 45);
    CHECK(text.find(":::") == std::string::npos);
    CHECK(text.find("::") == text.rfind("::"));  // at most one "::"
    CHECK(text.find_first_of("ABCDEF") == std::string::npos);
  }
}

TEST_CASE("Ipv6Address byte access", "[net]") {
  std::uint8_t wire[16];
  for (std::uint8_t i = 0; i < 16; ++i) wire[i] = static_cast<std::uint8_t>(0xF0 + i);
  const auto a = Ipv6Address::from_bytes(wire);
  CHECK(a.to_string() == "f0f1:f2f3:f4f5:f6f7:f8f9:fafb:fcfd:feff");
  CHECK(a.group(0) == 0xF0F1);
  CHECK(a.group(7) == 0xFEFF);
  CHECK(a.bytes()[15] == 0xFF);
  std::uint8_t out[16] = {};
  a.to_bytes(out);
  CHECK(std::equal(out, out + 16, wire));
  CHECK(Ipv6Address(a.bytes()) == a);
}

TEST_CASE("Ipv6Address orders as a 128-bit number", "[net]") {
  const auto lo = Ipv6Address::parse("2001:db8::ffff").value();
  const auto hi = Ipv6Address::parse("2001:db8:0:0:0:0:1:0").value();
  CHECK(lo < hi);
  CHECK(Ipv6Address::parse("::").value() < Ipv6Address::parse("::1").value());
  CHECK(Ipv6Address::parse("ff00::").value() > Ipv6Address::parse("fe80::1").value());
}

TEST_CASE("Ipv6Address classification", "[net]") {
  // Columns: unspecified, loopback, multicast, link-local, unique-local, v4-mapped, global.
  struct Row {
    std::string_view text;
    bool unspec, loop, mcast, link, ula, mapped, global;
  };
  const Row rows[] = {
      {"::", true, false, false, false, false, false, false},
      {"::1", false, true, false, false, false, false, false},
      {"::2", false, false, false, false, false, false, false},          // IPv4-compatible
      {"::192.0.2.1", false, false, false, false, false, false, false},  // IPv4-compatible
      {"::1:0:0", false, false, false, false, false, false, true},       // outside ::/96
      {"::ffff:192.0.2.1", false, false, false, false, false, true, false},
      {"64:ff9b::192.0.2.1", false, false, false, false, false, false, true},
      {"2001:db8::1", false, false, false, false, false, false, true},  // documentation
      {"2001:5c0:1400:b::1634", false, false, false, false, false, false, true},
      {"fc00::1", false, false, false, false, true, false, true},
      {"fdff:ffff::1", false, false, false, false, true, false, true},
      {"fe00::1", false, false, false, false, false, false, true},
      {"fe7f::1", false, false, false, false, false, false, true},
      {"fe80::1", false, false, false, true, false, false, false},
      {"febf:ffff::1", false, false, false, true, false, false, false},  // still /10
      {"fec0::1", false, false, false, false, false, false, true},       // old site-local
      {"ff02::1", false, false, true, false, false, false, false},
      {"ff0e::101", false, false, true, false, false, false, false},
      {"feff::1", false, false, false, false, false, false, true},
  };
  for (const auto& r : rows) {
    INFO(r.text);
    const auto a = Ipv6Address::parse(r.text).value();
    CHECK(a.is_unspecified() == r.unspec);
    CHECK(a.is_loopback() == r.loop);
    CHECK(a.is_multicast() == r.mcast);
    CHECK(a.is_link_local() == r.link);
    CHECK(a.is_unique_local() == r.ula);
    CHECK(a.is_ipv4_mapped() == r.mapped);
    CHECK(a.is_global_unicast() == r.global);
  }
}
