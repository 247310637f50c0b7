// Allocator: error codes, quotas, sticky reallocation, exclusions, exhaustion, lifetimes.
#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "lease/lease.h"
#include "lease_test_util.h"

using namespace dstm::lease;
using namespace dstm::lease::test;
using dstm::tsp::Status;

namespace {
PoolConfig pool_29() {
  PoolConfig c;
  c.prefixes = {p4("192.0.2.0/29")};  // .1 - .6 allocatable
  return c;
}
}  // namespace

TEST_CASE("create rejects bad configs", "[lease]") {
  PoolConfig c;
  CHECK_FALSE(Allocator::create(c));  // no prefixes
  c.prefixes = {p4("10.0.0.0/24"), p4("10.0.0.128/25")};
  CHECK_FALSE(Allocator::create(c));  // overlap
  c.prefixes = {p4("10.0.0.0/24")};
  c.default_lifetime_s = 10;
  c.max_lifetime_s = 5;
  CHECK_FALSE(Allocator::create(c));
  c.max_lifetime_s = 10;
  c.anonymous_share = 1.5;
  CHECK_FALSE(Allocator::create(c));
  c.anonymous_share = 1.0;
  CHECK(Allocator::create(c));
}

TEST_CASE("error codes of allocate", "[lease]") {
  auto a = make_allocator(pool_29());
  SECTION("node IPv6 not global unicast -> 309") {
    for (const char* bad : {"::", "::1", "fe80::1", "ff02::1", "::ffff:192.0.2.1"}) {
      INFO(bad);
      auto r = a.allocate("alice", false, v6(bad), std::nullopt, 60, 0);
      REQUIRE_FALSE(r);
      CHECK(r.error() == Status::kInvalidIpv6);
    }
    CHECK(a.active_count() == 0);
  }
  SECTION("requested outside the pools or never allocatable -> 501") {
    for (const char* bad : {"192.0.2.8", "10.1.1.1", "192.0.2.0", "192.0.2.7"}) {
      INFO(bad);
      auto r = a.allocate("alice", false, node(1, 1), v4(bad), 60, 0);
      REQUIRE_FALSE(r);
      CHECK(r.error() == Status::kInvalidIpv4);
    }
  }
  SECTION("requested held by another -> 308; free -> granted") {
    auto first = a.allocate("alice", false, node(1, 1), v4("192.0.2.3"), 60, 0);
    REQUIRE(first);
    CHECK(first->ipv4 == v4("192.0.2.3"));
    auto r = a.allocate("bob", false, node(1, 2), v4("192.0.2.3"), 60, 0);
    REQUIRE_FALSE(r);
    CHECK(r.error() == Status::kAddressUnavailable);
    CHECK(a.active_count() == 1);
  }
  SECTION("pool exhausted -> 306") {
    for (std::uint16_t i = 1; i <= 6; ++i) {
      REQUIRE(a.allocate("user" + std::to_string(i), false, node(1, i), std::nullopt, 60, 0));
    }
    auto r = a.allocate("late", false, node(1, 99), std::nullopt, 60, 0);
    REQUIRE_FALSE(r);
    CHECK(r.error() == Status::kPoolExhausted);
  }
}

TEST_CASE("network, broadcast and excluded addresses are never handed out", "[lease]") {
  PoolConfig c;
  c.prefixes = {p4("198.51.100.0/28"), p4("203.0.113.8/31"), p4("203.0.113.20/32")};
  c.excluded = {v4("198.51.100.5"), v4("8.8.8.8")};  // the second is outside: ignored
  c.anonymous_share = 1.0;
  auto a = make_allocator(c);
  // /28: 16 - network - broadcast - .5 = 13; /31: 2 (RFC 3021); /32: 1.
  CHECK(a.allocatable_count() == 16);
  std::set<dstm::net::Ipv4Address> got;
  for (std::uint16_t i = 0; i < 16; ++i) {
    auto r = a.allocate("u" + std::to_string(i), false, node(2, i), std::nullopt, 60, 0);
    REQUIRE(r);
    got.insert(r->ipv4);
  }
  CHECK(got.size() == 16);
  CHECK_FALSE(a.allocate("x", false, node(2, 99), std::nullopt, 60, 0));
  for (const char* never : {"198.51.100.0", "198.51.100.15", "198.51.100.5"}) {
    INFO(never);
    CHECK(got.count(v4(never)) == 0);
  }
  CHECK(got.count(v4("203.0.113.8")) == 1);
  CHECK(got.count(v4("203.0.113.9")) == 1);
  CHECK(got.count(v4("203.0.113.20")) == 1);
}

TEST_CASE("one lease per authenticated identity: a second allocate renews it", "[lease]") {
  auto a = make_allocator(pool_29());
  auto first = a.allocate("alice", false, node(1, 1), std::nullopt, 100, 1000);
  REQUIRE(first);
  auto again = a.allocate("alice", false, node(1, 1), std::nullopt, 100, 1050);
  REQUIRE(again);
  CHECK(again->ipv4 == first->ipv4);
  CHECK(again->expires_at == 1150);
  CHECK(a.active_count() == 1);
  // Even asking for another address: still one lease.
  auto other = a.allocate("alice", false, node(1, 1), v4("192.0.2.6"), 100, 1060);
  REQUIRE(other);
  CHECK(other->ipv4 == first->ipv4);
  CHECK(a.active_count() == 1);
}

TEST_CASE("anonymous quotas: one per /128, anonymous_per_64 per /64, anonymous_share", "[lease]") {
  PoolConfig c;
  c.prefixes = {p4("10.0.0.0/24")};  // 254 allocatable
  c.anonymous_per_64 = 3;
  c.anonymous_share = 0.5;
  auto a = make_allocator(c);

  auto one = a.allocate("", true, node(7, 1), std::nullopt, 60, 0);
  REQUIRE(one);
  auto same = a.allocate("", true, node(7, 1), std::nullopt, 60, 5);
  REQUIRE(same);
  CHECK(same->ipv4 == one->ipv4);  // same /128: the same lease
  CHECK(a.anonymous_count() == 1);

  REQUIRE(a.allocate("", true, node(7, 2), std::nullopt, 60, 0));
  REQUIRE(a.allocate("", true, node(7, 3), std::nullopt, 60, 0));
  auto fourth = a.allocate("", true, node(7, 4), std::nullopt, 60, 0);
  REQUIRE_FALSE(fourth);
  CHECK(fourth.error() == Status::kPoolExhausted);
  // An authenticated node in the same /64 is not limited by the anonymous quota.
  CHECK(a.allocate("carol", false, node(7, 4), std::nullopt, 60, 0));
  // Freeing one anonymous lease in the /64 makes room again.
  REQUIRE(a.release(one->ipv4));
  CHECK(a.allocate("", true, node(7, 4), std::nullopt, 60, 0));

  // The share: floor(0.5 * 254) = 127 anonymous leases in all, over many /64s.
  std::size_t granted = a.anonymous_count();
  for (std::uint16_t net = 100; granted < 127; ++net) {
    for (std::uint16_t host = 1; host <= 3 && granted < 127; ++host) {
      REQUIRE(a.allocate("", true, node(net, host), std::nullopt, 60, 0));
      ++granted;
    }
  }
  CHECK(a.anonymous_count() == 127);
  auto over = a.allocate("", true, node(999, 1), std::nullopt, 60, 0);
  REQUIRE_FALSE(over);
  CHECK(over.error() == Status::kPoolExhausted);
  CHECK(a.allocate("dave", false, node(999, 1), std::nullopt, 60, 0));  // authenticated: fine
}

TEST_CASE("sticky: a returning node gets its previous address while it is free", "[lease]") {
  PoolConfig c;
  c.prefixes = {p4("10.0.0.0/24")};
  auto a = make_allocator(c);
  auto alice = a.allocate("alice", false, node(1, 1), std::nullopt, 60, 0);
  auto anon = a.allocate("", true, node(2, 1), std::nullopt, 60, 0);
  REQUIRE(alice);
  REQUIRE(anon);
  REQUIRE(a.expire(60).size() == 2);
  // Others come and go in between; the cursor would otherwise hand out other addresses.
  for (std::uint16_t i = 0; i < 20; ++i) {
    REQUIRE(a.allocate("o" + std::to_string(i), false, node(3, i), std::nullopt, 10, 100));
  }
  auto back = a.allocate("alice", false, node(1, 9), std::nullopt, 60, 200);
  REQUIRE(back);
  CHECK(back->ipv4 == alice->ipv4);  // same identity, even from another IPv6
  auto anon_back = a.allocate("", true, node(2, 1), std::nullopt, 60, 200);
  REQUIRE(anon_back);
  CHECK(anon_back->ipv4 == anon->ipv4);  // anonymous: same IPv6

  SECTION("not when someone else took it meanwhile") {
    REQUIRE(a.release(back->ipv4));
    REQUIRE(a.allocate("mallory", false, node(4, 1), back->ipv4, 60, 300));
    auto again = a.allocate("alice", false, node(1, 1), std::nullopt, 60, 300);
    REQUIRE(again);
    CHECK(again->ipv4 != back->ipv4);
  }
}

TEST_CASE("exhaustion of a /29 and recovery after expiry and release", "[lease]") {
  auto a = make_allocator(pool_29());
  std::vector<Lease> held;
  for (std::uint16_t i = 1; i <= 6; ++i) {
    auto r = a.allocate("u" + std::to_string(i), false, node(1, i), std::nullopt, 100 * i, 0);
    REQUIRE(r);
    held.push_back(*r);
  }
  CHECK_FALSE(a.allocate("late", false, node(1, 50), std::nullopt, 60, 0));
  CHECK(a.expire(99).empty());
  auto gone = a.expire(200);  // u1 (100) and u2 (200)
  REQUIRE(gone.size() == 2);
  CHECK(gone[0] == held[0]);
  CHECK(gone[1] == held[1]);
  CHECK(a.allocate("late", false, node(1, 50), std::nullopt, 60, 200));
  CHECK(a.allocate("late2", false, node(1, 51), std::nullopt, 60, 200));
  CHECK_FALSE(a.allocate("late3", false, node(1, 52), std::nullopt, 60, 200));
  auto released = a.release(held[5].ipv4);
  REQUIRE(released);
  CHECK(*released == held[5]);
  CHECK_FALSE(a.release(held[5].ipv4));
  auto r = a.allocate("late3", false, node(1, 52), std::nullopt, 60, 200);
  REQUIRE(r);
  CHECK(r->ipv4 == held[5].ipv4);
}

TEST_CASE("lifetimes: 0 means default, longer is clamped to max", "[lease]") {
  PoolConfig c = pool_29();
  c.default_lifetime_s = 300;
  c.max_lifetime_s = 1000;
  auto a = make_allocator(c);
  CHECK(a.allocate("a", false, node(1, 1), std::nullopt, 0, 10)->expires_at == 310);
  CHECK(a.allocate("b", false, node(1, 2), std::nullopt, 999999, 10)->expires_at == 1010);
  CHECK(a.allocate("c", false, node(1, 3), std::nullopt, 50, 10)->expires_at == 60);
  auto b = a.find(v4("192.0.2.2"));
  REQUIRE(b);
  CHECK(a.renew(b->ipv4, b->identity, 20, 5000)->expires_at == 1020);
}

TEST_CASE("renew: by the holder extends, by anyone else is 308", "[lease]") {
  auto a = make_allocator(pool_29());
  auto lease = a.allocate("alice", false, node(1, 1), std::nullopt, 60, 0);
  REQUIRE(lease);
  auto wrong = a.renew(lease->ipv4, "bob", 30, 60);
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error() == Status::kAddressUnavailable);
  CHECK(a.find(lease->ipv4)->expires_at == 60);
  auto none = a.renew(v4("192.0.2.6"), "alice", 30, 60);
  REQUIRE_FALSE(none);
  CHECK(none.error() == Status::kAddressUnavailable);
  auto ok = a.renew(lease->ipv4, "alice", 30, 60);
  REQUIRE(ok);
  CHECK(ok->expires_at == 90);
  CHECK(a.expire(60).empty());  // the old expiry no longer applies
  CHECK(a.expire(90).size() == 1);
}

TEST_CASE("allocation stays fast on a /12", "[lease]") {
  // 2^20 addresses: a linear scan per call would take ~10^11 steps here; this must not time
  // out. Tests never assert a timing (DESIGN.md), the size makes the point.
  PoolConfig c;
  c.prefixes = {p4("100.64.0.0/12")};
  auto a = make_allocator(c);
  CHECK(a.allocatable_count() == (std::uint64_t{1} << 20) - 2);
  std::set<dstm::net::Ipv4Address> seen;
  for (std::uint32_t i = 0; i < 100000; ++i) {
    auto r = a.allocate("u" + std::to_string(i), false,
                        node(static_cast<std::uint16_t>(i >> 16), static_cast<std::uint16_t>(i)),
                        std::nullopt, 60, 0);
    REQUIRE(r);
    seen.insert(r->ipv4);
    if (i % 2 == 0) REQUIRE(a.release(r->ipv4));  // churn: free addresses behind the cursor
  }
  CHECK(seen.size() == 100000);  // the rotating cursor does not reuse freed addresses early
  CHECK(a.active_count() == 50000);
}
