// Segment creation and attach validation: every refusal names the segment and says why.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shmring_test_util.h"

using namespace dstm::shmring;
using namespace dstm::shmring::test;
using Catch::Matchers::Contains;

TEST_CASE("attach sees what the creator wrote", "[shmring]") {
  NameGuard name(unique_name("attach"));
  auto created = Segment::create(name.name, 100);
  REQUIRE(created.has_value());
  auto attached = Segment::attach(name.name);
  REQUIRE(attached.has_value());
  const Header& h = attached->header();
  CHECK(h.magic.load() == kMagic);
  CHECK(h.layout_version == kLayoutVersion);
  CHECK(h.record_size == kRecordSize);
  CHECK(attached->capacity() == 100);
  CHECK(attached->size_bytes() == created->size_bytes());
  CHECK(attached->name() == name.name);

  // Two mappings of one segment, at different addresses: a record crosses between them.
  Producer producer(*created);
  Consumer consumer(*attached);
  REQUIRE(producer.try_push(make_record(producer.next_sequence())));
  std::uint64_t got = 0;
  CHECK(consumer.drain(10, [&](const Record& r) { got = payload_ok(r) ? r.sequence : 0; }) == 1);
  CHECK(got == 1);
  CHECK(&created->header() != &attached->header());
}

TEST_CASE("create refuses bad capacities and an existing name", "[shmring]") {
  NameGuard name(unique_name("create"));
  auto zero = Segment::create(name.name, 0);
  REQUIRE_FALSE(zero.has_value());
  CHECK_THAT(zero.error(), Contains(name.name) && Contains("capacity"));
  CHECK_FALSE(Segment::unlink(name.name));  // the failed create left nothing behind
  CHECK_FALSE(Segment::create(name.name, kMaxCapacity + 1).has_value());

  auto first = Segment::create(name.name, 8);
  REQUIRE(first.has_value());
  auto again = Segment::create(name.name, 8);
  REQUIRE_FALSE(again.has_value());
  CHECK_THAT(again.error(), Contains(name.name));
}

TEST_CASE("attach refuses a missing segment", "[shmring]") {
  NameGuard name(unique_name("missing"));
  auto seg = Segment::attach(name.name);
  REQUIRE_FALSE(seg.has_value());
  CHECK_THAT(seg.error(), Contains(name.name));
}

TEST_CASE("attach refuses wrong magic, version, record size and size", "[shmring]") {
  NameGuard name(unique_name("bad"));
  auto seg = Segment::create(name.name, 16);
  REQUIRE(seg.has_value());
  Header& h = seg->header();

  SECTION("magic") {
    h.magic.store(0x1234);
    auto a = Segment::attach(name.name);
    REQUIRE_FALSE(a.has_value());
    CHECK_THAT(a.error(), Contains(name.name) && Contains("magic"));
  }
  SECTION("not initialised yet") {
    h.magic.store(0);
    auto a = Segment::attach(name.name);
    REQUIRE_FALSE(a.has_value());
    CHECK_THAT(a.error(), Contains(name.name) && Contains("not initialised"));
  }
  SECTION("layout version") {
    h.layout_version = kLayoutVersion + 1;
    auto a = Segment::attach(name.name);
    REQUIRE_FALSE(a.has_value());
    CHECK_THAT(a.error(), Contains(name.name) && Contains("layout version"));
  }
  SECTION("record size") {
    h.record_size = 64;
    auto a = Segment::attach(name.name);
    REQUIRE_FALSE(a.has_value());
    CHECK_THAT(a.error(), Contains(name.name) && Contains("record size"));
  }
  SECTION("header capacity disagrees with the file") {
    h.capacity = 4096;
    auto a = Segment::attach(name.name);
    REQUIRE_FALSE(a.has_value());
    CHECK_THAT(a.error(), Contains(name.name) && Contains("size mismatch"));
  }
  SECTION("file grew") {
    const int fd = ::shm_open(name.name.c_str(), O_RDWR, 0);
    REQUIRE(fd >= 0);
    const int rc = ::ftruncate(fd, static_cast<off_t>(seg->size_bytes() + 4096));
    ::close(fd);
    REQUIRE(rc == 0);
    auto a = Segment::attach(name.name);
    REQUIRE_FALSE(a.has_value());
    CHECK_THAT(a.error(), Contains(name.name) && Contains("size mismatch"));
  }
}

TEST_CASE("attach refuses a segment too small to be ours", "[shmring]") {
  NameGuard name(unique_name("small"));
  const int fd = ::shm_open(name.name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
  REQUIRE(fd >= 0);
  const int rc = ::ftruncate(fd, 100);
  ::close(fd);
  REQUIRE(rc == 0);
  auto a = Segment::attach(name.name);
  REQUIRE_FALSE(a.has_value());
  CHECK_THAT(a.error(), Contains(name.name) && Contains("too small"));
}

TEST_CASE("a memfd works as the segment", "[shmring]") {
  const int fd = ::memfd_create("dstm-shmring-test", MFD_CLOEXEC);
  REQUIRE(fd >= 0);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  auto created = Segment::create_fd(fd, 32);
  REQUIRE(created.has_value());
  auto attached = Segment::attach_fd(fd);
  REQUIRE(attached.has_value());
  Producer producer(*created);
  Consumer consumer(*attached);
  REQUIRE(producer.try_push(make_record(producer.next_sequence())));
  CHECK(consumer.drain(8, [](const Record& r) { CHECK(payload_ok(r)); }) == 1);
  CHECK(producer.last_applied() == 1);
}
