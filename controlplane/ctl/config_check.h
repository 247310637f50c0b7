// dstmctl config check FILE: runs the daemon's own configuration parser on FILE (no daemon
// needed, nothing is changed) and prints "FILE: OK (KIND)" or its first error as
// FILE:LINE: KEY: what. The kind is told by the file's tables unless given.
#pragma once

#include <ostream>
#include <string>

namespace dstm::ctl {

// kind: "auto", "agent", "server" or "dataplane". Returns the exit status (0 valid, 1 not).
int check_config(const std::string& file, const std::string& kind, std::ostream& out,
                 std::ostream& err);

}  // namespace dstm::ctl
