// The main lcore's shared-memory duties, kept apart from the rest of its housekeeping loop:
// the control channel from dstm-agent ([control] shm, control.h).
#pragma once

#include <memory>
#include <string>

#include "control.h"
#include "runtime.h"
#include "util/expected.h"

namespace dstm::dp {

struct ShmControl {
  std::unique_ptr<ControlChannel> channel;  // null without [control] shm
};

// Before the workers start: attaches the agent's segment if it exists and applies what is
// queued in it (ControlChannel::start). A missing segment is not an error.
Expected<ShmControl, std::string> start_shm_control(Runtime& rt);

// One round of the housekeeping loop. Returns true when records are still waiting, so the
// loop should come back without sleeping (it is how installs reach 1M/s while the loop idles
// at one wake-up per millisecond otherwise).
bool shm_control_round(Runtime& rt, ShmControl& shm);

}  // namespace dstm::dp
