// The main lcore's half of next-hop resolution (packet/next_hop.h): when a gateway has no
// static MAC, send ARP requests / neighbour solicitations on schedule and declare a silent
// gateway unreachable. Workers hear the answers and publish the MAC themselves.
#pragma once

#include <string>

#include "packet/next_hop.h"
#include "runtime.h"
#include "util/expected.h"

namespace dstm::dp {

struct NextHopResolvers {
  NextHopResolver ipv6;
  NextHopResolver ipv4;
};

// Publishes the static MACs, and creates worker 0's control ring (Worker::control) when a side
// needs resolving. Call after start_ports() (the port MACs are known), before the workers run.
dstm::Expected<void, std::string> init_next_hops(Runtime& rt);

// One step of both schedules: queues the frames that are due on worker 0's control ring. Call
// from the main lcore's loop (never from a worker); the first call, before the workers are
// launched, queues the first requests so that they leave before any forwarded packet.
void poll_next_hops(Runtime& rt, NextHopResolvers& resolvers);

// Frees frames still queued (after every worker has stopped).
void drain_next_hops(Runtime& rt);

}  // namespace dstm::dp
