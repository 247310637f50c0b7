// Port bring-up: one RX and one TX queue per worker on every port the configuration names,
// RSS across the RX queues when there are several workers.
#pragma once

#include <cstdint>
#include <string>

#include "runtime.h"
#include "util/expected.h"

namespace dstm::dp {

dstm::Expected<void, std::string> start_ports(Runtime& rt, std::uint16_t queues);
void stop_ports(const Runtime& rt);

}  // namespace dstm::dp
