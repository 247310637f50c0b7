// The main lcore's shared-memory duties, kept apart from the rest of its housekeeping loop:
// the control channel from dstm-agent ([control] shm, control.h) and the counters and status
// segment the dataplane publishes (shmring/stats.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "control.h"
#include "runtime.h"
#include "shmring/stats.h"
#include "util/expected.h"

namespace dstm::dp {

struct ShmControl {
  std::unique_ptr<ControlChannel> channel;  // null without [control] shm
  // Always present: the workers' counters live in it. Named "/<shm>-stats" with [control],
  // private memory without (nobody else can read it then).
  std::unique_ptr<shmring::StatsWriter> stats;
};

// Before the workers start: creates the stats segment and binds every worker's CounterBlock
// to its block (worker i runs on worker_lcores[i]), then attaches the agent's segment if it
// exists and applies what is queued in it (ControlChannel::start). A missing agent segment is
// not an error; a stats segment held by another running dataplane is.
Expected<ShmControl, std::string> start_shm_control(Runtime& rt, const std::vector<unsigned>& worker_lcores);

// One round of the housekeeping loop: applies a batch of the agent's records and publishes
// status and heartbeat. Returns true when records are still waiting, so the loop should come
// back without sleeping (how installs reach 1M/s while the loop otherwise wakes once per ms).
bool shm_control_round(Runtime& rt, ShmControl& shm);

// How long the housekeeping loop sleeps after a round that left nothing waiting: control.poll_us
// with [control], else 1 ms (only reclamation and the idle watch then).
unsigned shm_idle_sleep_us(const Runtime& rt, const ShmControl& shm);

}  // namespace dstm::dp
