// The dataplane's end of the control channel (issue #4, DESIGN.md flows 1, 3, 6): attaches the
// segment dstm-agent created, feeds its records to the mapping table through MappingFeed, and
// keeps the dataplane's heartbeat. It runs on the table's one writer (the main lcore's
// housekeeping loop), never on a worker. DPDK-free (no EAL), so it is unit-tested on its own.
//
// The agent owns the segment: when it is not there yet (the agent starts later, or is being
// restarted) the dataplane forwards with the table it has and tries again every second. If the
// name comes to hold a new segment (an agent that recreated it), the dataplane moves to the new
// one, which bumps that segment's generation so the agent replays its set.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "feed.h"
#include "mapping/mapping.h"
#include "shmring/shmring.h"

namespace dstm::dp {

class ControlChannel {
 public:
  using Log = std::function<void(std::string_view)>;
  static constexpr std::uint64_t kAttachRetryMs = 1000;

  // name: the segment ("/dstm-tep"); batch: most records applied per poll().
  ControlChannel(std::string name, unsigned batch, mapping::MappingTable& table, Log log);

  // Start-up, before the workers forward: attaches if the segment exists and applies every
  // record already queued (bounded by the ring's capacity, so a busy agent cannot hold the
  // start-up forever). Returns how many records were taken. A test that fills the ring before
  // starting the dataplane thereby gets deterministic forwarding from the first packet.
  std::uint64_t start(std::uint64_t now_ms = shmring::monotonic_ms());

  // One housekeeping round: attach if not yet attached, or re-attach if the name now holds
  // another segment (each checked at most once per kAttachRetryMs), apply at most `batch`
  // records, write the heartbeat. Returns how many records were taken:
  // `batch` means more may be waiting, so the caller should come back without sleeping.
  unsigned poll(std::uint64_t now_ms = shmring::monotonic_ms());

  bool attached() const { return feed_ != nullptr; }
  unsigned batch() const { return batch_; }
  // The dataplane generation this process got when it attached; 0 while not attached.
  std::uint64_t generation() const { return feed_ ? feed_->generation() : 0; }
  std::uint64_t last_applied() const;
  // Zeros while not attached.
  FeedStats stats() const { return feed_ ? feed_->stats() : FeedStats{}; }

 private:
  bool try_attach(std::uint64_t now_ms);
  bool replaced(std::uint64_t now_ms);  // the name holds another segment than ours

  std::string name_;
  unsigned batch_;
  mapping::MappingTable& table_;
  Log log_;
  // The Consumer inside the feed points at the segment: both live on the heap, so neither
  // moves once made; feed_ is declared after segment_ and so destroyed first.
  std::unique_ptr<shmring::Segment> segment_;
  std::unique_ptr<MappingFeed> feed_;
  std::optional<std::uint64_t> last_attempt_ms_;
  std::uint64_t last_replace_check_ms_ = 0;
  std::uint64_t inode_ = 0;  // of the segment we attached, to notice a recreated one
  bool said_waiting_ = false;
  std::uint64_t refused_logged_ = 0;
};

}  // namespace dstm::dp
