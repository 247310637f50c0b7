// The agent's control-socket commands (controlplane/ctl/PROTOCOL.md): status, mappings,
// counters, mapping.add / mapping.del, counters.clear, reload. Reads the dataplane's counters
// and status from its stats segment ("<dataplane.shm>-stats", lib/shmring/stats.h), never from
// the dataplane itself, so an operator's query costs the fast path nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "control/server.h"
#include "shmring/stats.h"
#include "tep_service.h"
#include "tspnet/tspnet.h"

namespace dstm::agent {

// What `reload` may change at run time; the rest needs a restart (and reload says which).
using ReloadFn = std::function<Expected<std::vector<std::string>, std::string>()>;

class AgentControl {
 public:
  AgentControl(TepService& service, const tspnet::Listener& listener, ReloadFn reload);
  void handle(const std::string& cmd, const json::Value& args, control::Reply reply);
  // Called about once a second: samples the stats segment for per-lcore rates.
  void sample();

 private:
  json::Value status();
  control::Response mappings(const json::Value& args);
  control::Response counters(const json::Value& args);
  bool attach_stats();

  TepService& service_;
  const tspnet::Listener& listener_;
  ReloadFn reload_;
  std::uint64_t started_ms_;
  std::optional<shmring::StatsReader> stats_;
  std::optional<shmring::StatsSnapshot> previous_, latest_;
  // counters.clear: the totals at the time of the clear, subtracted on read (the dataplane's
  // blocks have one writer each and are never written by a reader).
  std::vector<std::uint64_t> baseline_packets_, baseline_bytes_;
  std::uint64_t baseline_generation_ = 0;
};

}  // namespace dstm::agent
