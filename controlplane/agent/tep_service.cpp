#include "tep_service.h"

#include <algorithm>
#include <chrono>

#include "util/log.h"

namespace dstm::agent {
namespace {

using tsp::AddressType;
using tsp::Status;

std::uint64_t unix_now() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<seconds>(system_clock::now().time_since_epoch()).count());
}

}  // namespace

TepService::TepService(asio::io_context& io, const AgentConfig& config, MappingStore store,
                       std::unique_ptr<RingFeed> feed)
    : config_(config), store_(std::move(store)), writer_(io, store_, "mapping store"), feed_(std::move(feed)) {}

void TepService::persist(std::function<Expected<void, std::string>(MappingStore&)> write,
                         std::function<void(bool)> done) {
  writer_.write(std::move(write), std::move(done));
}

Expected<std::unique_ptr<TepService>, std::string> TepService::start(asio::io_context& io,
                                                                     const AgentConfig& config,
                                                                     std::uint64_t now_ms) {
  auto store = MappingStore::open(config.store_path);
  if (!store) return unexpected(store.error());
  auto rows = store->load_all();
  if (!rows) return unexpected(rows.error());
  auto feed = RingFeed::open(config.shm_name, config.ring_capacity);
  if (!feed) return unexpected(feed.error());
  std::unique_ptr<TepService> service(new TepService(io, config, std::move(*store), std::move(*feed)));
  std::size_t outside = 0;
  for (const auto& m : *rows) {
    // A pool removed from the config since: keep the row (the operator may put the pool
    // back) but do not forward for it.
    if (!config.in_pool(m.ipv4)) {
      ++outside;
      continue;
    }
    service->set_.put(m);
  }
  if (outside != 0) {
    log::warning(std::to_string(outside) + " stored mapping(s) are outside tep.pools and are not installed");
  }
  service->feed_->enqueue_snapshot(service->set_);
  service->tick(now_ms);
  log::info("restored " + std::to_string(service->set_.size()) + " mapping(s) from " +
            config.store_path + "; snapshot queued for the dataplane");
  return service;
}

std::size_t TepService::used_in(const net::Ipv4Prefix& pool) const {
  const auto& all = set_.all();
  const std::uint32_t first = pool.network().to_host();
  const std::uint64_t last = std::uint64_t{first} + pool.size() - 1;
  std::size_t n = 0;
  for (auto it = all.lower_bound(first); it != all.end() && it->first <= last; ++it) ++n;
  return n;
}

tsp::TunnelMessage TepService::tunnel_info(const Mapping* m) const {
  // The TEP's addresses as the server must pass them on unchanged (TSP profile §2.1).
  tsp::TunnelMessage info;
  info.action = tsp::TunnelAction::kInfo;
  info.type = tsp::TunnelType::kV4V6;
  info.server = tsp::Endpoint{{{AddressType::kIpv4, config_.tep_ipv4.to_string()},
                               {AddressType::kIpv6, config_.tep_ipv6.to_string()}},
                              {}, {}, {}};
  if (m != nullptr) {
    info.client = tsp::Endpoint{{{AddressType::kIpv4, m->ipv4.to_string()},
                                 {AddressType::kIpv6, m->ipv6.to_string()}},
                                {}, {}, {}};
  }
  return info;
}

void TepService::reject(Done& done, Status status, std::string detail) {
  ++counters_.rejected;
  done(Answer{status, std::nullopt, std::move(detail), 0});
}

void TepService::wait(std::uint64_t sequence, std::uint64_t now_ms,
                      std::function<void(bool, std::uint64_t)> then) {
  feed_->pump();
  if (feed_->is_applied(sequence)) {
    then(true, sequence);
    return;
  }
  waiters_.push_back(Waiter{sequence, feed_->epoch(), now_ms + config_.apply_timeout_ms, std::move(then)});
  if (wakeup_) wakeup_();
}

void TepService::tick(std::uint64_t now_ms) {
  if (feed_->dataplane_restarted()) {
    // A new dataplane generation: its table is empty (or stale). Replay the whole set; the
    // dataplane swaps it in at the snapshot's end, so it never forwards a stale entry.
    ++counters_.resyncs;
    feed_->enqueue_snapshot(set_);
    log::info("dataplane generation " + std::to_string(feed_->dataplane_generation()) +
              ": replaying " + std::to_string(set_.size()) + " mapping(s)");
  }
  feed_->pump();
  feed_->heartbeat();
  if (waiters_.empty()) return;
  // Completing a waiter may add or undo records: take the list first.
  std::vector<Waiter> due;
  std::vector<Waiter> keep;
  for (auto& w : waiters_) {
    // A snapshot since the enqueue dropped the record from the FIFO; the snapshot carries it.
    if (w.epoch != feed_->epoch()) {
      w.sequence = std::max(w.sequence, feed_->snapshot_end());
      w.epoch = feed_->epoch();
    }
    if (feed_->is_applied(w.sequence) || now_ms >= w.deadline_ms) {
      due.push_back(std::move(w));
    } else {
      keep.push_back(std::move(w));
    }
  }
  waiters_ = std::move(keep);
  for (auto& w : due) w.then(feed_->is_applied(w.sequence), w.sequence);
}

void TepService::undo_create(const Mapping& installed, const std::optional<Mapping>& previous,
                             std::function<void()> then) {
  // Only when our mapping is still the current one: a later request for the same address
  // has decided since, and its decision stands.
  const Mapping* now = set_.find(installed.ipv4);
  if (now == nullptr || !(*now == installed)) return then();
  if (previous) {
    set_.put(*previous);
  } else {
    set_.erase(installed.ipv4);
  }
  const net::Ipv4Address ipv4 = installed.ipv4;
  persist(
      [previous, ipv4](MappingStore& s) { return previous ? s.put(*previous) : s.remove(ipv4); },
      [this, previous, ipv4, then](bool durable) {
        if (!durable) ++counters_.store_errors;
        if (previous) {
          feed_->enqueue_upsert(*previous);
        } else {
          feed_->enqueue_erase(ipv4);
        }
        feed_->pump();
        then();  // the 307 goes out only once the undo is durable: no trace left
      });
}

void TepService::add(net::Ipv4Address ipv4, const net::Ipv6Address& ipv6, Origin origin,
                     const std::string& owner, bool replace, std::uint64_t now_ms, Done done) {
  if (!config_.in_pool(ipv4)) {
    return reject(done, Status::kInvalidIpv4, ipv4.to_string() + " is not in tep.pools");
  }
  if (!ipv6.is_global_unicast()) {
    return reject(done, Status::kInvalidIpv6, ipv6.to_string() + " is not a global unicast address");
  }
  const Mapping* existing = set_.find(ipv4);
  if (existing != nullptr && existing->ipv6 == ipv6) {
    // Idempotent (a server retrying after a lost answer): succeed once it is live.
    ++counters_.create_idempotent;
    const Mapping copy = *existing;
    // Behind the store's queue: an identical create of this same turn is pushed by then.
    persist([](MappingStore&) { return Expected<void, std::string>{}; }, [this, copy, done, now_ms](bool) {
      wait(feed_->last_enqueued(), now_ms, [this, copy, done](bool applied, std::uint64_t seq) {
        if (!applied) {
          ++counters_.apply_timeouts;
          return done(Answer{Status::kTepConfigError, std::nullopt, "dataplane did not apply in time", seq});
        }
        done(Answer{Status::kSuccess, tunnel_info(&copy), "already mapped", seq});
      });
    });
    return;
  }
  if (existing != nullptr && !replace) {
    return reject(done, Status::kAddressUnavailable,
                  ipv4.to_string() + " is mapped to " + existing->ipv6.to_string() +
                      " (send replace=\"yes\" to re-map it)");
  }
  const std::optional<Mapping> previous =
      existing != nullptr ? std::optional<Mapping>(*existing) : std::nullopt;
  Mapping m{ipv4, ipv6, origin, owner, unix_now()};
  // The set changes now, so later requests of this turn see it; the ring only after the
  // store's commit (issue #4: "persist -> push -> wait -> answer").
  set_.put(m);
  ++counters_.creates;
  if (previous) ++counters_.create_replaced;
  persist([m](MappingStore& s) { return s.put(m); }, [this, m, previous, done, now_ms](bool durable) {
    if (!durable) {
      ++counters_.store_errors;
      const Mapping* current = set_.find(m.ipv4);
      if (current != nullptr && *current == m) {
        if (previous) {
          set_.put(*previous);
        } else {
          set_.erase(m.ipv4);
        }
      }
      return done(Answer{Status::kTepConfigError, std::nullopt, "mapping store write failed", 0});
    }
    const std::uint64_t seq = feed_->enqueue_upsert(m);
    wait(seq, now_ms, [this, m, previous, done](bool applied, std::uint64_t s) {
      if (!applied) {
        ++counters_.apply_timeouts;
        log::warning("create " + m.ipv4.to_string() + " -> " + m.ipv6.to_string() +
                     ": dataplane did not apply it within " + std::to_string(config_.apply_timeout_ms) +
                     " ms; undoing, answering 307");
        return undo_create(m, previous, [done, s] {
          done(Answer{Status::kTepConfigError, std::nullopt, "dataplane did not apply in time", s});
        });
      }
      done(Answer{Status::kSuccess, tunnel_info(&m), previous ? "replaced" : "created", s});
    });
  });
}

void TepService::remove(net::Ipv4Address ipv4, std::optional<net::Ipv6Address> expected_ipv6,
                        std::uint64_t now_ms, Done done) {
  const Mapping* existing = set_.find(ipv4);
  ++counters_.deletes;
  if (existing == nullptr) {
    // Already gone (a retried delete): the state the server wants holds.
    return done(Answer{Status::kSuccess, tunnel_info(nullptr), "not mapped", feed_->applied()});
  }
  if (expected_ipv6 && *expected_ipv6 != existing->ipv6) {
    // A stale delete must not remove the mapping of the node that holds the address now.
    return reject(done, Status::kAddressUnavailable,
                  ipv4.to_string() + " is mapped to " + existing->ipv6.to_string() + ", not " +
                      expected_ipv6->to_string());
  }
  const Mapping gone = *existing;
  set_.erase(ipv4);
  persist([ipv4](MappingStore& s) { return s.remove(ipv4); }, [this, gone, done, now_ms](bool durable) {
    if (!durable) {
      ++counters_.store_errors;
      // Still stored: keep forwarding for it, as after a restart the store would.
      if (set_.find(gone.ipv4) == nullptr) set_.put(gone);
      return done(Answer{Status::kTepConfigError, std::nullopt, "mapping store write failed", 0});
    }
    const std::uint64_t seq = feed_->enqueue_erase(gone.ipv4);
    wait(seq, now_ms, [this, gone, done](bool applied, std::uint64_t s) {
      if (!applied) {
        ++counters_.apply_timeouts;
        return done(Answer{Status::kTepConfigError, std::nullopt,
                           "removed, but the dataplane did not confirm in time", s});
      }
      done(Answer{Status::kSuccess, tunnel_info(&gone), "deleted", s});
    });
  });
}

namespace {

// The node's addresses in a server's request: one IPv4 and the global IPv6 among one or two
// IPv6 addresses (a v4v6 request may carry link-local + global, tsp-digest.md §7b).
struct RequestAddresses {
  std::optional<net::Ipv4Address> ipv4;
  std::optional<net::Ipv6Address> ipv6;
  Status error = Status::kSuccess;
  std::string detail;
};

RequestAddresses addresses_of(const tsp::TunnelMessage& request, bool need_ipv6) {
  RequestAddresses out;
  if (!request.client) {
    out.error = Status::kInvalidRequest;
    out.detail = "no <client> element";
    return out;
  }
  const tsp::Address* v4 = request.client->find(AddressType::kIpv4);
  if (v4 == nullptr) {
    out.error = Status::kInvalidIpv4;
    out.detail = "no client IPv4 address";
    return out;
  }
  out.ipv4 = net::Ipv4Address::parse(v4->value);
  if (!out.ipv4) {
    out.error = Status::kInvalidIpv4;
    out.detail = "client IPv4 '" + v4->value + "' is not an IPv4 address";
    return out;
  }
  for (const tsp::Address* a : request.client->all(AddressType::kIpv6)) {
    auto v6 = net::Ipv6Address::parse(a->value);
    if (!v6) {
      out.error = Status::kInvalidIpv6;
      out.detail = "client IPv6 '" + a->value + "' is not an IPv6 address";
      return out;
    }
    if (v6->is_link_local()) continue;  // the node's link-local: not a tunnel source
    out.ipv6 = *v6;
  }
  if (need_ipv6 && !out.ipv6) {
    out.error = Status::kInvalidIpv6;
    out.detail = "no global client IPv6 address";
  }
  return out;
}

}  // namespace

void TepService::create_from(const tsp::TunnelMessage& request, const std::string& identity,
                             std::uint64_t now_ms, Done done) {
  auto a = addresses_of(request, /*need_ipv6=*/true);
  if (a.error != Status::kSuccess) return reject(done, a.error, a.detail);
  add(*a.ipv4, *a.ipv6, Origin::kTsp, identity, request.replace.value_or(false), now_ms,
      std::move(done));
}

void TepService::delete_from(const tsp::TunnelMessage& request, std::uint64_t now_ms, Done done) {
  auto a = addresses_of(request, /*need_ipv6=*/false);
  if (a.error != Status::kSuccess) return reject(done, a.error, a.detail);
  remove(*a.ipv4, a.ipv6, now_ms, std::move(done));
}

void TepService::tunnel_request(const tsp::TunnelMessage& request, const std::string& identity,
                                std::uint64_t now_ms, Done done) {
  if (request.type && *request.type != tsp::TunnelType::kV4V6) {
    return reject(done, Status::kUnsupportedTunnelType, "a TEP serves v4v6 tunnels only");
  }
  switch (request.action) {
    case tsp::TunnelAction::kCreate:
      return create_from(request, identity, now_ms, std::move(done));
    case tsp::TunnelAction::kDelete:
      return delete_from(request, now_ms, std::move(done));
    case tsp::TunnelAction::kInfo: {
      ++counters_.infos;
      const Mapping* m = nullptr;
      if (request.client) {
        if (const auto* v4 = request.client->find(AddressType::kIpv4)) {
          if (auto ip = net::Ipv4Address::parse(v4->value)) m = set_.find(*ip);
        }
      }
      return done(Answer{Status::kSuccess, tunnel_info(m), "info", feed_->applied()});
    }
    default:
      return reject(done, Status::kInvalidRequest, "a TEP accepts create, delete and info only");
  }
}

}  // namespace dstm::agent
