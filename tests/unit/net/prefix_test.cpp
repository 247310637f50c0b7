// Ipv4Prefix and Ipv6Prefix: strict and lenient parsing, containment, pool offsets.
#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>

#include "net/net.h"

using dstm::net::Ipv4Address;
using dstm::net::Ipv4Prefix;
using dstm::net::Ipv6Address;
using dstm::net::Ipv6Prefix;

namespace {

Ipv4Address v4(std::string_view text) {
  return Ipv4Address::parse(text).value();
}
Ipv6Address v6(std::string_view text) {
  return Ipv6Address::parse(text).value();
}

// Reference: the first `length` bits of a and b agree, checked one bit at a time.
bool same_leading_bits(const Ipv6Address& a, const Ipv6Address& b, unsigned length) {
  for (unsigned bit = 0; bit < length; ++bit) {
    const unsigned shift = 7 - bit % 8;
    if (((a.bytes()[bit / 8] >> shift) & 1) != ((b.bytes()[bit / 8] >> shift) & 1)) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("Ipv4Prefix parses and prints", "[net]") {
  const auto p = Ipv4Prefix::parse("192.0.2.0/24").value();
  CHECK(p.network() == v4("192.0.2.0"));
  CHECK(p.length() == 24);
  CHECK(p.to_string() == "192.0.2.0/24");
  CHECK(Ipv4Prefix::parse("0.0.0.0/0").value() == Ipv4Prefix());
  CHECK(Ipv4Prefix::parse("192.0.2.1/32").value().to_string() == "192.0.2.1/32");
  CHECK(Ipv4Prefix::parse("10.0.0.0/8").value().to_string() == "10.0.0.0/8");
}

TEST_CASE("Ipv4Prefix: host bits are an error unless lenient", "[net]") {
  CHECK_FALSE(Ipv4Prefix::parse("192.0.2.1/24"));
  CHECK_FALSE(Ipv4Prefix::parse("192.0.2.128/24"));
  CHECK_FALSE(Ipv4Prefix::parse("0.0.0.1/0"));
  CHECK(Ipv4Prefix::parse_lenient("192.0.2.1/24").value().to_string() == "192.0.2.0/24");
  CHECK(Ipv4Prefix::parse_lenient("192.0.2.255/25").value().to_string() == "192.0.2.128/25");
  CHECK(Ipv4Prefix::parse_lenient("255.255.255.255/0").value() == Ipv4Prefix());
  CHECK(Ipv4Prefix::make(v4("192.0.2.0"), 24));
  CHECK_FALSE(Ipv4Prefix::make(v4("192.0.2.0"), 33));
  CHECK_FALSE(Ipv4Prefix::make_lenient(v4("192.0.2.0"), 33));
  CHECK(Ipv4Prefix::make_lenient(v4("192.0.2.9"), 30).value().to_string() == "192.0.2.8/30");
}

TEST_CASE("Ipv4Prefix rejects malformed text", "[net]") {
  const std::string_view rows[] = {
      "192.0.2.0",   // no length
      "192.0.2.0/",  // empty length
      "/24",
      "192.0.2.0/33",  // too long
      "192.0.2.0/1000",
      "192.0.2.0/024",  // leading zero, as for octets
      "192.0.2.0/00",
      "192.0.2.0/-1",
      "192.0.2.0/+24",
      "192.0.2.0/24/",
      "192.0.2.0//24",
      "192.0.2.0/24/8",
      "192.0.2.0/ 24",
      "192.0.2.0/24 ",
      "192.0.2.0 /24",
      "192.0.2.0/2a",
      "192.0.2/24",               // classful shorthand is not accepted
      "192.0.2.0/255.255.255.0",  // netmask notation is not accepted
      "2001:db8::/32",            // wrong family
  };
  for (auto text : rows) {
    INFO('"' << std::string(text) << '"');
    CHECK_FALSE(Ipv4Prefix::parse(text));
    CHECK_FALSE(Ipv4Prefix::parse_lenient(text));
  }
}

TEST_CASE("Ipv4Prefix containment, bounds and size", "[net]") {
  const auto p = Ipv4Prefix::parse("192.0.2.0/24").value();
  CHECK(p.contains(v4("192.0.2.0")));
  CHECK(p.contains(v4("192.0.2.255")));
  CHECK_FALSE(p.contains(v4("192.0.3.0")));
  CHECK_FALSE(p.contains(v4("192.0.1.255")));
  CHECK(p.contains(Ipv4Prefix::parse("192.0.2.128/25").value()));
  CHECK(p.contains(p));
  CHECK_FALSE(p.contains(Ipv4Prefix::parse("192.0.2.0/23").value()));  // wider
  CHECK_FALSE(p.contains(Ipv4Prefix::parse("192.0.3.0/25").value()));

  CHECK(p.size() == 256);
  CHECK(p.first() == v4("192.0.2.0"));
  CHECK(p.last() == v4("192.0.2.255"));
  CHECK(p.netmask() == v4("255.255.255.0"));

  const Ipv4Prefix all;
  CHECK(all.size() == (std::uint64_t{1} << 32));
  CHECK(all.contains(v4("255.255.255.255")));
  CHECK(all.contains(p));
  CHECK(all.last() == v4("255.255.255.255"));
  CHECK(all.netmask() == v4("0.0.0.0"));

  const auto host = Ipv4Prefix::parse("198.51.100.7/32").value();
  CHECK(host.size() == 1);
  CHECK(host.first() == host.last());
  CHECK(host.contains(v4("198.51.100.7")));
  CHECK_FALSE(host.contains(v4("198.51.100.6")));

  const auto p31 = Ipv4Prefix::parse("198.51.100.6/31").value();
  CHECK(p31.size() == 2);
  CHECK(p31.last() == v4("198.51.100.7"));
}

TEST_CASE("Ipv4Prefix offsets index a pool", "[net]") {
  const auto pool = Ipv4Prefix::parse("10.20.0.0/22").value();
  CHECK(pool.offset_of(v4("10.20.0.0")) == 0u);
  CHECK(pool.offset_of(v4("10.20.1.2")) == 258u);
  CHECK(pool.offset_of(v4("10.20.3.255")) == 1023u);
  CHECK_FALSE(pool.offset_of(v4("10.20.4.0")));
  CHECK_FALSE(pool.offset_of(v4("10.19.255.255")));
  CHECK(pool.at(0) == pool.first());
  CHECK(pool.at(static_cast<std::uint32_t>(pool.size() - 1)) == pool.last());
  for (std::uint32_t off = 0; off < pool.size(); ++off) {
    REQUIRE(pool.offset_of(pool.at(off)) == off);
  }
  const Ipv4Prefix all;
  CHECK(all.at(0xFFFFFFFF) == v4("255.255.255.255"));
  CHECK(all.offset_of(v4("1.2.3.4")) == 0x01020304u);
}

TEST_CASE("Ipv4Prefix: contains agrees with make_lenient", "[net]") {
  std::mt19937 rng(99);
  for (int i = 0; i < 20000; ++i) {
    const auto a = Ipv4Address::from_host(static_cast<std::uint32_t>(rng()));
    const auto b = Ipv4Address::from_host(static_cast<std::uint32_t>(rng()));
    const auto len = static_cast<std::uint8_t>(rng() % 33);
    const auto p = Ipv4Prefix::make_lenient(a, len).value();
    REQUIRE(p.contains(a));
    const bool same = len == 0 || (a.to_host() >> (32 - len)) == (b.to_host() >> (32 - len));
    REQUIRE(p.contains(b) == same);
    REQUIRE(Ipv4Prefix::parse(p.to_string()) == p);
  }
}

TEST_CASE("Ipv6Prefix parses, prints and checks host bits", "[net]") {
  CHECK(Ipv6Prefix::parse("2001:db8::/32").value().to_string() == "2001:db8::/32");
  CHECK(Ipv6Prefix::parse("2001:0db8:0000::/48").value().to_string() == "2001:db8::/48");
  CHECK(Ipv6Prefix::parse("::/0").value() == Ipv6Prefix());
  CHECK(Ipv6Prefix::parse("2001:db8::1/128").value().to_string() == "2001:db8::1/128");
  CHECK(Ipv6Prefix::parse("::ffff:0.0.0.0/96").value().to_string() == "::ffff:0.0.0.0/96");
  CHECK(Ipv6Prefix::parse("2001:db8:8000::/33"));
  CHECK_FALSE(Ipv6Prefix::parse("2001:db8:4000::/33"));  // bit 33 set
  CHECK_FALSE(Ipv6Prefix::parse("2001:db8::1/64"));
  CHECK(Ipv6Prefix::parse_lenient("2001:db8::1/64").value().to_string() == "2001:db8::/64");
  CHECK(Ipv6Prefix::parse_lenient("2001:db8:ffff::/33").value().to_string() ==
        "2001:db8:8000::/33");
  CHECK(Ipv6Prefix::parse_lenient("fe80::1:2:3:4/10").value().to_string() == "fe80::/10");
  CHECK(Ipv6Prefix::parse_lenient("ffff::/0").value() == Ipv6Prefix());
  CHECK_FALSE(Ipv6Prefix::make(v6("::"), 129));
  CHECK_FALSE(Ipv6Prefix::make_lenient(v6("::"), 129));

  for (std::string_view bad :
       {"2001:db8::", "2001:db8::/", "2001:db8::/129", "2001:db8::/064", "2001:db8::/32 ",
        "[2001:db8::]/32", "2001:db8::/32/1", "fe80::%eth0/64", "192.0.2.0/24"}) {
    INFO(bad);
    CHECK_FALSE(Ipv6Prefix::parse(bad));
    CHECK_FALSE(Ipv6Prefix::parse_lenient(bad));
  }
}

TEST_CASE("Ipv6Prefix containment", "[net]") {
  const auto ll = Ipv6Prefix::parse("fe80::/10").value();
  CHECK(ll.contains(v6("fe80::1")));
  CHECK(ll.contains(v6("febf:ffff::1")));
  CHECK_FALSE(ll.contains(v6("fec0::1")));
  CHECK_FALSE(ll.contains(v6("fe7f::1")));
  const auto doc = Ipv6Prefix::parse("2001:db8::/32").value();
  CHECK(doc.contains(Ipv6Prefix::parse("2001:db8:1::/48").value()));
  CHECK_FALSE(doc.contains(Ipv6Prefix::parse("2001:db8::/31").value()));
  CHECK(Ipv6Prefix().contains(doc));
  CHECK(Ipv6Prefix::parse("2001:db8::1/128").value().contains(v6("2001:db8::1")));
  CHECK_FALSE(Ipv6Prefix::parse("2001:db8::1/128").value().contains(v6("2001:db8::")));

  std::mt19937 rng(4242);
  auto random_address = [&rng] {
    Ipv6Address::Bytes b{};
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    return Ipv6Address(b);
  };
  for (int i = 0; i < 20000; ++i) {
    const auto a = random_address();
    auto b = random_address();
    const auto len = static_cast<std::uint8_t>(rng() % 129);
    if (i % 2 == 0) {  // share the first len bits often, or almost nothing would match
      auto bytes = b.bytes();
      for (unsigned bit = 0; bit < len; ++bit) {
        const auto mask = static_cast<std::uint8_t>(0x80 >> (bit % 8));
        bytes[bit / 8] =
            static_cast<std::uint8_t>((bytes[bit / 8] & ~mask) | (a.bytes()[bit / 8] & mask));
      }
      b = Ipv6Address(bytes);
    }
    const auto p = Ipv6Prefix::make_lenient(a, len).value();
    REQUIRE(p.contains(a));
    REQUIRE(p.contains(b) == same_leading_bits(a, b, len));
    REQUIRE(Ipv6Prefix::parse(p.to_string()) == p);
  }
}

TEST_CASE("prefixes compare and hash", "[net]") {
  std::unordered_set<Ipv4Prefix> v4s{Ipv4Prefix::parse("10.0.0.0/8").value(),
                                     Ipv4Prefix::parse("10.0.0.0/16").value()};
  CHECK(v4s.size() == 2);  // same network, different length
  CHECK(v4s.count(Ipv4Prefix::parse_lenient("10.9.9.9/8").value()) == 1);
  std::unordered_set<Ipv6Prefix> v6s{Ipv6Prefix::parse("2001:db8::/32").value()};
  CHECK(v6s.count(Ipv6Prefix::parse("2001:0db8::/32").value()) == 1);
  CHECK(Ipv4Prefix::parse("10.0.0.0/8").value() < Ipv4Prefix::parse("10.0.0.0/16").value());
}
