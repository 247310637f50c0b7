#include "control.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utility>

namespace dstm::dp {
namespace {

// The inode "/name" names now; 0 if it does not exist.
std::uint64_t inode_of(const std::string& name) {
  const int fd = ::shm_open(name.c_str(), O_RDONLY, 0);
  if (fd < 0) return 0;
  struct stat st{};
  const bool ok = ::fstat(fd, &st) == 0;
  ::close(fd);
  return ok ? static_cast<std::uint64_t>(st.st_ino) : 0;
}

}  // namespace

ControlChannel::ControlChannel(std::string name, unsigned batch, mapping::MappingTable& table, Log log)
    : name_(std::move(name)), batch_(batch == 0 ? 1 : batch), table_(table), log_(std::move(log)) {}

bool ControlChannel::try_attach(std::uint64_t now_ms) {
  if (last_attempt_ms_ && now_ms - *last_attempt_ms_ < kAttachRetryMs) return false;
  last_attempt_ms_ = now_ms;
  auto seg = shmring::Segment::attach(name_);
  if (!seg) {
    // Said once: the agent may legitimately start later, and a line per second would drown
    // the log. The reason (no such segment, wrong layout version...) is in the message.
    if (!said_waiting_) log_("waiting for dstm-agent's segment (retrying every second): " + seg.error());
    said_waiting_ = true;
    return false;
  }
  // Taken after the attach: at worst a segment recreated in between is noticed one check late.
  inode_ = inode_of(name_);
  last_replace_check_ms_ = now_ms;
  said_waiting_ = false;
  segment_ = std::make_unique<shmring::Segment>(std::move(seg.value()));
  // Constructing the Consumer bumps dataplane_generation: the agent replays its whole set.
  feed_ = std::make_unique<MappingFeed>(*segment_, table_);
  log_("attached " + name_ + ": dataplane generation " + std::to_string(feed_->generation()) +
       ", " + std::to_string(segment_->capacity()) + " ring slots");
  return true;
}

std::uint64_t ControlChannel::start(std::uint64_t now_ms) {
  if (!try_attach(now_ms)) return 0;
  // Whatever is queued now is at most the ring's capacity; stopping there bounds the start-up
  // even when the agent keeps pushing.
  const std::uint64_t limit = segment_->capacity();
  std::uint64_t taken = 0;
  while (taken < limit) {
    const unsigned n = feed_->poll(batch_);
    if (n == 0) break;
    taken += n;
    table_.reclaim();
  }
  feed_->heartbeat(now_ms);
  return taken;
}

bool ControlChannel::replaced(std::uint64_t now_ms) {
  if (now_ms - last_replace_check_ms_ < kAttachRetryMs) return false;
  last_replace_check_ms_ = now_ms;
  const std::uint64_t now_inode = inode_of(name_);
  // Gone (0): the agent may be restarting; keep the segment we have until a new one appears.
  return now_inode != 0 && now_inode != inode_;
}

unsigned ControlChannel::poll(std::uint64_t now_ms) {
  if (feed_ != nullptr && replaced(now_ms)) {
    // Records left in the old segment belong to an agent that has gone; the new agent replays
    // its whole set on the new segment once it sees our generation there.
    log_(name_ + " was recreated: attaching the new segment");
    feed_.reset();
    segment_.reset();
    last_attempt_ms_.reset();
  }
  if (feed_ == nullptr && !try_attach(now_ms)) return 0;
  const unsigned n = feed_->poll(batch_);
  // An address the table cannot hold is the agent's (or the operator's) error: say so, but
  // never one line per record.
  const std::uint64_t refused = feed_->stats().refused;
  if (refused != refused_logged_) {
    log_(std::to_string(refused - refused_logged_) +
         " mapping(s) refused: IPv4 address outside every pool and the fallback is full (table.fallback)");
    refused_logged_ = refused;
  }
  feed_->heartbeat(now_ms);
  return n;
}

std::uint64_t ControlChannel::last_applied() const {
  return segment_ ? segment_->header().last_applied_sequence.load(std::memory_order_acquire) : 0;
}

}  // namespace dstm::dp
