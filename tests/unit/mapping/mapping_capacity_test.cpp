// lib/mapping: configuration checks and capacity limits.
#include <catch2/catch.hpp>
#include <string>

#include "mapping/mapping.h"
#include "mapping_test_util.h"

namespace dstm::mapping {
namespace {

using test::ipv4;
using test::make_table;
using test::make_value;

std::string create_error(const Config& c) {
  auto t = MappingTable::create(c);
  return t ? std::string() : t.error();
}

TEST_CASE("bad configurations are refused with a reason", "[mapping]") {
  Config c;
  c.pools = {Pool{ipv4(10, 0, 0, 0), 16}, Pool{ipv4(10, 0, 128, 0), 17}};
  CHECK(create_error(c).find("overlaps") != std::string::npos);
  c.pools = {Pool{ipv4(10, 0, 0, 1), 24}};
  CHECK(create_error(c).find("host bits") != std::string::npos);
  c.pools = {Pool{0, 0}};
  CHECK(create_error(c).find("prefix length") != std::string::npos);
  c.pools = {Pool{ipv4(10, 0, 0, 0), 33}};
  CHECK(create_error(c).find("prefix length") != std::string::npos);
  c.pools.clear();
  for (std::uint32_t i = 0; i <= kMaxPools; ++i)
    c.pools.push_back(Pool{ipv4(10, 0, 0, 0) + 4 * i, 30});
  CHECK(create_error(c).find("pools") != std::string::npos);
  c.pools.pop_back();
  CHECK(create_error(c).empty());  // exactly kMaxPools is fine

  c.pools = {Pool{ipv4(10, 0, 0, 0), 16}};
  c.max_entries = 65536;
  CHECK(create_error(c).empty());
  c.fallback_capacity = 1;
  CHECK(create_error(c).find("max_entries") != std::string::npos);
  c.fallback_capacity = 0;
  c.max_entries = kMaxEntries + 1;
  CHECK_FALSE(create_error(c).empty());
  c.max_entries = 1u << 24;
  c.max_readers = 0;
  CHECK_FALSE(create_error(c).empty());
  c.max_readers = 1;
  c.spare_records = 0;
  CHECK_FALSE(create_error(c).empty());
}

TEST_CASE("a table with no pools is all fallback", "[mapping]") {
  Config c;
  c.fallback_capacity = 3;
  auto t = make_table(c);
  REQUIRE(t);
  for (std::uint32_t k : {0u, 1u, 0xFFFFFFFFu}) {
    CHECK(t->upsert(k, make_value(k, 1)) == UpsertResult::inserted);
  }
  CHECK(t->upsert(2u, make_value(2u, 1)) == UpsertResult::full);
  Ipv6Value out;
  REQUIRE(t->lookup(0u, &out));  // key 0 is a key like any other, not "empty"
  CHECK(out == make_value(0u, 1));
  CHECK(t->size() == 3);
}

TEST_CASE("the fallback holds exactly fallback_capacity keys", "[mapping]") {
  Config c;
  c.pools = {Pool{ipv4(10, 0, 0, 0), 24}};
  c.fallback_capacity = 100;
  auto t = make_table(c);
  REQUIRE(t);
  for (std::uint32_t i = 0; i < 100; ++i) {
    REQUIRE(t->upsert(ipv4(20, 0, 0, 0) + i, make_value(i, 1)) == UpsertResult::inserted);
  }
  CHECK(t->upsert(ipv4(20, 0, 0, 0) + 100, make_value(100, 1)) == UpsertResult::full);
  CHECK(t->upsert(ipv4(10, 0, 0, 1), make_value(1, 1)) ==
        UpsertResult::inserted);  // pools unaffected
  CHECK(t->size() == 101);
  CHECK(t->stats().fallback_size == 100);
}

TEST_CASE("a /8 pool: 16M slots, every address mappable", "[mapping][large]") {
  Config c;
  c.pools = {Pool{ipv4(10, 0, 0, 0), 8}};
  c.max_entries = 1u << 24;
  auto t = make_table(c);
  REQUIRE(t);
  CHECK(t->stats().pool_slots == (1u << 24));
  const std::uint32_t keys[] = {ipv4(10, 0, 0, 0), ipv4(10, 128, 77, 3), ipv4(10, 255, 255, 255)};
  for (std::uint32_t k : keys) REQUIRE(t->upsert(k, make_value(k, 9)) == UpsertResult::inserted);
  for (std::uint32_t k : keys) {
    Ipv6Value out;
    REQUIRE(t->lookup(k, &out));
    CHECK(out == make_value(k, 9));
  }
  CHECK(t->upsert(ipv4(11, 0, 0, 0), make_value(1, 1)) == UpsertResult::out_of_range);
  CHECK(t->size() == 3);
  c.fallback_capacity = 1;
  CHECK(create_error(c).find("max_entries") != std::string::npos);
}

}  // namespace
}  // namespace dstm::mapping
