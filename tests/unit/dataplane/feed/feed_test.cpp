// The dataplane applying dstm-agent's records from shared memory to the mapping table.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <map>
#include <string>

#include "feed.h"

using namespace dstm;
using namespace std::chrono_literals;

namespace {

constexpr std::uint32_t kPoolBase = (192u << 24) | (0u << 16) | (2u << 8);  // 192.0.2.0/24

mapping::Ipv6Value v6(std::uint8_t tag) {
  mapping::Ipv6Value v;
  v.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, tag};
  return v;
}

shmring::Record record(shmring::Kind kind, std::uint32_t ipv4 = 0, std::uint8_t tag = 0) {
  shmring::Record r;
  r.kind = kind;
  r.ipv4 = ipv4;
  r.ipv6 = v6(tag).bytes;
  return r;
}

std::map<std::uint32_t, std::uint8_t> contents(const mapping::MappingTable& table) {
  std::map<std::uint32_t, std::uint8_t> out;
  table.for_each([&out](std::uint32_t k, const mapping::Ipv6Value& v) { out[k] = v.bytes[15]; });
  return out;
}

// A segment the "agent" creates and the "dataplane" attaches, plus a table; unlinked at the end.
struct Fixture {
  std::string name = "/dstm-feed-test-" + std::to_string(::getpid());
  shmring::Segment agent_side;
  shmring::Segment dataplane_side;
  std::unique_ptr<mapping::MappingTable> table;
  Fixture()
      : agent_side(std::move(shmring::Segment::create(name, 64).value())),
        dataplane_side(std::move(shmring::Segment::attach(name).value())) {
    mapping::Config config;
    config.pools = {mapping::Pool{kPoolBase, 24}};
    config.max_entries = 1024;
    config.max_readers = 1;
    table = std::move(mapping::MappingTable::create(config).value());
  }
  ~Fixture() { shmring::Segment::unlink(name); }
};

}  // namespace

TEST_CASE("upserts and erases from the agent reach the table and are published", "[feed]") {
  Fixture f;
  shmring::Producer agent(f.agent_side);
  dp::MappingFeed feed(f.dataplane_side, *f.table);
  REQUIRE(agent.try_push(record(shmring::Kind::kUpsert, kPoolBase + 2, 2)));
  REQUIRE(agent.try_push(record(shmring::Kind::kUpsert, kPoolBase + 3, 3)));
  REQUIRE(agent.try_push(record(shmring::Kind::kUpsert, kPoolBase + 2, 22)));  // replace
  REQUIRE(agent.try_push(record(shmring::Kind::kErase, kPoolBase + 3)));
  const std::uint64_t last = agent.next_sequence() - 1;
  CHECK_FALSE(agent.wait_applied(last, 1ms));  // nothing applied before the dataplane polls
  CHECK(feed.poll() == 4);
  CHECK(agent.wait_applied(last, 1s));
  CHECK(contents(*f.table) == std::map<std::uint32_t, std::uint8_t>{{kPoolBase + 2, 22}});
  CHECK(feed.stats().upserts == 3);
  CHECK(feed.stats().erases == 1);
}

TEST_CASE("poll is bounded", "[feed]") {
  Fixture f;
  shmring::Producer agent(f.agent_side);
  dp::MappingFeed feed(f.dataplane_side, *f.table);
  for (std::uint32_t i = 0; i < 10; ++i) REQUIRE(agent.try_push(record(shmring::Kind::kUpsert, kPoolBase + i, 1)));
  CHECK(feed.poll(4) == 4);
  CHECK(f.table->size() == 4);
  CHECK(feed.poll() == 6);
  CHECK(f.table->size() == 10);
}

TEST_CASE("a snapshot replaces the whole table at its end, and not before", "[feed]") {
  Fixture f;
  shmring::Producer agent(f.agent_side);
  dp::MappingFeed feed(f.dataplane_side, *f.table);
  REQUIRE(agent.try_push(record(shmring::Kind::kUpsert, kPoolBase + 1, 1)));
  REQUIRE(agent.try_push(record(shmring::Kind::kUpsert, kPoolBase + 2, 2)));
  feed.poll();
  // The agent replays its set after a dataplane restart: .1 changed, .2 gone, .3 new.
  REQUIRE(agent.try_push(record(shmring::Kind::kSnapshotBegin)));
  REQUIRE(agent.try_push(record(shmring::Kind::kUpsert, kPoolBase + 1, 11)));
  REQUIRE(agent.try_push(record(shmring::Kind::kUpsert, kPoolBase + 3, 3)));
  const std::uint64_t inside = agent.next_sequence() - 1;
  feed.poll();
  // Half a snapshot changes nothing and is not reported as applied.
  CHECK(contents(*f.table) == std::map<std::uint32_t, std::uint8_t>{{kPoolBase + 1, 1}, {kPoolBase + 2, 2}});
  CHECK_FALSE(agent.wait_applied(inside, 1ms));
  REQUIRE(agent.try_push(record(shmring::Kind::kSnapshotEnd)));
  feed.poll();
  CHECK(agent.wait_applied(agent.next_sequence() - 1, 1s));
  CHECK(contents(*f.table) == std::map<std::uint32_t, std::uint8_t>{{kPoolBase + 1, 11}, {kPoolBase + 3, 3}});
  CHECK(feed.stats().snapshots == 1);
}

TEST_CASE("attaching the feed tells the agent the dataplane (re)started", "[feed]") {
  Fixture f;
  shmring::Producer agent(f.agent_side);
  CHECK_FALSE(agent.generation_changed());
  dp::MappingFeed feed(f.dataplane_side, *f.table);
  CHECK(agent.generation_changed());
  CHECK(feed.generation() == agent.dataplane_generation());
}

TEST_CASE("addresses the table cannot hold are counted, not applied", "[feed]") {
  Fixture f;
  shmring::Producer agent(f.agent_side);
  dp::MappingFeed feed(f.dataplane_side, *f.table);
  REQUIRE(agent.try_push(record(shmring::Kind::kUpsert, (198u << 24) | 1u, 1)));  // no pool, no fallback
  feed.poll();
  CHECK(f.table->size() == 0);
  CHECK(feed.stats().refused == 1);
}
