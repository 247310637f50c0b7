#include "shm_control.h"

#include <cstdio>

namespace dstm::dp {
namespace {

void log_line(std::string_view text) {
  std::fprintf(stderr, "dstm-dataplane: %.*s\n", static_cast<int>(text.size()), text.data());
}

}  // namespace

Expected<ShmControl, std::string> start_shm_control(Runtime& rt) {
  ShmControl shm;
  const ControlConfig& cc = rt.config.control;
  if (!cc.enabled()) return shm;
  shm.channel = std::make_unique<ControlChannel>(cc.shm, cc.batch, *rt.table, log_line);
  const std::uint64_t taken = shm.channel->start();
  if (shm.channel->attached()) {
    log_line("applied " + std::to_string(taken) + " queued record(s) before forwarding; " +
             std::to_string(rt.table->size()) + " mapping(s)");
  }
  return shm;
}

bool shm_control_round(Runtime&, ShmControl& shm) {
  if (!shm.channel) return false;
  return shm.channel->poll() >= shm.channel->batch();
}

}  // namespace dstm::dp
