// dstm-server's control-socket commands (controlplane/ctl/PROTOCOL.md): status, leases, pools,
// lease.release, teps, sessions, counters, counters.clear, reload.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "control/server.h"
#include "lease_service.h"
#include "tspnet/tspnet.h"

namespace dstm::server {

using ReloadFn = std::function<Expected<std::vector<std::string>, std::string>()>;

class ServerControl {
 public:
  ServerControl(LeaseService& service, const tspnet::Listener& listener, ReloadFn reload);
  void handle(const std::string& cmd, const json::Value& args, control::Reply reply);

 private:
  json::Value status() const;
  control::Response leases(const json::Value& args) const;
  json::Value pools() const;
  json::Value teps() const;
  json::Value sessions() const;
  control::Response counters(const json::Value& args) const;
  std::vector<std::pair<std::string, std::pair<std::string, std::uint64_t>>> counter_values() const;

  LeaseService& service_;
  const tspnet::Listener& listener_;
  ReloadFn reload_;
  std::uint64_t started_ms_;
  std::map<std::string, std::uint64_t> baseline_;  // counters.clear
};

}  // namespace dstm::server
