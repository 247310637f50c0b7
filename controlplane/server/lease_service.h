// The DSTM server's allocation flow (DESIGN.md flows 1-3, 6; draft-bound-dstm-exp-00 §6.1-6.3
// and TSP profile §2): authenticate (tspnet) -> pick an address (lib/lease Allocator) -> write
// the lease durably (daemon::GroupCommit) -> Tunnel Create to the chosen TEP's agent and
// wait for its Tunnel Info -> answer the node with the lease, the TEP and the lifetime.
// Renewal extends the lease without touching the TEP. Expiry, release, a node's delete or
// reject -> Tunnel Delete to the node (on its kept-open session) and to the TEP, free the
// address. A failure at any step undoes the steps before it.
#pragma once

#include <asio.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "config.h"
#include "lease/lease.h"
#include "daemon/group_commit.h"
#include "tep_client.h"
#include "tspnet/tspnet.h"

namespace dstm::server {

struct ServiceCounters {
  std::uint64_t allocations = 0, renewals = 0, releases = 0, expirations = 0, rejected = 0;
  std::uint64_t tep_failures = 0, node_deletes_sent = 0, store_failures = 0;
};

// The TEP's addresses as its agent reported them (passed on to nodes unchanged, TSP profile
// §2.1: "TEP information MUST be the same that the TEP provided").
struct TepAddresses {
  std::string ipv4, ipv6;
};

class LeaseService final : public tspnet::Application {
 public:
  // Opens the store, restores the leases (expired and no-longer-valid ones are deleted at
  // their TEPs), connects to the TEPs and re-pushes the active set (the agents are idempotent).
  static Expected<std::unique_ptr<LeaseService>, std::string> start(asio::io_context& io,
                                                                    const ServerConfig& config,
                                                                    tsp::sasl::NonceSource& nonces);
  ~LeaseService() override;

  void on_request(const tspnet::SessionPtr& session, const tsp::TunnelMessage& request,
                  tspnet::Answer answer) override;
  void on_rejected(const tspnet::SessionPtr& session) override;

  // Administrative release (dstmctl lease release): as an expiry. False when no lease holds
  // ipv4; else `durable` runs once the removal is committed (or failed).
  bool release(net::Ipv4Address ipv4, const std::string& reason, std::function<void(bool)> durable = {});
  // Expires due leases (called every second by the daemon, and before each allocation).
  void expire_due();

  const lease::Allocator& allocator() const { return allocator_; }
  const std::vector<std::unique_ptr<TepClient>>& teps() const { return teps_; }
  std::size_t mappings_on(const std::string& tep) const;
  const ServiceCounters& counters() const { return counters_; }
  const daemon::GroupCommit<lease::LeaseStore>& writer() const { return writer_; }
  std::string lease_state(net::Ipv4Address ipv4) const;  // "active", "configuring", "-"
  const ServerConfig& config() const { return config_; }

 private:
  struct State {
    std::string tep;
    std::weak_ptr<tspnet::Session> session;
    bool confirmed = false;            // the TEP applied it
    std::vector<std::function<void(bool ok)>> on_confirmed;  // answers waiting for the TEP
  };
  LeaseService(asio::io_context& io, const ServerConfig& config, lease::Allocator allocator,
               lease::LeaseStore store);
  std::uint64_t now_s() const;
  TepClient* tep(const std::string& name) const;
  TepClient* choose_tep(const net::Ipv6Address& node) const;
  tsp::TunnelMessage node_info(const lease::Lease& l) const;
  void create(const tspnet::SessionPtr& session, const tsp::TunnelMessage& request, tspnet::Answer answer);
  void node_delete(const tspnet::SessionPtr& session, const tsp::TunnelMessage& request, tspnet::Answer answer);
  void configure_tep(const lease::Lease& l, const tspnet::SessionPtr& session, tspnet::Answer answer);
  void end_lease(const lease::Lease& l, const std::string& reason, bool tell_node,
                 std::function<void(bool)> durable = {});
  void tep_delete(const std::string& tep_name, const lease::Lease& l, std::uint32_t retry_s = 1);
  static lease::Lease tombstone(lease::Lease l);  // an ended lease's row until its TEP confirmed
  void forget_ended(const lease::Lease& l);       // the TEP confirmed: the tombstone goes
  void push_resync();

  asio::io_context& io_;
  const ServerConfig& config_;
  lease::Allocator allocator_;
  lease::LeaseStore store_;
  daemon::GroupCommit<lease::LeaseStore> writer_;
  void put(const lease::Lease& l, std::function<void(bool)> done);
  void remove(net::Ipv4Address ipv4, std::function<void(bool)> done = {});
  std::vector<std::unique_ptr<TepClient>> teps_;
  std::map<std::string, TepAddresses> tep_addresses_;
  void add_state(net::Ipv4Address ipv4, State st);
  void erase_state(std::unordered_map<std::uint32_t, State>::iterator it);
  std::unordered_map<std::uint32_t, State> state_;  // by IPv4, for every active lease
  std::map<std::string, std::size_t> load_;         // leases per TEP name (state_ by tep)
  std::deque<lease::Lease> resync_;                 // restored leases still to push
  std::size_t resync_in_flight_ = 0;
  ServiceCounters counters_;
};

}  // namespace dstm::server
