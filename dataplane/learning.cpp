#include "learning.h"

#include <rte_cycles.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

namespace dstm::dp {
namespace {

constexpr unsigned kLearnRingSize = 256;  // per worker; full: drop-learn-ring-full
constexpr unsigned kLearnPerPoll = 32;    // per worker and poll: bounded work for the main lcore

}  // namespace

dstm::Expected<void, std::string> init_learning(Runtime& rt) {
  if (!rt.config.learning) return {};
  for (auto& w : rt.workers) {
    const std::string name = "dstm_learn" + std::to_string(w->index);
    w->learn = rte_ring_create_elem(name.c_str(), sizeof(LearnRequest), kLearnRingSize,
                                    static_cast<int>(rte_socket_id()), RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (w->learn == nullptr) return dstm::unexpected("learn ring: " + std::string(rte_strerror(rte_errno)));
  }
  return {};
}

void poll_learning(Runtime& rt, Learner& learner) {
  if (!rt.config.learning) return;
  const std::uint64_t now_ms = rte_get_timer_cycles() * 1000 / rte_get_timer_hz();
  for (auto& w : rt.workers) {
    LearnRequest requests[kLearnPerPoll];
    const unsigned n = rte_ring_sc_dequeue_burst_elem(w->learn, requests, sizeof(LearnRequest), kLearnPerPoll, nullptr);
    for (unsigned i = 0; i < n; ++i) {
      switch (learner.apply(requests[i], now_ms)) {
        case Learner::Outcome::kInstalled: rt.housekeeping_counters.add(Counter::kLearnInstalled, 0); break;
        case Learner::Outcome::kRateLimited: rt.housekeeping_counters.add(Counter::kDropLearnRateLimited, 0); break;
        case Learner::Outcome::kExists:  // an earlier packet of the same node was faster
        case Learner::Outcome::kRefused: break;
      }
    }
  }
}

void free_learning(Runtime& rt) {
  for (auto& w : rt.workers) {
    rte_ring_free(w->learn);
    w->learn = nullptr;
  }
}

}  // namespace dstm::dp
