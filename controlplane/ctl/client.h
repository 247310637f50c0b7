// One request, one answer over a control socket (PROTOCOL.md).
#pragma once

#include <chrono>
#include <string>

#include "json/json.h"
#include "util/expected.h"

namespace dstm::ctl {

struct CallError {
  enum class Kind {
    kUnreachable,  // connect failed, no answer in time, or closed before answering
    kProtocol,     // the answer is not the protocol's
  };
  Kind kind;
  std::string message;
};

// Connects to `socket_path`, sends {"cmd": cmd, "args": args} on one line and returns the
// answer object ({"ok": ...}), checked to have the protocol's shape. `daemon` names the
// daemon in error messages ("dstm-agent").
Expected<json::Value, CallError> call(const std::string& socket_path, std::string_view daemon,
                                      std::string_view cmd, const json::Value& args,
                                      std::chrono::milliseconds timeout);

}  // namespace dstm::ctl
