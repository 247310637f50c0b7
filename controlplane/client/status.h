// `dstm-client status`: the running client's state as JSON (the control socket's "status"
// answer) and as the table the subcommand prints.
#pragma once

#include <cstdint>
#include <string>

#include "client_machine.h"
#include "dti.h"
#include "json/json.h"

namespace dstm::client {

struct StatusInputs {
  const ClientMachine* machine = nullptr;  // null with --static-lease
  std::optional<Lease> static_lease;
  const Dti* dti = nullptr;
  std::string dti_name;
  std::string server;     // the server in use, "ADDRESS:PORT"
  std::string transport;  // tcp | udp
  std::uint64_t now_ms = 0;        // the machine's clock
  std::int64_t wall_now_s = 0;     // Unix time now
};

json::Value status_json(const StatusInputs& in);
// The human form of status_json's value.
std::string format_status(const json::Value& status);

}  // namespace dstm::client
