// dataplane/control.h: the dataplane attaching dstm-agent's segment, early or late.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <string>
#include <vector>

#include "control.h"

using namespace dstm;

namespace {

constexpr std::uint32_t kPoolBase = (192u << 24) | (0u << 16) | (2u << 8);  // 192.0.2.0/24

shmring::Record upsert(std::uint32_t ipv4, std::uint8_t tag) {
  shmring::Record r;
  r.kind = shmring::Kind::kUpsert;
  r.ipv4 = ipv4;
  r.ipv6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, tag};
  return r;
}

struct Fixture {
  std::string name = "/dstm-control-test-" + std::to_string(::getpid());
  std::unique_ptr<mapping::MappingTable> table;
  std::vector<std::string> log;
  Fixture() {
    shmring::Segment::unlink(name);
    mapping::Config config;
    config.pools = {mapping::Pool{kPoolBase, 24}};
    config.max_entries = 1024;
    config.max_readers = 1;
    table = std::move(mapping::MappingTable::create(config).value());
  }
  ~Fixture() { shmring::Segment::unlink(name); }
  dp::ControlChannel channel(unsigned batch) {
    return dp::ControlChannel(name, batch, *table, [this](std::string_view s) { log.emplace_back(s); });
  }
};

}  // namespace

TEST_CASE("start-up applies everything already queued, beyond one batch", "[control]") {
  Fixture f;
  auto seg = shmring::Segment::create(f.name, 256);
  REQUIRE(seg);
  shmring::Producer agent(*seg);
  for (std::uint32_t i = 0; i < 200; ++i) REQUIRE(agent.try_push(upsert(kPoolBase + i, 1)));
  const std::uint64_t last = agent.next_sequence() - 1;
  dp::ControlChannel channel = f.channel(8);
  CHECK(channel.start(5000) == 200);
  CHECK(channel.attached());
  CHECK(f.table->size() == 200);
  CHECK(agent.last_applied() == last);
  CHECK(agent.generation_changed());  // the agent learns it must replay a snapshot
  CHECK(channel.generation() == agent.dataplane_generation());
  CHECK(agent.dataplane_heartbeat() == 5000);
}

TEST_CASE("poll is bounded by the batch and says when more is waiting", "[control]") {
  Fixture f;
  auto seg = shmring::Segment::create(f.name, 64);
  REQUIRE(seg);
  shmring::Producer agent(*seg);
  dp::ControlChannel channel = f.channel(4);
  REQUIRE(channel.start(0) == 0);
  for (std::uint32_t i = 0; i < 6; ++i) REQUIRE(agent.try_push(upsert(kPoolBase + i, 2)));
  CHECK(channel.poll(10) == 4);
  CHECK(f.table->size() == 4);
  CHECK(channel.poll(11) == 2);
  CHECK(channel.poll(12) == 0);
  CHECK(f.table->size() == 6);
  CHECK(agent.dataplane_heartbeat() == 12);
}

TEST_CASE("a missing segment: keep going, say so once, attach when the agent comes", "[control]") {
  Fixture f;
  dp::ControlChannel channel = f.channel(64);
  CHECK(channel.start(1000) == 0);
  CHECK_FALSE(channel.attached());
  CHECK(channel.generation() == 0);
  CHECK(channel.poll(1500) == 0);
  CHECK(channel.poll(2000) == 0);  // the second attempt, a second after the first
  REQUIRE(f.log.size() == 1);
  CHECK(f.log[0].find("waiting for dstm-agent's segment") != std::string::npos);

  auto seg = shmring::Segment::create(f.name, 64);
  REQUIRE(seg);
  shmring::Producer agent(*seg);
  REQUIRE(agent.try_push(upsert(kPoolBase + 9, 9)));
  CHECK(channel.poll(2500) == 0);  // too early for the next attempt
  CHECK_FALSE(channel.attached());
  CHECK(channel.poll(3000) == 1);
  CHECK(channel.attached());
  CHECK(channel.generation() == 1);
  CHECK(f.table->size() == 1);
  CHECK(agent.wait_applied(agent.next_sequence() - 1, std::chrono::milliseconds(1)));
  REQUIRE(f.log.size() == 2);
  CHECK(f.log[1].find("attached " + f.name + ": dataplane generation 1") == 0);
}

TEST_CASE("a second dataplane start gets the next generation", "[control]") {
  Fixture f;
  auto seg = shmring::Segment::create(f.name, 64);
  REQUIRE(seg);
  {
    dp::ControlChannel first = f.channel(64);
    first.start(0);
    CHECK(first.generation() == 1);
  }
  dp::ControlChannel second = f.channel(64);
  second.start(0);
  CHECK(second.generation() == 2);
}

TEST_CASE("refused mappings are logged as a count, not one line each", "[control]") {
  Fixture f;
  auto seg = shmring::Segment::create(f.name, 64);
  REQUIRE(seg);
  shmring::Producer agent(*seg);
  dp::ControlChannel channel = f.channel(64);
  channel.start(0);
  for (std::uint32_t i = 0; i < 3; ++i) REQUIRE(agent.try_push(upsert((198u << 24) | i, 1)));  // no pool
  channel.poll(1);
  CHECK(channel.stats().refused == 3);
  REQUIRE(f.log.size() == 2);
  CHECK(f.log[1].rfind("3 mapping(s) refused", 0) == 0);
}

TEST_CASE("a recreated segment is noticed and attached, a removed one kept", "[control]") {
  Fixture f;
  auto first = shmring::Segment::create(f.name, 64);
  REQUIRE(first);
  dp::ControlChannel channel = f.channel(64);
  channel.start(0);
  REQUIRE(channel.generation() == 1);

  // The agent goes away and its name with it: keep forwarding with what we have.
  shmring::Segment::unlink(f.name);
  channel.poll(1000);
  CHECK(channel.attached());
  CHECK(channel.generation() == 1);

  // A new agent creates a new segment under the name and queues an upsert.
  auto second = shmring::Segment::create(f.name, 64);
  REQUIRE(second);
  shmring::Producer agent(*second);
  REQUIRE(agent.try_push(upsert(kPoolBase + 5, 5)));
  CHECK(channel.poll(1500) == 0);  // checked at most once a second
  CHECK(channel.poll(2000) == 1);  // moved to the new segment and applied what it holds
  CHECK(agent.generation_changed());
  CHECK(agent.dataplane_generation() == 1);  // the new segment's first dataplane
  CHECK(agent.wait_applied(agent.next_sequence() - 1, std::chrono::milliseconds(1)));
  CHECK(f.table->size() == 1);
  CHECK(f.log.back().find("attached " + f.name) == 0);
}
