// Learning mode's rules on the table's writer (dataplane/learn.h): install only unmapped pool
// addresses, never replace, rate-limited.
#include <catch2/catch.hpp>

#include "learn.h"

using namespace dstm;
using namespace dstm::dp;

namespace {

constexpr std::uint32_t kPoolBase = (192u << 24) | (0u << 16) | (2u << 8);  // 192.0.2.0/24

LearnRequest request(std::uint32_t ipv4, std::uint8_t tag) {
  LearnRequest r;
  r.ipv4 = ipv4;
  r.ipv6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, tag};
  return r;
}

std::unique_ptr<mapping::MappingTable> make_table() {
  mapping::Config config;
  config.pools = {mapping::Pool{kPoolBase, 24}};
  config.max_entries = 1024;
  config.fallback_capacity = 16;
  config.max_readers = 1;
  return std::move(mapping::MappingTable::create(config).value());
}

std::uint8_t tag_of(const mapping::MappingTable& table, std::uint32_t ipv4) {
  mapping::Ipv6Value v;
  REQUIRE(table.lookup(ipv4, &v));
  return v.bytes[15];
}

}  // namespace

TEST_CASE("learning installs an unmapped pool address once and never replaces", "[learn]") {
  auto table = make_table();
  Learner learner(*table, 100);
  CHECK(learner.apply(request(kPoolBase + 7, 7), 0) == Learner::Outcome::kInstalled);
  CHECK(tag_of(*table, kPoolBase + 7) == 7);
  // Another node claiming the same address later: the first claim stays.
  CHECK(learner.apply(request(kPoolBase + 7, 8), 1) == Learner::Outcome::kExists);
  CHECK(tag_of(*table, kPoolBase + 7) == 7);
  // A provisioned mapping is never replaced either.
  REQUIRE(table->upsert(kPoolBase + 2, mapping::Ipv6Value{request(0, 2).ipv6}) == mapping::UpsertResult::inserted);
  CHECK(learner.apply(request(kPoolBase + 2, 9), 2) == Learner::Outcome::kExists);
  CHECK(tag_of(*table, kPoolBase + 2) == 2);
  CHECK(table->size() == 2);
}

TEST_CASE("learning refuses addresses outside the pools (the fallback is not for claims)", "[learn]") {
  auto table = make_table();
  Learner learner(*table, 100);
  CHECK(learner.apply(request((10u << 24) | 1u, 1), 0) == Learner::Outcome::kRefused);
  CHECK(table->size() == 0);
}

TEST_CASE("learning is rate-limited: per_second installs, refilled with time", "[learn]") {
  auto table = make_table();
  Learner learner(*table, 10);
  unsigned installed = 0;
  for (std::uint32_t i = 1; i <= 20; ++i) {
    if (learner.apply(request(kPoolBase + i, static_cast<std::uint8_t>(i)), 0) == Learner::Outcome::kInstalled) ++installed;
  }
  CHECK(installed == 10);
  CHECK(learner.apply(request(kPoolBase + 30, 30), 50) == Learner::Outcome::kRateLimited);
  CHECK(learner.apply(request(kPoolBase + 30, 30), 100) == Learner::Outcome::kInstalled);  // 1 token per 100 ms
  CHECK(learner.apply(request(kPoolBase + 31, 31), 100) == Learner::Outcome::kRateLimited);
  CHECK(table->size() == 11);
  SECTION("rate 0 installs nothing") {
    Learner off(*table, 0);
    CHECK(off.apply(request(kPoolBase + 40, 40), 100000) == Learner::Outcome::kRateLimited);
  }
}
