// Qsbr: quiescent-state based reclamation for the mapping table, on DPDK's rte_rcu_qsbr.
// Internal to lib/mapping. qsbr.cpp is the only file of this library that includes a DPDK
// header (DESIGN.md, rules of the house); rte_rcu_qsbr is plain memory and atomics, so no
// rte_eal_init is needed, which keeps the table usable in tests and in the control plane.
//
// The guarantee (DPDK's): a token from start() has passed once every reader that was online
// when start() ran has since called quiescent() or gone offline. A record unlinked before
// start() can then be reused: no reader can still hold it. The same holds under
// ThreadSanitizer, which we checked: the reader's quiescent() is a release store of its counter
// and the writer's check is an acquire load of it, so TSan sees the reader's last read of a
// record happen before the writer's reuse of it.
#pragma once

#include <cstdint>
#include <memory>

struct rte_rcu_qsbr;

namespace dstm::mapping::detail {

class Qsbr {
 public:
  explicit Qsbr(unsigned max_readers);
  // False when the QS variable could not be allocated or initialised.
  bool ok() const { return v_ != nullptr; }
  unsigned max_readers() const { return max_readers_; }

  // Readers. Thread-safe; each reader id is used by one thread at a time.
  bool register_reader(unsigned id) const;
  void unregister_reader(unsigned id) const;
  void online(unsigned id) const;
  void offline(unsigned id) const;
  void quiescent(unsigned id) const;

  // Writer (one thread).
  std::uint64_t start();
  bool passed(std::uint64_t token);  // never waits

 private:
  struct Free {
    void operator()(rte_rcu_qsbr* v) const;
  };
  std::unique_ptr<rte_rcu_qsbr, Free> v_;
  unsigned max_readers_;
};

}  // namespace dstm::mapping::detail
