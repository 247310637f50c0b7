#include "learn.h"

#include <algorithm>

namespace dstm::dp {

Learner::Outcome Learner::apply(const LearnRequest& request, std::uint64_t now_ms) {
  // Only pool addresses are ever leased (the worker checks too); the fallback is for the
  // operator's static mappings, not for claims.
  if (!table_.in_pools(request.ipv4)) return Outcome::kRefused;
  mapping::Ipv6Value existing;
  if (table_.lookup(request.ipv4, &existing)) return Outcome::kExists;  // never replace
  if (!started_) {
    started_ = true;
    tokens_ = per_second_;
    refill_ms_ = now_ms;
  }
  const std::uint64_t fresh = (now_ms - refill_ms_) * per_second_ / 1000;
  if (fresh > 0) {
    tokens_ = std::min<std::uint64_t>(per_second_, tokens_ + fresh);
    refill_ms_ = now_ms;
  }
  if (tokens_ == 0) return Outcome::kRateLimited;
  // A first value needs no spare record, so busy is not expected; a few reclaims bound it.
  for (int attempt = 0; attempt < 4; ++attempt) {
    const auto r = table_.upsert(request.ipv4, mapping::Ipv6Value{request.ipv6});
    if (r == mapping::UpsertResult::inserted) {
      --tokens_;
      return Outcome::kInstalled;
    }
    if (r == mapping::UpsertResult::unchanged) return Outcome::kExists;
    if (r != mapping::UpsertResult::busy) break;
    table_.reclaim();
  }
  return Outcome::kRefused;
}

}  // namespace dstm::dp
