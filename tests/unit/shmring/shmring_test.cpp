// Single-process tests of the ring: empty, full, wrap-around, checksums, generations,
// applied-sequence publishing, snapshots and wait_applied.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>
#include <vector>

#include "shmring_test_util.h"

using namespace dstm::shmring;
using namespace dstm::shmring::test;
using namespace std::chrono_literals;

namespace {

// Drains everything, checking order (each sequence one past the previous) and payload.
struct Checker {
  std::uint64_t expect_next = 1;
  std::uint64_t seen = 0;
  bool ok = true;
  void operator()(const Record& r) {
    if (r.sequence != expect_next || !payload_ok(r)) ok = false;
    expect_next = r.sequence + 1;
    ++seen;
  }
};

}  // namespace

TEST_CASE("empty ring: drain takes nothing and publishes nothing", "[shmring]") {
  NameGuard name(unique_name("empty"));
  auto seg = Segment::create(name.name, 64);
  REQUIRE(seg.has_value());
  CHECK(seg->capacity() == 64);
  Producer producer(*seg);
  Consumer consumer(*seg);
  unsigned calls = 0;
  CHECK(consumer.drain(100, [&](const Record&) { ++calls; }) == 0);
  CHECK(calls == 0);
  CHECK(producer.last_applied() == 0);
  CHECK(producer.free_slots() == 64);
  CHECK(producer.next_sequence() == 1);
}

TEST_CASE("full ring: try_push fails without losing or renumbering anything", "[shmring]") {
  NameGuard name(unique_name("full"));
  auto seg = Segment::create(name.name, 8);
  REQUIRE(seg.has_value());
  Producer producer(*seg);
  Consumer consumer(*seg);
  unsigned pushed = 0;
  while (producer.try_push(make_record(producer.next_sequence()))) ++pushed;
  CHECK(pushed == 8);  // RING_F_EXACT_SZ: exactly the requested capacity
  CHECK(producer.free_slots() == 0);
  CHECK(producer.next_sequence() == 9);  // a refused push stamps nothing
  CHECK_FALSE(producer.try_push(make_record(producer.next_sequence())));

  Checker check;
  CHECK(consumer.drain(100, std::ref(check)) == 8);
  CHECK(check.ok);
  CHECK(check.seen == 8);
  CHECK(producer.last_applied() == 8);
  CHECK(producer.try_push(make_record(producer.next_sequence())));  // room again
  CHECK(consumer.drain(100, std::ref(check)) == 1);
  CHECK(check.ok);
  CHECK(check.expect_next == 10);
}

TEST_CASE("wrap-around many times the capacity keeps sequences contiguous", "[shmring]") {
  NameGuard name(unique_name("wrap"));
  constexpr std::uint32_t kCapacity = 16;
  auto seg = Segment::create(name.name, kCapacity);
  REQUIRE(seg.has_value());
  Producer producer(*seg);
  Consumer consumer(*seg);
  Checker check;
  constexpr std::uint64_t kTotal = 200 * kCapacity;
  std::uint64_t pushed = 0;
  unsigned round = 0;
  while (check.seen < kTotal) {
    // Uneven push and drain sizes so the head and tail cross the wrap point at every offset.
    for (unsigned i = 0; i < 1 + round % 13 && pushed < kTotal; ++i) {
      if (!producer.try_push(make_record(producer.next_sequence()))) break;
      ++pushed;
    }
    const unsigned max = 1 + (round * 7) % 11;
    CHECK(consumer.drain(max, std::ref(check)) <= max);  // bounded per poll
    ++round;
    REQUIRE(round < 100000);  // a stall would otherwise loop forever
  }
  CHECK(check.ok);
  CHECK(check.seen == kTotal);
  CHECK(producer.last_applied() == kTotal);
  CHECK(consumer.corrupt_records() == 0);
}

TEST_CASE("record_check notices any changed byte", "[shmring]") {
  Record r = make_record(42);
  r.sequence = 42;
  r.check = record_check(r);
  REQUIRE(record_intact(r));
  REQUIRE(payload_ok(r));
  for (std::size_t i = 0; i < sizeof(Record); ++i) {
    if (i == 14 || i == 15) continue;  // the check field itself
    Record bad = r;
    auto* bytes = reinterpret_cast<unsigned char*>(&bad);
    bytes[i] = static_cast<unsigned char>(bytes[i] ^ 0x10U);
    CHECK_FALSE(record_intact(bad));
  }
}

TEST_CASE("generations: each consumer start is seen once by the producer", "[shmring]") {
  NameGuard name(unique_name("gen"));
  auto seg = Segment::create(name.name, 16);
  REQUIRE(seg.has_value());
  Producer producer(*seg);
  CHECK(producer.agent_generation() == 1);
  CHECK_FALSE(producer.generation_changed());
  {
    Consumer first(*seg);
    CHECK(first.generation() == 1);
    CHECK(first.agent_generation() == 1);
  }
  CHECK(producer.generation_changed());
  CHECK_FALSE(producer.generation_changed());  // reported once
  Consumer second(*seg);
  CHECK(second.generation() == 2);
  CHECK(producer.dataplane_generation() == 2);
  CHECK(producer.generation_changed());

  Producer restarted(*seg);  // an agent restart bumps its own generation
  CHECK(restarted.agent_generation() == 2);
  CHECK(second.agent_generation() == 2);
}

TEST_CASE("a restarted producer continues the sequence", "[shmring]") {
  NameGuard name(unique_name("prodrestart"));
  auto seg = Segment::create(name.name, 16);
  REQUIRE(seg.has_value());
  {
    Producer first(*seg);
    for (int i = 0; i < 3; ++i) REQUIRE(first.try_push(make_record(first.next_sequence())));
  }
  Producer second(*seg);
  CHECK(second.next_sequence() == 4);
  REQUIRE(second.try_push(make_record(second.next_sequence())));
  Consumer consumer(*seg);
  Checker check;
  CHECK(consumer.drain(16, std::ref(check)) == 4);
  CHECK(check.ok);
}

TEST_CASE("heartbeats are visible to the other side", "[shmring]") {
  NameGuard name(unique_name("hb"));
  auto seg = Segment::create(name.name, 4);
  REQUIRE(seg.has_value());
  Producer producer(*seg);
  Consumer consumer(*seg);
  producer.heartbeat(1234);
  consumer.heartbeat(5678);
  CHECK(consumer.agent_heartbeat() == 1234);
  CHECK(producer.dataplane_heartbeat() == 5678);
  const std::uint64_t now = monotonic_ms();
  consumer.heartbeat();
  CHECK(producer.dataplane_heartbeat() >= now);
}

TEST_CASE("snapshot records are published only at their end", "[shmring]") {
  NameGuard name(unique_name("snap"));
  auto seg = Segment::create(name.name, 32);
  REQUIRE(seg.has_value());
  Producer producer(*seg);
  Consumer consumer(*seg);
  std::vector<Kind> applied;
  auto apply = [&](const Record& r) { applied.push_back(r.kind); };

  REQUIRE(producer.try_push(make_record(producer.next_sequence())));  // seq 1, a plain change
  REQUIRE(producer.try_push(make_record(producer.next_sequence(), Kind::kSnapshotBegin)));
  REQUIRE(producer.try_push(make_record(producer.next_sequence())));
  REQUIRE(producer.try_push(make_record(producer.next_sequence(), Kind::kErase)));
  CHECK(consumer.drain(32, apply) == 4);
  CHECK(consumer.in_snapshot());
  CHECK(producer.last_applied() == 1);  // the snapshot's records are staged, not live

  const std::uint64_t end_seq = producer.next_sequence();
  REQUIRE(producer.try_push(make_record(end_seq, Kind::kSnapshotEnd)));
  CHECK(consumer.drain(32, apply) == 1);
  CHECK_FALSE(consumer.in_snapshot());
  CHECK(producer.last_applied() == end_seq);
  CHECK(applied == std::vector<Kind>{Kind::kUpsert, Kind::kSnapshotBegin, Kind::kUpsert, Kind::kErase,
                                     Kind::kSnapshotEnd});
}

TEST_CASE("a snapshot end without its begin is published but not applied", "[shmring]") {
  NameGuard name(unique_name("orphan"));
  auto seg = Segment::create(name.name, 32);
  REQUIRE(seg.has_value());
  Producer producer(*seg);
  REQUIRE(producer.try_push(make_record(producer.next_sequence(), Kind::kSnapshotBegin)));
  REQUIRE(producer.try_push(make_record(producer.next_sequence())));
  REQUIRE(producer.try_push(make_record(producer.next_sequence(), Kind::kSnapshotEnd)));
  {
    Consumer dying(*seg);  // takes the begin, then "crashes"
    CHECK(dying.drain(1, [](const Record&) {}) == 1);
  }
  Consumer restarted(*seg);
  std::vector<Kind> applied;
  CHECK(restarted.drain(32, [&](const Record& r) { applied.push_back(r.kind); }) == 2);
  CHECK(applied == std::vector<Kind>{Kind::kUpsert});  // applied live, as a plain change
  CHECK(producer.last_applied() == 3);
}

TEST_CASE("wait_applied times out, then succeeds once the consumer applies", "[shmring]") {
  NameGuard name(unique_name("wait"));
  auto seg = Segment::create(name.name, 16);
  REQUIRE(seg.has_value());
  Producer producer(*seg);
  Consumer consumer(*seg);
  const std::uint64_t seq = producer.next_sequence();
  REQUIRE(producer.try_push(make_record(seq)));
  CHECK_FALSE(producer.wait_applied(seq, 30ms));  // nobody drains

  std::thread dataplane([&] {
    std::this_thread::sleep_for(20ms);
    consumer.drain(16, [](const Record&) {});
  });
  const bool applied = producer.wait_applied(seq, 10s);  // generous: the box is shared
  dataplane.join();
  CHECK(applied);
  CHECK(producer.wait_applied(seq, 0ms));  // already applied: true without waiting
}
