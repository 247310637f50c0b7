// See testing.h.
#include "shmring/testing.h"

#include <rte_ring.h>

namespace dstm::shmring::test {

void simulate_killed_producer(Segment& segment) {
  rte_ring* r = segment.ring();
  r->prod.head = r->prod.head + 1;
}

void simulate_killed_consumer(Segment& segment) {
  rte_ring* r = segment.ring();
  r->cons.head = r->cons.head + 1;
}

}  // namespace dstm::shmring::test
