// The in-memory allocator: the source of truth while the server runs (draft-bound-dstm-exp-00
// §6.2: the pool and the lifetimes of its addresses).
#include <algorithm>
#include <cmath>

#include "lease/lease.h"

namespace dstm::lease {

namespace {
using tsp::Status;

// RFC 1812 §4.2.3.1 directed broadcast / §4.2.2.11 network address exist only in prefixes
// shorter than /31 (RFC 3021 gives a /31 two usable host addresses; a /32 is one host).
constexpr std::uint8_t kLongestWithBroadcast = 30;

std::uint64_t prefix_of_64(const net::Ipv6Address& a) {
  return net::detail::load_be64(a.bytes().data());
}
}  // namespace

Expected<Allocator, std::string> Allocator::create(PoolConfig config) {
  if (config.prefixes.empty()) return unexpected(std::string("no pool prefixes"));
  for (std::size_t i = 0; i < config.prefixes.size(); ++i) {
    for (std::size_t j = i + 1; j < config.prefixes.size(); ++j) {
      const auto& a = config.prefixes[i];
      const auto& b = config.prefixes[j];
      if (a.contains(b) || b.contains(a)) {
        return unexpected("pool prefixes overlap: " + a.to_string() + " and " + b.to_string());
      }
    }
  }
  if (config.default_lifetime_s == 0 || config.max_lifetime_s == 0 ||
      config.default_lifetime_s > config.max_lifetime_s) {
    return unexpected(std::string("lifetimes must satisfy 0 < default <= max"));
  }
  if (!(config.anonymous_share >= 0.0 && config.anonymous_share <= 1.0)) {
    return unexpected(std::string("anonymous_share must be in [0, 1]"));
  }
  return Allocator(std::move(config));
}

Allocator::Allocator(PoolConfig config) : config_(std::move(config)) {
  for (const auto& p : config_.prefixes) {
    base_.push_back(total_);
    total_ += p.size();  // disjoint prefixes: at most 2^32 in all
  }
  free_ = detail::FreeSet(total_);
  reserved_ = detail::FreeSet(total_);
  for (std::size_t i = 0; i < config_.prefixes.size(); ++i) {
    const auto& p = config_.prefixes[i];
    if (p.length() <= kLongestWithBroadcast) {
      reserved_.set(base_[i]);
      reserved_.set(base_[i] + p.size() - 1);
    }
  }
  for (const auto& a : config_.excluded) {
    if (auto index = index_of(a)) reserved_.set(*index);  // outside the pools: nothing to do
  }
  for (std::uint64_t i = 0; i < total_; ++i) {
    if (!reserved_.test(i)) {
      free_.set(i);
      ++allocatable_;
    }
  }
}

std::optional<std::uint64_t> Allocator::index_of(net::Ipv4Address a) const {
  for (std::size_t i = 0; i < config_.prefixes.size(); ++i) {
    if (auto offset = config_.prefixes[i].offset_of(a)) return base_[i] + *offset;
  }
  return std::nullopt;
}

net::Ipv4Address Allocator::address_at(std::uint64_t index) const {
  const auto after = std::upper_bound(base_.begin(), base_.end(), index);
  const auto i = static_cast<std::size_t>(after - base_.begin()) - 1;
  return config_.prefixes[i].at(static_cast<std::uint32_t>(index - base_[i]));
}

bool Allocator::allocatable(std::uint64_t index) const { return !reserved_.test(index); }

std::uint32_t Allocator::clamp(std::uint32_t lifetime_s) const {
  if (lifetime_s == 0) return config_.default_lifetime_s;
  return std::min(lifetime_s, config_.max_lifetime_s);
}

std::optional<std::uint64_t> Allocator::sticky_index(const std::string& identity,
                                                     bool anonymous,
                                                     const net::Ipv6Address& node) const {
  std::optional<std::uint32_t> previous;
  if (anonymous) {
    if (auto it = last_by_node_.find(node); it != last_by_node_.end()) previous = it->second;
  } else if (auto it = last_by_identity_.find(identity); it != last_by_identity_.end()) {
    previous = it->second;
  }
  if (!previous) return std::nullopt;
  const auto index = index_of(net::Ipv4Address::from_host(*previous));
  // The pools may have changed since (restore): only a free, allocatable address is given.
  if (!index || !allocatable(*index) || !free_.test(*index)) return std::nullopt;
  return index;
}

void Allocator::remember_holder(const Lease& lease) {
  const std::uint32_t key = lease.ipv4.to_host();
  if (auto old = last_holder_.find(key); old != last_holder_.end()) {
    // The previous holder loses its claim on this address; forget it so the maps stay
    // bounded by the pool size.
    const Holder& h = old->second;
    if (h.anonymous) {
      if (auto it = last_by_node_.find(h.node); it != last_by_node_.end() && it->second == key) {
        last_by_node_.erase(it);
      }
    } else if (auto it = last_by_identity_.find(h.identity);
               it != last_by_identity_.end() && it->second == key) {
      last_by_identity_.erase(it);
    }
  }
  last_holder_[key] = Holder{lease.anonymous, lease.identity, lease.ipv6};
  if (lease.anonymous) {
    last_by_node_[lease.ipv6] = key;
  } else {
    last_by_identity_[lease.identity] = key;
  }
}

void Allocator::insert(const Lease& lease, std::uint64_t index) {
  const std::uint32_t key = lease.ipv4.to_host();
  free_.reset(index);
  leases_.emplace(key, lease);
  by_expiry_.emplace(lease.expires_at, key);
  if (lease.anonymous) {
    by_node_[lease.ipv6] = key;
    ++anonymous_per_64_[prefix_of_64(lease.ipv6)];
    ++anonymous_count_;
  } else {
    by_identity_[lease.identity] = key;
  }
  remember_holder(lease);
}

void Allocator::erase(std::unordered_map<std::uint32_t, Lease>::iterator it) {
  const Lease& lease = it->second;
  if (auto index = index_of(lease.ipv4)) free_.set(*index);
  by_expiry_.erase({lease.expires_at, it->first});
  if (lease.anonymous) {
    by_node_.erase(lease.ipv6);
    const auto per_64 = anonymous_per_64_.find(prefix_of_64(lease.ipv6));
    if (--per_64->second == 0) anonymous_per_64_.erase(per_64);
    --anonymous_count_;
  } else {
    by_identity_.erase(lease.identity);
  }
  leases_.erase(it);
}

Lease Allocator::renew_entry(Lease& lease, std::uint64_t now, std::uint32_t lifetime_s) {
  const std::uint32_t key = lease.ipv4.to_host();
  by_expiry_.erase({lease.expires_at, key});
  lease.expires_at = now + clamp(lifetime_s);
  by_expiry_.emplace(lease.expires_at, key);
  return lease;
}

Expected<Lease, tsp::Status> Allocator::allocate(const std::string& identity, bool anonymous,
                                                 const net::Ipv6Address& node,
                                                 std::optional<net::Ipv4Address> requested,
                                                 std::uint32_t lifetime_s, std::uint64_t now) {
  // §2.1 of the DSTM TSP profile: the Create carries the node's global IPv6 address, which
  // the TEP will tunnel to; anything else cannot be mapped (309).
  if (!node.is_global_unicast()) return unexpected(Status::kInvalidIpv6);

  // One lease per holder: a retried Create (lost answer, reconnect) gets the same address.
  if (anonymous) {
    if (auto it = by_node_.find(node); it != by_node_.end()) {
      return renew_entry(leases_.at(it->second), now, lifetime_s);
    }
  } else if (auto it = by_identity_.find(identity); it != by_identity_.end()) {
    return renew_entry(leases_.at(it->second), now, lifetime_s);
  }

  std::optional<std::uint64_t> index;
  if (requested) {
    index = index_of(*requested);
    if (!index || !allocatable(*index)) return unexpected(Status::kInvalidIpv4);
    if (!free_.test(*index)) return unexpected(Status::kAddressUnavailable);  // 308
  }

  if (anonymous) {
    // Anonymous TSP needs no credentials, so one host could drain the pool (the draft's §9
    // counts on an intranet to limit that). Bound it per /64 (one subnet, RFC 4291 §2.5.4)
    // and overall, so that authenticated nodes always find addresses.
    const auto per_64 = anonymous_per_64_.find(prefix_of_64(node));
    if (per_64 != anonymous_per_64_.end() && per_64->second >= config_.anonymous_per_64) {
      return unexpected(Status::kPoolExhausted);
    }
    if (config_.anonymous_per_64 == 0) return unexpected(Status::kPoolExhausted);
    const auto limit = static_cast<std::uint64_t>(
        std::floor(config_.anonymous_share * static_cast<double>(allocatable_)));
    if (anonymous_count_ + 1 > limit) return unexpected(Status::kPoolExhausted);
  }

  if (!index) index = sticky_index(identity, anonymous, node);
  if (!index) {
    // The cursor moves on after every pick, so a just-freed address is the last to be reused:
    // it stays available longer for its previous holder to come back to (sticky).
    index = free_.find_from(cursor_);
    if (!index) return unexpected(Status::kPoolExhausted);  // 306
    cursor_ = (*index + 1) % total_;
  }

  Lease lease{address_at(*index), node, identity, anonymous, now + clamp(lifetime_s), {}};
  insert(lease, *index);
  return lease;
}

Expected<Lease, tsp::Status> Allocator::renew(net::Ipv4Address ipv4, const std::string& identity,
                                              std::uint64_t now, std::uint32_t lifetime_s) {
  auto it = leases_.find(ipv4.to_host());
  if (it == leases_.end() || it->second.identity != identity) {
    return unexpected(Status::kAddressUnavailable);
  }
  return renew_entry(it->second, now, lifetime_s);
}

std::optional<Lease> Allocator::release(net::Ipv4Address ipv4) {
  auto it = leases_.find(ipv4.to_host());
  if (it == leases_.end()) return std::nullopt;
  Lease lease = it->second;
  erase(it);
  return lease;
}

std::vector<Lease> Allocator::expire(std::uint64_t now) {
  std::vector<Lease> out;
  while (!by_expiry_.empty() && by_expiry_.begin()->first <= now) {
    auto it = leases_.find(by_expiry_.begin()->second);
    out.push_back(it->second);
    erase(it);
  }
  return out;
}

RestoreReport Allocator::restore(std::vector<Lease> leases, std::uint64_t now) {
  // Start from an empty pool; the sticky memory survives (it only ever offers free addresses).
  while (!leases_.empty()) erase(leases_.begin());

  RestoreReport report;
  std::vector<Lease> live;
  for (auto& lease : leases) {
    if (lease.expires_at <= now) {
      report.expired.push_back(std::move(lease));
    } else {
      live.push_back(std::move(lease));
    }
  }
  // Later-expiring first, so that of two leases on one address (or one holder) the one the
  // node was most recently told about wins.
  std::stable_sort(live.begin(), live.end(),
                   [](const Lease& a, const Lease& b) { return a.expires_at > b.expires_at; });
  for (auto& lease : live) {
    const auto index = index_of(lease.ipv4);
    const bool holder_taken = lease.anonymous ? by_node_.count(lease.ipv6) != 0
                                              : by_identity_.count(lease.identity) != 0;
    if (!index || !allocatable(*index) || !free_.test(*index) || holder_taken ||
        !lease.ipv6.is_global_unicast()) {
      report.rejected.push_back(std::move(lease));
      continue;
    }
    insert(lease, *index);
  }
  return report;
}

std::optional<Lease> Allocator::find(net::Ipv4Address ipv4) const {
  auto it = leases_.find(ipv4.to_host());
  if (it == leases_.end()) return std::nullopt;
  return it->second;
}

std::vector<Lease> Allocator::active() const {
  std::vector<Lease> out;
  out.reserve(leases_.size());
  for (const auto& [key, lease] : leases_) out.push_back(lease);
  std::sort(out.begin(), out.end(),
            [](const Lease& a, const Lease& b) { return a.ipv4 < b.ipv4; });
  return out;
}

}  // namespace dstm::lease
