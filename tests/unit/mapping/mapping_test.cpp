// lib/mapping: every operation, single-threaded (the concurrency test is mapping_stress_test.cpp).
#include "mapping/mapping.h"

#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <vector>

#include "mapping_test_util.h"

namespace dstm::mapping {
namespace {

using test::ipv4;
using test::make_table;
using test::make_value;

Config two_pools(std::uint32_t fallback_capacity = 0) {
  Config c;
  c.pools = {Pool{ipv4(10, 0, 0, 0), 16}, Pool{ipv4(192, 168, 4, 0), 24}};
  c.fallback_capacity = fallback_capacity;
  return c;
}

TEST_CASE("pool keys: insert, lookup, unchanged, replace, erase", "[mapping]") {
  auto t = make_table(two_pools());
  REQUIRE(t);
  const std::uint32_t k = ipv4(10, 0, 7, 9);
  Ipv6Value out;
  CHECK_FALSE(t->lookup(k, &out));
  CHECK(t->upsert(k, make_value(k, 1)) == UpsertResult::inserted);
  REQUIRE(t->lookup(k, &out));
  CHECK(out == make_value(k, 1));
  CHECK(t->upsert(k, make_value(k, 1)) == UpsertResult::unchanged);
  CHECK(t->upsert(k, make_value(k, 2)) == UpsertResult::replaced);
  REQUIRE(t->lookup(k, &out));
  CHECK(out == make_value(k, 2));
  CHECK(t->size() == 1);
  CHECK(t->in_pools(k));
  CHECK(t->erase(k));
  CHECK_FALSE(t->erase(k));
  CHECK_FALSE(t->lookup(k, &out));
  CHECK(t->size() == 0);
}

TEST_CASE("first and last address of each pool; neighbours are outside", "[mapping]") {
  auto t = make_table(two_pools());
  REQUIRE(t);
  for (std::uint32_t k :
       {ipv4(10, 0, 0, 0), ipv4(10, 0, 255, 255), ipv4(192, 168, 4, 0), ipv4(192, 168, 4, 255)}) {
    CHECK(t->upsert(k, make_value(k, 1)) == UpsertResult::inserted);
  }
  for (std::uint32_t k : {ipv4(9, 255, 255, 255), ipv4(10, 1, 0, 0), ipv4(192, 168, 3, 255),
                          ipv4(192, 168, 5, 0), 0u, 0xFFFFFFFFu}) {
    CHECK_FALSE(t->in_pools(k));
    CHECK(t->upsert(k, make_value(k, 1)) == UpsertResult::out_of_range);
    CHECK_FALSE(t->erase(k));
  }
  CHECK(t->size() == 4);
}

TEST_CASE("pools narrower than /16 sharing a /16 are told apart", "[mapping]") {
  Config c;
  for (std::uint32_t i = 0; i < 8; ++i) c.pools.push_back(Pool{ipv4(172, 16, 0, 32 * i), 28});
  auto t = make_table(c);
  REQUIRE(t);
  for (std::uint32_t i = 0; i < 256; ++i) {
    const std::uint32_t k = ipv4(172, 16, 0, i);
    const bool inside = i % 32 < 16;
    CHECK(t->in_pools(k) == inside);
    CHECK(t->upsert(k, make_value(k, i)) ==
          (inside ? UpsertResult::inserted : UpsertResult::out_of_range));
  }
  CHECK(t->size() == 128);
}

TEST_CASE("fallback keys: insert, replace, erase, full", "[mapping]") {
  auto t = make_table(two_pools(2));
  REQUIRE(t);
  const std::uint32_t a = ipv4(198, 51, 100, 1), b = ipv4(198, 51, 100, 2), c = ipv4(8, 8, 8, 8);
  CHECK(t->upsert(a, make_value(a, 1)) == UpsertResult::inserted);
  CHECK(t->upsert(b, make_value(b, 1)) == UpsertResult::inserted);
  CHECK(t->upsert(c, make_value(c, 1)) == UpsertResult::full);
  CHECK(t->upsert(a, make_value(a, 1)) == UpsertResult::unchanged);
  CHECK(t->upsert(a, make_value(a, 2)) == UpsertResult::replaced);  // replacing needs no room
  Ipv6Value out;
  REQUIRE(t->lookup(a, &out));
  CHECK(out == make_value(a, 2));
  CHECK(t->erase(b));
  CHECK(t->upsert(c, make_value(c, 1)) == UpsertResult::inserted);
  CHECK(t->stats().fallback_size == 2);
  CHECK(t->size() == 2);
}

TEST_CASE("fallback stays correct through tombstone churn", "[mapping]") {
  auto t = make_table(two_pools(8));
  REQUIRE(t);
  test::Rng rng(7);
  std::map<std::uint32_t, Ipv6Value> expect;
  for (int i = 0; i < 20000; ++i) {
    const std::uint32_t k = ipv4(203, 0, 113, 0) + rng() % 64;
    if (rng() % 2 == 0 && expect.size() < 8) {
      const Ipv6Value v = make_value(k, static_cast<std::uint64_t>(i));
      const UpsertResult r = t->upsert(k, v);
      REQUIRE((r == UpsertResult::inserted || r == UpsertResult::replaced));
      expect[k] = v;
    } else {
      REQUIRE(t->erase(k) == (expect.erase(k) == 1));
    }
    t->reclaim();
  }
  for (std::uint32_t k = ipv4(203, 0, 113, 0); k < ipv4(203, 0, 113, 64); ++k) {
    Ipv6Value out;
    const auto it = expect.find(k);
    REQUIRE(t->lookup(k, &out) == (it != expect.end()));
    if (it != expect.end()) CHECK(out == it->second);
  }
  CHECK(t->size() == expect.size());
}

TEST_CASE("for_each visits every mapping exactly once", "[mapping]") {
  auto t = make_table(two_pools(64));
  REQUIRE(t);
  test::Rng rng(3);
  std::map<std::uint32_t, Ipv6Value> expect;
  const std::uint32_t bases[] = {ipv4(10, 0, 0, 0), ipv4(192, 168, 4, 0), ipv4(100, 64, 0, 0)};
  for (int i = 0; i < 3000; ++i) {
    const std::uint32_t k = bases[rng() % 3] + rng() % 256;
    if (rng() % 4 == 0) {
      t->erase(k);
      expect.erase(k);
    } else if (expect.size() < 64 || t->in_pools(k) || expect.count(k) != 0) {
      expect[k] = make_value(k, static_cast<std::uint64_t>(i));
      REQUIRE(t->upsert(k, expect[k]) != UpsertResult::full);
    }
    t->reclaim();
  }
  std::map<std::uint32_t, Ipv6Value> seen;
  t->for_each([&](std::uint32_t k, const Ipv6Value& v) { CHECK(seen.emplace(k, v).second); });
  CHECK(seen == expect);
  CHECK(t->size() == expect.size());
}

TEST_CASE("lookup_bulk agrees with lookup", "[mapping]") {
  auto t = make_table(two_pools(16));
  REQUIRE(t);
  test::Rng rng(11);
  auto random_key = [&] {
    switch (rng() % 3) {
      case 0:
        return ipv4(10, 0, 0, 0) + rng() % 512;
      case 1:
        return ipv4(192, 168, 4, 0) + rng() % 256;
      default:
        return ipv4(198, 18, 0, 0) + rng() % 32;
    }
  };
  for (int i = 0; i < 400; ++i) {
    const std::uint32_t k = random_key();
    (void)t->upsert(k, make_value(k, 1));
  }
  for (unsigned n = 0; n <= MappingTable::kMaxBurst; ++n) {
    std::vector<std::uint32_t> keys(n);
    for (auto& k : keys) k = random_key();
    std::vector<Ipv6Value> out(n);
    std::uint64_t mask = ~0ull;
    t->lookup_bulk(keys.data(), n, out.data(), &mask);
    for (unsigned i = 0; i < n; ++i) {
      Ipv6Value one;
      const bool hit = t->lookup(keys[i], &one);
      REQUIRE(((mask >> i) & 1u) == (hit ? 1u : 0u));
      if (hit) CHECK(out[i] == one);
    }
    if (n < 64) CHECK((mask >> n) == 0);
  }
}

TEST_CASE("a replaced record is reused only after every reader reports", "[mapping]") {
  auto t = make_table(two_pools());
  REQUIRE(t);
  REQUIRE(t->register_reader(0));
  t->reader_online(0);
  const std::uint32_t k = ipv4(10, 0, 0, 1);
  REQUIRE(t->upsert(k, make_value(k, 1)) == UpsertResult::inserted);
  REQUIRE(t->upsert(k, make_value(k, 2)) == UpsertResult::replaced);
  CHECK(t->reclaim() == 0);  // the reader may still hold version 1's record
  CHECK(t->stats().retired == 1);
  CHECK(t->stats().homes_displaced == 1);
  t->quiescent(0);
  CHECK(t->reclaim() == 1);  // home free: the value moves home, the spare is retired
  CHECK(t->stats().homes_displaced == 0);
  CHECK(t->stats().retired == 1);
  CHECK(t->reclaim() == 0);  // starts the spare's grace period; the reader has not reported
  t->quiescent(0);
  CHECK(t->reclaim() == 1);
  const Stats s = t->stats();
  CHECK(s.retired == 0);
  CHECK(s.spare_free == s.spare_total);
  Ipv6Value out;
  REQUIRE(t->lookup(k, &out));
  CHECK(out == make_value(k, 2));
  t->reader_offline(0);
  t->unregister_reader(0);
}

TEST_CASE("busy when every spare awaits a grace period; fine once readers report", "[mapping]") {
  Config c = two_pools();
  c.spare_records = 2;
  auto t = make_table(c);
  REQUIRE(t);
  REQUIRE(t->register_reader(3));
  t->reader_online(3);
  const std::uint32_t k = ipv4(10, 0, 0, 2);
  REQUIRE(t->upsert(k, make_value(k, 1)) == UpsertResult::inserted);  // home: no spare needed
  REQUIRE(t->upsert(k, make_value(k, 2)) == UpsertResult::replaced);
  REQUIRE(t->upsert(k, make_value(k, 3)) == UpsertResult::replaced);
  CHECK(t->upsert(k, make_value(k, 4)) == UpsertResult::busy);
  Ipv6Value out;
  REQUIRE(t->lookup(k, &out));
  CHECK(out == make_value(k, 3));  // busy changed nothing
  // Inserting into a free home needs no spare, even now.
  CHECK(t->upsert(ipv4(10, 0, 0, 3), make_value(ipv4(10, 0, 0, 3), 1)) == UpsertResult::inserted);
  t->quiescent(3);
  CHECK(t->upsert(k, make_value(k, 4)) == UpsertResult::replaced);
  REQUIRE(t->lookup(k, &out));
  CHECK(out == make_value(k, 4));
  t->reader_offline(3);
}

TEST_CASE("clear unmaps everything and every record comes back", "[mapping]") {
  auto t = make_table(two_pools(8));
  REQUIRE(t);
  for (std::uint32_t i = 0; i < 200; ++i) {
    const std::uint32_t k = ipv4(10, 0, 1, 0) + i;
    REQUIRE(t->upsert(k, make_value(k, 1)) == UpsertResult::inserted);
    if (i % 3 == 0) REQUIRE(t->upsert(k, make_value(k, 2)) == UpsertResult::replaced);
  }
  for (std::uint32_t i = 0; i < 8; ++i) {
    REQUIRE(t->upsert(ipv4(1, 1, 1, i), make_value(ipv4(1, 1, 1, i), 1)) == UpsertResult::inserted);
  }
  t->clear();
  CHECK(t->size() == 0);
  Ipv6Value out;
  CHECK_FALSE(t->lookup(ipv4(10, 0, 1, 5), &out));
  CHECK_FALSE(t->lookup(ipv4(1, 1, 1, 5), &out));
  int seen = 0;
  t->for_each([&](std::uint32_t, const Ipv6Value&) { ++seen; });
  CHECK(seen == 0);
  for (int round = 0; round < 4 && t->stats().retired != 0; ++round) t->reclaim(1u << 20);
  const Stats s = t->stats();
  CHECK(s.retired == 0);
  CHECK(s.homes_displaced == 0);
  CHECK(s.spare_free == s.spare_total);
  CHECK(t->upsert(ipv4(10, 0, 1, 5), make_value(ipv4(10, 0, 1, 5), 3)) == UpsertResult::inserted);
  CHECK(t->upsert(ipv4(1, 1, 1, 5), make_value(ipv4(1, 1, 1, 5), 3)) == UpsertResult::inserted);
}

TEST_CASE("reader ids beyond max_readers are refused", "[mapping]") {
  Config c = two_pools();
  c.max_readers = 2;
  auto t = make_table(c);
  REQUIRE(t);
  CHECK(t->register_reader(0));
  CHECK(t->register_reader(1));
  CHECK_FALSE(t->register_reader(2));
  t->quiescent(2);  // ignored, not a write past the end
  t->unregister_reader(0);
  t->unregister_reader(1);
}

}  // namespace
}  // namespace dstm::mapping
