// RetireRing: records the writer has unlinked, oldest first, each waiting for a grace period
// before it may be written again. Internal to lib/mapping; writer thread only.
//
// Grace periods are taken per batch, not per record: reclaim() closes the batch of everything
// retired since the last call with one rte_rcu_qsbr_start(). Readers then see the shared
// token change once per reclaim() call instead of once per update, which keeps the token's
// cache line quiet while the writer applies a burst of updates.
#pragma once

#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>

#include "mapping/huge_array.h"
#include "mapping/qsbr.h"

namespace dstm::mapping::detail {

class RetireRing {
 public:
  // capacity: the number of records. A record is retired at most once between two reuses, so
  // the ring can never hold more than that and push() needs no failure path.
  RetireRing() = default;
  explicit RetireRing(std::size_t capacity) : ring_(capacity) {}
  bool ok() const { return ring_.ok(); }

  void push(std::uint32_t record) {
    assert(pending() < ring_.size());
    ring_[pushed_ % ring_.size()] = record;
    ++pushed_;
  }

  std::size_t pending() const { return static_cast<std::size_t>(pushed_ - freed_); }

  // Starts one grace period for everything pushed since the last call. When every batch slot
  // is taken the records stay in the open batch and get a token on a later call.
  void close_batch(Qsbr& qsbr) {
    if (closed_ == pushed_ || batch_count_ == kMaxBatches) return;
    batches_[(batch_head_ + batch_count_) % kMaxBatches] = Batch{qsbr.start(), pushed_};
    ++batch_count_;
    closed_ = pushed_;
  }

  // Hands to free_one(record), oldest first, at most budget records whose grace period has
  // passed. free_one may push() (a freed home record pulls its value back home and retires
  // the spare that held it); such records join the open batch. Returns how many were freed.
  template <class Fn>
  std::uint32_t drain(Qsbr& qsbr, std::uint32_t budget, Fn&& free_one) {
    std::uint32_t done = 0;
    while (done < budget && batch_count_ > 0) {
      const Batch& b = batches_[batch_head_];
      // Tokens grow with the batches, so the oldest batch is the first to pass.
      if (!qsbr.passed(b.token)) break;
      while (done < budget && freed_ < b.end) {
        free_one(ring_[freed_ % ring_.size()]);
        ++freed_;
        ++done;
      }
      if (freed_ < b.end) break;
      batch_head_ = (batch_head_ + 1) % kMaxBatches;
      --batch_count_;
    }
    return done;
  }

 private:
  static constexpr std::size_t kMaxBatches = 64;
  struct Batch {
    std::uint64_t token = 0;
    std::uint64_t end = 0;  // pushed_ when the batch was closed
  };

  HugeArray<std::uint32_t> ring_;
  std::array<Batch, kMaxBatches> batches_{};
  std::size_t batch_head_ = 0;
  std::size_t batch_count_ = 0;
  std::uint64_t pushed_ = 0;  // records ever pushed
  std::uint64_t freed_ = 0;   // records ever handed to free_one
  std::uint64_t closed_ = 0;  // pushed_ at the last close_batch()
};

}  // namespace dstm::mapping::detail
