// Two processes over one named segment: a forked consumer (the "dataplane") and the parent
// producer (the "agent"), including a consumer killed with SIGKILL mid-stream.
// Children report through their exit status only (no Catch2 in a forked child) and always
// leave with _exit, so no test-framework state is torn down twice.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "shmring_test_util.h"

using namespace dstm::shmring;
using namespace dstm::shmring::test;
using namespace std::chrono_literals;

namespace {

// Exit codes of a consumer child; anything else non-zero is a crash.
enum ChildExit : int { kOk = 0, kAttachFailed = 10, kOutOfOrder = 11, kBadPayload = 12, kStalled = 13 };

// A stall is a failure, not a hang: nothing in these tests needs 60 s without progress.
constexpr auto kStallLimit = std::chrono::seconds(60);

// Attaches by name and consumes until `stop_seq` has been applied (or forever when 0, for the
// child that gets killed). Records must be contiguous from the first one seen and intact.
[[noreturn]] void run_consumer(const std::string& name, std::uint64_t stop_seq) {
  auto seg = Segment::attach(name);
  if (!seg) ::_exit(kAttachFailed);
  Consumer consumer(*seg);
  std::uint64_t next = 0;  // 0: accept whatever comes first
  int status = kOk;
  auto last_progress = std::chrono::steady_clock::now();
  for (;;) {
    const unsigned n = consumer.drain(64, [&](const Record& r) {
      if (status != kOk) return;
      if (!payload_ok(r)) status = kBadPayload;
      else if (next != 0 && r.sequence != next) status = kOutOfOrder;
      next = r.sequence + 1;
    });
    if (status != kOk) ::_exit(status);
    if (consumer.corrupt_records() != 0) ::_exit(kBadPayload);
    if (stop_seq != 0 && next > stop_seq) ::_exit(kOk);
    const auto now = std::chrono::steady_clock::now();
    if (n > 0) {
      last_progress = now;
    } else {
      if (now - last_progress > kStallLimit) ::_exit(kStalled);
      std::this_thread::yield();  // two shared cores: let the producer run
    }
  }
}

// Pushes one record, retrying while the ring is full; false if the consumer never made room.
bool push_blocking(Producer& producer, Kind kind = Kind::kUpsert) {
  const auto deadline = std::chrono::steady_clock::now() + kStallLimit;
  while (!producer.try_push(make_record(producer.next_sequence(), kind))) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

int wait_exit(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

// Kills and reaps a child if a REQUIRE throws before the test waited for it.
struct ChildGuard {
  pid_t pid;
  ~ChildGuard() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

}  // namespace

TEST_CASE("a forked consumer receives 1M records in order and intact", "[shmring]") {
  NameGuard name(unique_name("fork"));
  constexpr std::uint64_t kRecords = 1'000'000;
  auto seg = Segment::create(name.name, 1024);
  REQUIRE(seg.has_value());
  Producer producer(*seg);

  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) run_consumer(name.name, kRecords);
  ChildGuard child{pid};

  bool pushed_all = true;
  for (std::uint64_t i = 0; i < kRecords && pushed_all; ++i) pushed_all = push_blocking(producer);
  CHECK(pushed_all);
  CHECK(producer.wait_applied(kRecords, 60s));
  CHECK(wait_exit(pid) == kOk);
  child.pid = 0;
  CHECK(producer.last_applied() == kRecords);
}

TEST_CASE("a consumer killed mid-stream is replaced and the producer sees the new generation",
          "[shmring]") {
  NameGuard name(unique_name("restart"));
  auto seg = Segment::create(name.name, 256);
  REQUIRE(seg.has_value());
  Producer producer(*seg);

  const pid_t first = ::fork();
  REQUIRE(first >= 0);
  if (first == 0) run_consumer(name.name, 0);  // consumes until killed
  ChildGuard first_guard{first};

  // Keep the stream flowing until the first consumer has applied a good part of it, then kill
  // it while the producer still has records in flight.
  constexpr std::uint64_t kBeforeKill = 20'000;
  while (producer.last_applied() < kBeforeKill) REQUIRE(push_blocking(producer));
  for (int i = 0; i < 100; ++i) REQUIRE(push_blocking(producer));
  REQUIRE(producer.generation_changed());  // the first consumer's start, seen now
  REQUIRE(::kill(first, SIGKILL) == 0);
  CHECK(wait_exit(first) == 128 + SIGKILL);
  first_guard.pid = 0;
  const std::uint64_t applied_at_kill = producer.last_applied();

  // The replacement consumes through the end of the snapshot the agent will replay.
  const pid_t second = ::fork();
  REQUIRE(second >= 0);
  // The child must know where to stop before the replay exists: nothing is pushed until the
  // producer notices the new generation, so the replay (begin, kReplay upserts, end) follows
  // directly after what is queued now, and its end sequence is known in advance.
  const std::uint64_t queued_end = producer.next_sequence() - 1;
  constexpr std::uint64_t kReplay = 1000;
  const std::uint64_t snapshot_end = queued_end + kReplay + 2;
  if (second == 0) run_consumer(name.name, snapshot_end);
  ChildGuard second_guard{second};

  // The agent's loop: notice the dataplane restart, then replay the whole set as a snapshot.
  const auto deadline = std::chrono::steady_clock::now() + kStallLimit;
  bool noticed = false;
  while (!(noticed = producer.generation_changed()) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  REQUIRE(noticed);
  CHECK(producer.dataplane_generation() == 2);
  REQUIRE(producer.next_sequence() == queued_end + 1);  // nothing pushed since
  REQUIRE(push_blocking(producer, Kind::kSnapshotBegin));
  for (std::uint64_t i = 0; i < kReplay; ++i) REQUIRE(push_blocking(producer));
  REQUIRE(push_blocking(producer, Kind::kSnapshotEnd));
  REQUIRE(producer.next_sequence() == snapshot_end + 1);

  CHECK(producer.wait_applied(snapshot_end, 60s));
  CHECK(wait_exit(second) == kOk);
  second_guard.pid = 0;
  CHECK(producer.last_applied() == snapshot_end);
  CHECK(applied_at_kill >= kBeforeKill);
}
