// A producer or consumer killed inside an rte_ring operation leaves head != tail; the next
// Producer / Consumer repairs its side so nothing half-written is published and nothing
// claimed-but-unapplied is lost.
#include <catch2/catch.hpp>

#include "shmring/testing.h"
#include "shmring_test_util.h"

using namespace dstm::shmring;
using namespace dstm::shmring::test;

TEST_CASE("a new producer discards the slot a killed producer claimed", "[shmring]") {
  NameGuard name(unique_name("prodrepair"));
  auto seg = Segment::create(name.name, 16);
  REQUIRE(seg.has_value());
  { Producer dying(*seg); }
  simulate_killed_producer(*seg);

  Producer producer(*seg);
  const std::uint64_t seq = producer.next_sequence();
  REQUIRE(producer.try_push(make_record(seq)));
  Consumer consumer(*seg);
  std::uint64_t delivered = 0;
  bool intact = true;
  CHECK(consumer.drain(16, [&](const Record& r) { ++delivered; intact = intact && payload_ok(r) && r.sequence == seq; }) == 1);
  CHECK(delivered == 1);
  CHECK(intact);
  CHECK(consumer.corrupt_records() == 0);
}

TEST_CASE("a new consumer gets again the record a killed consumer claimed", "[shmring]") {
  NameGuard name(unique_name("consrepair"));
  auto seg = Segment::create(name.name, 16);
  REQUIRE(seg.has_value());
  Producer producer(*seg);
  for (int i = 0; i < 3; ++i) REQUIRE(producer.try_push(make_record(producer.next_sequence())));
  { Consumer dying(*seg); }
  simulate_killed_consumer(*seg);

  Consumer consumer(*seg);
  std::uint64_t first = 0;
  CHECK(consumer.drain(16, [&](const Record& r) { if (first == 0) first = r.sequence; }) == 3);
  CHECK(first == 1);
  CHECK(producer.last_applied() == 3);
}
