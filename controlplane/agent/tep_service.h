// The TEP side of the DSTM TSP profile (draft-bound-dstm-exp-00, TSP profile §2.1-2.3): what
// the agent does with a DSTM server's Tunnel Create / Delete / Info, and with the operator's
// static mappings. Transport-free and clock-free: the daemon feeds requests and ticks, and
// the answer comes back through a callback once the dataplane has applied the change.
//
// Create: validate (IPv4 in a pool, IPv6 global unicast) -> persist (group commit) -> ring -> wait until the
// dataplane applied it -> Tunnel Info. Not applied within apply_timeout: undo (store, set and
// ring) and answer 307, so no trace is left. Delete: persist -> ring -> wait -> Tunnel Info;
// a delete that times out stays done (the dataplane gets it with its next snapshot: a lease
// the server ended must never keep forwarding) and is answered 307.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio.hpp>

#include "config.h"
#include "daemon/group_commit.h"
#include "mapping_store.h"
#include "ring_feed.h"
#include "tsp/tsp.h"

namespace dstm::agent {

struct Answer {
  tsp::Status status = tsp::Status::kSuccess;
  std::optional<tsp::TunnelMessage> message;  // the Tunnel Info on success
  std::string detail;                          // for the log and the control socket
  std::uint64_t applied_sequence = 0;
};
using Done = std::function<void(Answer)>;

struct ServiceCounters {
  std::uint64_t creates = 0, create_replaced = 0, create_idempotent = 0, deletes = 0, infos = 0;
  std::uint64_t rejected = 0, apply_timeouts = 0, resyncs = 0, store_errors = 0;
};

class TepService {
 public:
  // Loads the persisted set and queues it as a snapshot: the dataplane gets exactly the
  // persisted set whether it kept its table (agent restart) or lost it (reboot). `config`
  // must outlive the service.
  // Store writes are group-committed at the end of each turn of `io` (the daemon's loop).
  static Expected<std::unique_ptr<TepService>, std::string> start(asio::io_context& io,
                                                                  const AgentConfig& config,
                                                                  std::uint64_t now_ms);

  // A DSTM server's request (create, delete or info) from an authenticated session.
  void tunnel_request(const tsp::TunnelMessage& request, const std::string& identity,
                      std::uint64_t now_ms, Done done);
  // Operator requests (dstmctl): a static mapping, replacing whatever the address had.
  void add(net::Ipv4Address ipv4, const net::Ipv6Address& ipv6, Origin origin,
           const std::string& owner, bool replace, std::uint64_t now_ms, Done done);
  void remove(net::Ipv4Address ipv4, std::optional<net::Ipv6Address> expected_ipv6,
              std::uint64_t now_ms, Done done);

  // Pumps the ring, replays the set to a restarted dataplane, completes and times out waiters.
  void tick(std::uint64_t now_ms);
  bool waiting() const { return !waiters_.empty() || feed_->pending() != 0; }
  // Called when an answer starts waiting for the dataplane (the daemon polls faster then).
  void set_wakeup(std::function<void()> wakeup) { wakeup_ = std::move(wakeup); }

  const MappingSet& mappings() const { return set_; }
  const RingFeed& feed() const { return *feed_; }
  const ServiceCounters& counters() const { return counters_; }
  const AgentConfig& config() const { return config_; }
  // Pool usage for `show status`.
  std::size_t used_in(const net::Ipv4Prefix& pool) const;

 private:
  struct Waiter {
    std::uint64_t sequence;
    std::uint64_t epoch;
    std::uint64_t deadline_ms;
    std::function<void(bool applied, std::uint64_t sequence)> then;
  };
  TepService(asio::io_context& io, const AgentConfig& config, MappingStore store,
             std::unique_ptr<RingFeed> feed);
  void persist(std::function<Expected<void, std::string>(MappingStore&)> write,
               std::function<void(bool)> done);
  void wait(std::uint64_t sequence, std::uint64_t now_ms,
            std::function<void(bool, std::uint64_t)> then);
  void undo_create(const Mapping& installed, const std::optional<Mapping>& previous,
                   std::function<void()> then);
  tsp::TunnelMessage tunnel_info(const Mapping* m) const;
  void create_from(const tsp::TunnelMessage& request, const std::string& identity,
                   std::uint64_t now_ms, Done done);
  void delete_from(const tsp::TunnelMessage& request, std::uint64_t now_ms, Done done);
  void reject(Done& done, tsp::Status status, std::string detail);

  const AgentConfig& config_;  // the daemon's; reload changes apply_timeout_ms in place
  MappingStore store_;
  daemon::GroupCommit<MappingStore> writer_;
  std::unique_ptr<RingFeed> feed_;
  MappingSet set_;
  std::vector<Waiter> waiters_;
  ServiceCounters counters_;
  std::function<void()> wakeup_;
};

}  // namespace dstm::agent
