// shmring/stats.h: the dataplane's counters and status segment, written by one process and read
// by others (dstm-agent, dstmctl) without any compile-time copy of the counter names.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "shmring/shmring.h"
#include "shmring/stats.h"
#include "shmring_test_util.h"

using namespace dstm::shmring;
using namespace dstm::shmring::test;

namespace {

StatsLayout layout(std::uint32_t lcores = 2) {
  StatsLayout l;
  l.counters = {{"in-ipv6", "IPv6 packets received"}, {"out-ipv4", "IPv4 packets sent"}, {"drop-x", ""}};
  for (std::uint32_t i = 0; i < lcores; ++i) l.lcores.push_back(i + 1);  // lcore ids 1, 2, ...
  l.pools = {{(192u << 24) | (2u << 8), 24}, {10u << 24, 12}};
  l.mapping_capacity = 4096;
  return l;
}

// What a worker does: a relaxed load + store of its own word.
void bump(std::uint64_t* word, std::uint64_t n) {
  std::atomic_ref<std::uint64_t> w(*word);
  w.store(w.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

// Overwrites `bytes` at `offset` of the named segment, as a foreign or older writer would have.
void poke(const std::string& name, std::size_t offset, const void* bytes, std::size_t n) {
  int fd = ::shm_open(name.c_str(), O_RDWR, 0);
  REQUIRE(fd >= 0);
  void* base = ::mmap(nullptr, offset + n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ::close(fd);
  REQUIRE(base != MAP_FAILED);
  std::memcpy(static_cast<unsigned char*>(base) + offset, bytes, n);
  ::munmap(base, offset + n);
}

}  // namespace

TEST_CASE("the stats layout: header lines, aligned lcore blocks, self-describing names", "[stats]") {
  NameGuard name(unique_name("stats-layout"));
  auto w = StatsWriter::create(name.name, layout(3));
  REQUIRE(w);
  const StatsHeader& h = w->header();
  CHECK(h.magic.load() == kStatsMagic);
  CHECK(h.layout_version == kStatsLayoutVersion);
  CHECK(h.counter_count == 3);
  CHECK(h.lcore_count == 3);
  CHECK(h.pool_count == 2);
  CHECK(h.blocks_offset % kStatsLine == 0);
  CHECK(h.block_bytes % kStatsLine == 0);
  CHECK(h.block_bytes >= sizeof(StatsLcoreHeader) + 2 * 3 * sizeof(std::uint64_t));
  CHECK(h.segment_bytes == w->size_bytes());
  CHECK(h.pid == ::getpid());
  // Each lcore's words are its own: blocks never share a cache line.
  for (std::uint32_t i = 0; i < 3; ++i) {
    LcoreWords l = w->lcore(i);
    CHECK(reinterpret_cast<std::uintptr_t>(l.rx_packets) / kStatsLine !=
          reinterpret_cast<std::uintptr_t>(w->lcore((i + 1) % 3).bytes + 2) / kStatsLine);
    CHECK(reinterpret_cast<std::uintptr_t>(l.packets) % 8 == 0);
  }
  CHECK(w->lcore(3).packets == nullptr);  // out of range

  auto r = StatsReader::attach(name.name);
  REQUIRE(r);
  REQUIRE(r->counters().size() == 3);
  CHECK(r->counters()[0].name == "in-ipv6");
  CHECK(r->counters()[1].description == "IPv4 packets sent");
  CHECK(r->counters()[2].description.empty());
  REQUIRE(r->pools().size() == 2);
  CHECK(r->pools()[1].network == 10u << 24);
  CHECK(r->pools()[1].length == 12);
  auto s = r->snapshot();
  REQUIRE(s.lcores.size() == 3);
  CHECK(s.lcores[2].lcore_id == 3);
  CHECK(s.mapping_capacity == 4096);
  CHECK(s.pid == ::getpid());
  CHECK(s.packets == std::vector<std::uint64_t>{0, 0, 0});
}

TEST_CASE("a reader sums the lcores and sees the status", "[stats]") {
  NameGuard name(unique_name("stats-sum"));
  auto w = StatsWriter::create(name.name, layout(2));
  REQUIRE(w);
  auto r = StatsReader::attach(name.name);
  REQUIRE(r);
  LcoreWords a = w->lcore(0), b = w->lcore(1);
  bump(&a.packets[0], 5);
  bump(&a.bytes[0], 500);
  bump(&b.packets[0], 7);
  bump(&b.bytes[0], 700);
  bump(&b.packets[2], 1);
  bump(a.rx_packets, 5);
  bump(b.tx_packets, 9);
  w->header().mappings.store(42);
  w->header().dataplane_generation.store(3);
  w->header().heartbeat_ms.store(1234);
  auto s = r->snapshot();
  CHECK(s.packets == std::vector<std::uint64_t>{12, 0, 1});
  CHECK(s.bytes == std::vector<std::uint64_t>{1200, 0, 0});
  CHECK(s.lcores[0].packets == std::vector<std::uint64_t>{5, 0, 0});
  CHECK(s.lcores[1].packets == std::vector<std::uint64_t>{7, 0, 1});
  CHECK(s.lcores[0].rx_packets == 5);
  CHECK(s.lcores[1].tx_packets == 9);
  CHECK(s.rx_packets == 5);
  CHECK(s.tx_packets == 9);
  CHECK(s.mappings == 42);
  CHECK(s.dataplane_generation == 3);
  CHECK(s.heartbeat_ms == 1234);
}

TEST_CASE("a reader in another process sees the writer's counters grow", "[stats]") {
  NameGuard name(unique_name("stats-fork"));
  auto w = StatsWriter::create(name.name, layout(1));
  REQUIRE(w);
  constexpr std::uint64_t kTarget = 100000;
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // The reader: its own mapping (attached by name), never the parent's pointers.
    auto r = StatsReader::attach(name.name);
    if (!r) ::_exit(10);
    if (r->counters().size() != 3 || r->counters()[1].name != "out-ipv4") ::_exit(11);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    std::uint64_t last = 0;
    for (;;) {
      auto s = r->snapshot();
      if (s.packets[1] < last) ::_exit(12);  // a counter never goes back
      last = s.packets[1];
      if (last == kTarget && s.bytes[1] == 64 * kTarget && s.mappings == 77) ::_exit(0);
      if (std::chrono::steady_clock::now() > deadline) ::_exit(13);
      std::this_thread::yield();
    }
  }
  LcoreWords l = w->lcore(0);
  for (std::uint64_t i = 0; i < kTarget; ++i) {
    bump(&l.packets[1], 1);
    bump(&l.bytes[1], 64);
  }
  w->header().mappings.store(77, std::memory_order_relaxed);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("wrong magic, wrong version and a wrong size are refused", "[stats]") {
  NameGuard name(unique_name("stats-bad"));
  {
    auto w = StatsWriter::create(name.name, layout());
    REQUIRE(w);
    SECTION("magic") {
      const std::uint64_t bad = 0x1122334455667788ULL;
      poke(name.name, offsetof(StatsHeader, magic), &bad, sizeof bad);
      auto r = StatsReader::attach(name.name);
      REQUIRE_FALSE(r);
      CHECK(r.error().find("bad magic") != std::string::npos);
    }
    SECTION("version") {
      const std::uint32_t v = kStatsLayoutVersion + 1;
      poke(name.name, offsetof(StatsHeader, layout_version), &v, sizeof v);
      auto r = StatsReader::attach(name.name);
      REQUIRE_FALSE(r);
      CHECK(r.error().find("layout version") != std::string::npos);
    }
    SECTION("counter count that does not match the size") {
      const std::uint32_t n = 1000;
      poke(name.name, offsetof(StatsHeader, counter_count), &n, sizeof n);
      auto r = StatsReader::attach(name.name);
      REQUIRE_FALSE(r);
      CHECK(r.error().find("size mismatch") != std::string::npos);
    }
    SECTION("a name without its terminator") {
      std::vector<char> full(kCounterNameBytes, 'x');
      poke(name.name, w->header().names_offset, full.data(), full.size());
      auto r = StatsReader::attach(name.name);
      REQUIRE_FALSE(r);
      CHECK(r.error().find("not terminated") != std::string::npos);
    }
  }
  CHECK_FALSE(StatsReader::attach(name.name));  // the writer unlinked it on the way out
}

TEST_CASE("a rogue segment is not touched, a stale one is replaced, a live one refused", "[stats]") {
  NameGuard name(unique_name("stats-stale"));
  SECTION("stale: its dataplane is gone") {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      auto w = StatsWriter::create(name.name, layout());
      ::_exit(w ? 0 : 1);  // exits without the destructor: the segment stays, like kill -9
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WEXITSTATUS(status) == 0);
    auto before = StatsReader::attach(name.name);
    REQUIRE(before);
    CHECK(before->snapshot().pid == child);
    CHECK_FALSE(before->replaced());
    auto w = StatsWriter::create(name.name, layout());
    REQUIRE(w);
    CHECK(w->header().pid == ::getpid());
    CHECK(before->replaced());  // readers learn they must attach again
    auto after = StatsReader::attach(name.name);
    REQUIRE(after);
    CHECK(after->snapshot().pid == ::getpid());
  }
  SECTION("live: a running dataplane keeps its segment, a silent one does not") {
    int ready[2];
    REQUIRE(::pipe(ready) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      auto w = StatsWriter::create(name.name, layout());
      char c = w ? 1 : 0;
      if (::write(ready[1], &c, 1) != 1) ::_exit(1);
      ::pause();  // alive until killed
      ::_exit(0);
    }
    char c = 0;
    REQUIRE(::read(ready[0], &c, 1) == 1);
    REQUIRE(c == 1);
    auto refused = StatsWriter::create(name.name, layout());
    // The same pid with a heartbeat long silent: a reused pid or a hung writer; replaced.
    const std::uint64_t old = monotonic_ms() - kStaleHeartbeatMs - 1;
    poke(name.name, offsetof(StatsHeader, heartbeat_ms), &old, sizeof old);
    auto replaced = StatsWriter::create(name.name, layout());
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    ::close(ready[0]);
    ::close(ready[1]);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().find("running dataplane (pid " + std::to_string(child)) != std::string::npos);
    REQUIRE(replaced);
    CHECK(replaced->header().pid == ::getpid());
  }
  SECTION("not ours") {
    int fd = ::shm_open(name.name.c_str(), O_CREAT | O_RDWR, 0600);
    REQUIRE(fd >= 0);
    REQUIRE(::ftruncate(fd, 4096) == 0);
    ::close(fd);
    const std::uint64_t other = 0x0102030405060708ULL;
    poke(name.name, 0, &other, sizeof other);
    auto w = StatsWriter::create(name.name, layout());
    REQUIRE_FALSE(w);
    CHECK(w.error().find("not a dstm stats segment") != std::string::npos);
  }
}

TEST_CASE("bad layouts are refused before anything is created", "[stats]") {
  StatsLayout l = layout();
  SECTION("no lcore") { l.lcores.clear(); }
  SECTION("a name too long") { l.counters[0].name = std::string(kCounterNameBytes, 'n'); }
  SECTION("a description too long") { l.counters[0].description = std::string(kCounterDescriptionBytes, 'd'); }
  SECTION("a prefix over /32") { l.pools[0].length = 33; }
  CHECK_FALSE(StatsWriter::create_private(l));
}

TEST_CASE("private stats work as counters but have no name", "[stats]") {
  auto w = StatsWriter::create_private(layout(2));
  REQUIRE(w);
  CHECK(w->name().empty());
  LcoreWords l = w->lcore(1);
  bump(&l.packets[2], 3);
  CHECK(l.packets[2] == 3);
}
