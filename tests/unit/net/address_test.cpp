// Ipv4Address, the IPv4-mapped helpers, and hashing of both address families.
#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>

#include "net/net.h"

using dstm::net::Ipv4Address;
using dstm::net::Ipv6Address;
using namespace std::string_view_literals;

TEST_CASE("Ipv4Address parses dotted quads", "[net]") {
  struct Row {
    std::string_view text;
    std::uint32_t host;
  };
  const Row rows[] = {
      {"0.0.0.0", 0x00000000},   {"255.255.255.255", 0xFFFFFFFF}, {"192.0.2.1", 0xC0000201},
      {"10.0.0.10", 0x0A00000A}, {"127.0.0.1", 0x7F000001},       {"1.20.199.250", 0x0114C7FA},
  };
  for (const auto& row : rows) {
    INFO(row.text);
    auto a = Ipv4Address::parse(row.text);
    REQUIRE(a);
    CHECK(a->to_host() == row.host);
    CHECK(a->to_string() == row.text);
  }
}

TEST_CASE("Ipv4Address rejects malformed text", "[net]") {
  const std::string_view rows[] = {
      "",
      "1.2.3",      // three parts
      "1.2.3.4.5",  // five parts
      "1.2.3.4.",   // trailing dot
      ".1.2.3",     // leading dot, empty part
      "1..2.3",     // empty part
      "256.1.1.1",  // octet out of range
      "1.2.3.256",
      "1234.1.1.1",  // four digits
      "01.2.3.4",    // leading zero: octal to inet_aton, so ambiguous
      "1.2.3.04",
      "00.1.2.3",
      "0000.0.0.0",
      "+1.2.3.4",  // sign
      "-1.2.3.4",
      "0x1.2.3.4",  // hex octet (inet_aton would take it)
      "1.2.3.a",
      "1.2.3.4 ",  // whitespace
      " 1.2.3.4",
      "1 .2.3.4",
      "1.2.3.4\n",
      "1.2.3.4\0"sv,  // embedded NUL: a C API would stop there, we must not
      "1.2.3.4/24",   // a prefix, not an address
      "1.2.3.4:80",
      "16909060",  // inet_aton's single-number form
      "1.2",       // inet_aton's a.b form
      "::1",
      "\xe0\xa5\xa7.2.3.4",  // DEVANAGARI DIGIT ONE is not a digit here
  };
  for (auto text : rows) {
    INFO('"' << std::string(text) << '"');
    CHECK_FALSE(Ipv4Address::parse(text));
  }
}

TEST_CASE("Ipv4Address byte order", "[net]") {
  const std::uint8_t wire[4] = {192, 0, 2, 33};
  const auto a = Ipv4Address::from_bytes(wire);
  CHECK(a.to_host() == 0xC0000221);
  CHECK(a == Ipv4Address::from_octets(192, 0, 2, 33));
  CHECK(a.bytes() == std::array<std::uint8_t, 4>{192, 0, 2, 33});
  std::uint8_t out[4] = {};
  a.to_bytes(out);
  CHECK(std::equal(out, out + 4, wire));
}

TEST_CASE("Ipv4Address round-trips through text", "[net]") {
  std::mt19937 rng(20240501);
  for (int i = 0; i < 5000; ++i) {
    const auto a = Ipv4Address::from_host(static_cast<std::uint32_t>(rng()));
    const auto text = a.to_string();
    INFO(text);
    const auto back = Ipv4Address::parse(text);
    REQUIRE(back);
    CHECK(*back == a);
  }
}

TEST_CASE("Ipv4Address orders numerically", "[net]") {
  // As strings "10.0.0.0" < "9.255.255.255"; as addresses the other way round.
  CHECK(Ipv4Address::from_octets(9, 255, 255, 255) < Ipv4Address::from_octets(10, 0, 0, 0));
  CHECK(Ipv4Address::from_octets(10, 0, 0, 1) > Ipv4Address::from_octets(10, 0, 0, 0));
  CHECK(Ipv4Address() == Ipv4Address::from_host(0));
}

TEST_CASE("Ipv4Address classification", "[net]") {
  // Columns: unspecified, this-network, loopback, link-local, multicast, class E, broadcast,
  // martian.
  struct Row {
    std::string_view text;
    bool unspec, this_net, loop, link, mcast, class_e, bcast, martian;
  };
  const Row rows[] = {
      {"0.0.0.0", true, true, false, false, false, false, false, true},
      {"0.1.2.3", false, true, false, false, false, false, false, true},
      {"1.0.0.0", false, false, false, false, false, false, false, false},
      {"126.255.255.255", false, false, false, false, false, false, false, false},
      {"127.0.0.1", false, false, true, false, false, false, false, true},
      {"127.255.255.255", false, false, true, false, false, false, false, true},
      {"128.0.0.0", false, false, false, false, false, false, false, false},
      {"169.253.255.255", false, false, false, false, false, false, false, false},
      {"169.254.0.1", false, false, false, true, false, false, false, true},
      {"169.254.255.255", false, false, false, true, false, false, false, true},
      {"169.255.0.0", false, false, false, false, false, false, false, false},
      {"192.0.2.1", false, false, false, false, false, false, false, false},
      {"10.1.2.3", false, false, false, false, false, false, false, false},  // private, routable
      {"223.255.255.255", false, false, false, false, false, false, false, false},
      {"224.0.0.1", false, false, false, false, true, false, false, true},
      {"239.255.255.255", false, false, false, false, true, false, false, true},
      {"240.0.0.0", false, false, false, false, false, true, false, true},
      {"255.255.255.254", false, false, false, false, false, true, false, true},
      {"255.255.255.255", false, false, false, false, false, true, true, true},
  };
  for (const auto& r : rows) {
    INFO(r.text);
    const auto a = Ipv4Address::parse(r.text).value();
    CHECK(a.is_unspecified() == r.unspec);
    CHECK(a.is_this_network() == r.this_net);
    CHECK(a.is_loopback() == r.loop);
    CHECK(a.is_link_local() == r.link);
    CHECK(a.is_multicast() == r.mcast);
    CHECK(a.is_reserved_class_e() == r.class_e);
    CHECK(a.is_limited_broadcast() == r.bcast);
    CHECK(a.is_martian() == r.martian);
  }
}

TEST_CASE("IPv4-mapped IPv6 addresses", "[net]") {
  const auto v4 = Ipv4Address::from_octets(192, 0, 2, 1);
  const auto mapped = dstm::net::ipv4_mapped(v4);
  CHECK(mapped == Ipv6Address::parse("::ffff:192.0.2.1").value());
  CHECK(mapped == Ipv6Address::parse("0:0:0:0:0:ffff:c000:201").value());
  CHECK(mapped.is_ipv4_mapped());
  CHECK(dstm::net::ipv4_from_mapped(mapped) == v4);

  // Near misses are not mapped: IPv4-compatible, NAT64 (RFC 6052), one bit off.
  for (auto text : {"::192.0.2.1", "64:ff9b::192.0.2.1", "::fffe:192.0.2.1", "1::ffff:192.0.2.1",
                    "::1:ffff:192.0.2.1"}) {
    INFO(text);
    CHECK_FALSE(dstm::net::ipv4_from_mapped(Ipv6Address::parse(text).value()));
  }

  std::mt19937 rng(7);
  for (int i = 0; i < 1000; ++i) {
    const auto a = Ipv4Address::from_host(static_cast<std::uint32_t>(rng()));
    CHECK(dstm::net::ipv4_from_mapped(dstm::net::ipv4_mapped(a)) == a);
  }
}

TEST_CASE("addresses hash consistently and spread", "[net]") {
  std::unordered_set<Ipv4Address> v4;
  std::unordered_set<Ipv6Address> v6;
  std::unordered_set<std::size_t> v4_hashes;
  const auto base = Ipv4Address::from_octets(192, 0, 2, 0);
  for (std::uint32_t i = 0; i < 256; ++i) {
    const auto a = Ipv4Address::from_host(base.to_host() + i);
    v4.insert(a);
    v4_hashes.insert(std::hash<Ipv4Address>{}(a));
    v6.insert(dstm::net::ipv4_mapped(a));
  }
  CHECK(v4.size() == 256);
  CHECK(v6.size() == 256);
  CHECK(v4_hashes.size() == 256);
  // Consecutive pool addresses must not land in consecutive low bits (a power-of-two table).
  std::unordered_set<std::size_t> low_bits;
  for (const auto& a : v4) low_bits.insert(std::hash<Ipv4Address>{}(a)&0xFF);
  CHECK(low_bits.size() > 128);

  CHECK(v4.count(Ipv4Address::parse("192.0.2.77").value()) == 1);
  CHECK(v6.count(Ipv6Address::parse("::ffff:c000:24d").value()) == 1);  // 192.0.2.77
  CHECK(std::hash<Ipv6Address>{}(Ipv6Address::parse("2001:db8::1").value()) ==
        std::hash<Ipv6Address>{}(Ipv6Address::parse("2001:0db8:0:0::0001").value()));
}
