// Internal, for this unit's tests only (not part of the public API): leave the ring exactly as
// a process killed inside rte_ring's enqueue or dequeue would (head moved, tail not). It lives
// in the library because it needs DPDK's ring internals and the public header exposes no DPDK.
#pragma once

#include "shmring/shmring.h"

namespace dstm::shmring::test {

// Moves prod.head one slot on, as a producer killed between its head and tail updates.
void simulate_killed_producer(Segment& segment);
// Moves cons.head one slot on, as a consumer killed after claiming a record.
void simulate_killed_consumer(Segment& segment);

}  // namespace dstm::shmring::test
