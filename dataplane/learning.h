// Learning mode's DPDK glue (learn.h holds the rules): one SP/SC rte_ring per worker for its
// learn requests, drained by the main lcore.
#pragma once

#include <string>

#include "learn.h"
#include "runtime.h"
#include "util/expected.h"

namespace dstm::dp {

// Creates every worker's learn ring when [dataplane] learning is on. Before the workers run.
dstm::Expected<void, std::string> init_learning(Runtime& rt);

// Main lcore: applies at most kLearnPerPoll requests per worker, counting the outcomes in
// rt.housekeeping_counters (learn-installed, drop-learn-rate-limited).
void poll_learning(Runtime& rt, Learner& learner);

// Frees the rings (after every worker has stopped).
void free_learning(Runtime& rt);

}  // namespace dstm::dp
