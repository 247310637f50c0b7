// DPDK-specific by nature: the grace periods of the mapping table come from rte_rcu_qsbr.
#include "mapping/qsbr.h"

#include <rte_rcu_qsbr.h>

#include <cstdlib>

namespace dstm::mapping::detail {

namespace {

rte_rcu_qsbr* make_qsbr(unsigned max_readers) {
  const std::size_t bytes = rte_rcu_qsbr_get_memsize(max_readers);
  if (bytes == 0) return nullptr;
  // rte_rcu_qsbr is cache-line aligned; get_memsize already rounds to a cache-line multiple,
  // as aligned_alloc requires.
  void* p = std::aligned_alloc(RTE_CACHE_LINE_SIZE, bytes);
  if (p == nullptr) return nullptr;
  auto* v = static_cast<rte_rcu_qsbr*>(p);
  if (rte_rcu_qsbr_init(v, max_readers) != 0) {
    std::free(p);
    return nullptr;
  }
  return v;
}

}  // namespace

void Qsbr::Free::operator()(rte_rcu_qsbr* v) const {
  std::free(v);
}

Qsbr::Qsbr(unsigned max_readers) : v_(make_qsbr(max_readers)), max_readers_(max_readers) {}

bool Qsbr::register_reader(unsigned id) const {
  return id < max_readers_ && rte_rcu_qsbr_thread_register(v_.get(), id) == 0;
}

void Qsbr::unregister_reader(unsigned id) const {
  if (id < max_readers_) rte_rcu_qsbr_thread_unregister(v_.get(), id);
}

// DPDK checks the id only under RTE_ASSERT; a wrong id would write past the counters.
void Qsbr::online(unsigned id) const {
  if (id < max_readers_) rte_rcu_qsbr_thread_online(v_.get(), id);
}
void Qsbr::offline(unsigned id) const {
  if (id < max_readers_) rte_rcu_qsbr_thread_offline(v_.get(), id);
}
void Qsbr::quiescent(unsigned id) const {
  if (id < max_readers_) rte_rcu_qsbr_quiescent(v_.get(), id);
}

std::uint64_t Qsbr::start() {
  return rte_rcu_qsbr_start(v_.get());
}

bool Qsbr::passed(std::uint64_t token) {
  return rte_rcu_qsbr_check(v_.get(), token, false) == 1;
}

}  // namespace dstm::mapping::detail
