// dstm::lease — IPv4 address pools, leases with lifetimes, and the durable lease store of the
// DSTM server: draft-bound-dstm-exp-00 §6.2 ("the DSTM Address Pool Module is required to
// maintain a pool of IPv4 addresses for DSTM clients and maintain the lifetimes for those
// addresses"), allocation as in its TSP profile §2.1 (errors 306, 308, 309).
//
// Time is always an input (seconds, any epoch the caller picks): nothing here reads a clock,
// so expiry is tested without sleeping and the server drives it from its own timer.
//
// Who is the source of truth: while the server runs, the Allocator's memory. The LeaseStore is
// written before the server answers a node (DESIGN.md flow 1) and read once at start-up
// (flow 6, Allocator::restore).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lease/free_set.h"
#include "sqlite/sqlite.h"
#include "net/net.h"
#include "tsp/status.h"
#include "util/expected.h"

struct sqlite3_stmt;

namespace dstm::lease {

struct PoolConfig {
  // Each prefix's network and broadcast address are never handed out: a host holding x.y.z.255
  // of a /24 would receive, and could emit, traffic a router treats as a directed broadcast
  // (RFC 1812 §4.2.3.1, §5.3.5), and the all-zeros host is the network's own name (RFC 1812
  // §4.2.2.11). /31 (RFC 3021, point-to-point) and /32 prefixes have no such addresses.
  std::vector<net::Ipv4Prefix> prefixes;
  std::vector<net::Ipv4Address> excluded;  // e.g. the TEP's own address, a gateway
  std::uint32_t default_lifetime_s = 3600;  // used when a request asks for 0
  std::uint32_t max_lifetime_s = 86400;     // longer requests are clamped to this
  std::uint32_t anonymous_per_64 = 4;       // anonymous leases per IPv6 /64
  double anonymous_share = 0.5;             // of all allocatable addresses, in [0, 1]
};

struct Lease {
  net::Ipv4Address ipv4;
  net::Ipv6Address ipv6;  // the node's global address: the TEP maps ipv4 to it
  std::string identity;   // SASL authentication identity; for anonymous leases informative only
  bool anonymous = false;
  std::uint64_t expires_at = 0;  // the lease is over when now >= expires_at
  // The TEP configured for this lease (dstm-server's [[tep]] name). Kept by the server and the
  // store; the Allocator neither reads nor sets it.
  std::string tep;

  bool operator==(const Lease&) const = default;
};

// What restore() did not take back. The caller deletes each of these from the store and sends
// Tunnel Delete for it to the TEP (DESIGN.md flow 6).
struct RestoreReport {
  std::vector<Lease> expired;   // expires_at <= now
  std::vector<Lease> rejected;  // outside today's pools, excluded, or a duplicate address or
                                // holder (the later-expiring lease of a duplicate is kept)
};

class Allocator {
 public:
  // Fails on an empty or overlapping pool list, lifetimes of 0 or default > max, a share
  // outside [0, 1], or more than 2^32 addresses.
  static Expected<Allocator, std::string> create(PoolConfig config);

  // A lease for a node (TSP Tunnel Create, v4v6). In order:
  //   node not global unicast                          -> kInvalidIpv6 (309)
  //   the holder already has a lease: an authenticated identity holds one lease, an anonymous
  //   node one per IPv6 /128 -> that lease, renewed (a retried Create must not use a second
  //   address; `requested` is then ignored)
  //   requested outside the pools, or never allocatable (network, broadcast, excluded)
  //                                                    -> kInvalidIpv4 (501)
  //   requested held by another lease                  -> kAddressUnavailable (308)
  //   anonymous over anonymous_per_64 in the node's /64, or anonymous leases would exceed
  //   anonymous_share of the pool                      -> kPoolExhausted (306): for that
  //   class of node the pool is exhausted; the draft names no finer code
  //   no free address                                  -> kPoolExhausted (306)
  // Otherwise the requested address, else the holder's previous address if it is free
  // (sticky), else the next free address after a rotating cursor. lifetime_s 0 means the
  // default; longer than max is clamped. A lease lives until expire() or release() removes it,
  // even past expires_at: call expire(now) first so that late renewals cannot revive leases
  // whose Tunnel Delete is due.
  Expected<Lease, tsp::Status> allocate(const std::string& identity, bool anonymous,
                                        const net::Ipv6Address& node,
                                        std::optional<net::Ipv4Address> requested,
                                        std::uint32_t lifetime_s, std::uint64_t now);

  // Sets a lease's end to now + lifetime (clamped, 0 = default); DESIGN.md flow 2.
  // kAddressUnavailable when no lease holds ipv4 or it belongs to another identity. The
  // identity of an anonymous lease is whatever allocate() was given: the server checks the
  // session's IPv6 against find(ipv4)->ipv6 itself.
  Expected<Lease, tsp::Status> renew(net::Ipv4Address ipv4, const std::string& identity,
                                     std::uint64_t now, std::uint32_t lifetime_s);

  // Frees the address; returns the lease that held it, if any.
  std::optional<Lease> release(net::Ipv4Address ipv4);

  // Removes and returns every lease with expires_at <= now, earliest first. The caller sends
  // Tunnel Delete to the node and the TEP for each (DESIGN.md flow 3). O(k log n).
  std::vector<Lease> expire(std::uint64_t now);

  // Rebuilds the state from the store after a restart, replacing whatever was here.
  RestoreReport restore(std::vector<Lease> leases, std::uint64_t now);

  std::optional<Lease> find(net::Ipv4Address ipv4) const;
  std::vector<Lease> active() const;  // ordered by IPv4 address, for resync with the TEP
  std::size_t active_count() const { return leases_.size(); }
  std::size_t anonymous_count() const { return anonymous_count_; }
  std::uint64_t allocatable_count() const { return allocatable_; }  // pool minus exclusions

 private:
  struct Holder {  // who last held an address, for sticky reallocation
    bool anonymous = false;
    std::string identity;
    net::Ipv6Address node;
  };

  explicit Allocator(PoolConfig config);
  std::optional<std::uint64_t> index_of(net::Ipv4Address a) const;
  net::Ipv4Address address_at(std::uint64_t index) const;
  bool allocatable(std::uint64_t index) const;
  std::uint32_t clamp(std::uint32_t lifetime_s) const;
  std::optional<std::uint64_t> sticky_index(const std::string& identity, bool anonymous,
                                            const net::Ipv6Address& node) const;
  Lease renew_entry(Lease& lease, std::uint64_t now, std::uint32_t lifetime_s);
  void insert(const Lease& lease, std::uint64_t index);
  void erase(std::unordered_map<std::uint32_t, Lease>::iterator it);
  void remember_holder(const Lease& lease);

  PoolConfig config_;
  std::vector<std::uint64_t> base_;  // index of each prefix's first address
  std::uint64_t total_ = 0;
  std::uint64_t allocatable_ = 0;
  std::uint64_t cursor_ = 0;
  detail::FreeSet free_;      // allocatable and not leased
  detail::FreeSet reserved_;  // set = never allocatable (network, broadcast, excluded)
  std::unordered_map<std::uint32_t, Lease> leases_;  // by IPv4 (host order)
  std::set<std::pair<std::uint64_t, std::uint32_t>> by_expiry_;
  std::unordered_map<std::string, std::uint32_t> by_identity_;    // authenticated holders
  std::unordered_map<net::Ipv6Address, std::uint32_t> by_node_;   // anonymous holders
  std::unordered_map<std::uint64_t, std::uint32_t> anonymous_per_64_;
  std::size_t anonymous_count_ = 0;
  std::unordered_map<std::uint32_t, Holder> last_holder_;             // by IPv4
  std::unordered_map<std::string, std::uint32_t> last_by_identity_;   // -> IPv4
  std::unordered_map<net::Ipv6Address, std::uint32_t> last_by_node_;  // -> IPv4
};

// The durable copy of the leases, in SQLite (WAL journal, synchronous=FULL: a commit that has
// returned survives a power cut). Single-threaded: one LeaseStore per connection.
//
// Durability contract: outside begin()/commit() each put()/remove() is its own transaction and
// is durable when it returns. Inside a batch nothing is durable — and so nothing may be
// acknowledged to a node or a TEP — before commit() returns success.
class LeaseStore {
 public:
  static constexpr int kSchemaVersion = 2;  // PRAGMA user_version

  static Expected<LeaseStore, std::string> open(const std::string& path);

  LeaseStore(LeaseStore&&) noexcept;
  LeaseStore& operator=(LeaseStore&&) noexcept;
  ~LeaseStore();

  Expected<void, std::string> put(const Lease& lease);  // insert or replace, keyed by IPv4
  Expected<void, std::string> remove(net::Ipv4Address ipv4);
  Expected<std::vector<Lease>, std::string> load_all() const;

  Expected<void, std::string> begin();
  Expected<void, std::string> commit();
  Expected<void, std::string> rollback();  // drops the whole batch
  bool in_batch() const { return in_batch_; }

 private:
  struct Statements;
  explicit LeaseStore(sqlite::Database db);
  Expected<void, std::string> exec(sqlite3_stmt* statement) const;
  std::string error(const char* what) const;

  sqlite::Database db_;
  std::unique_ptr<Statements> statements_;  // after db_: destroyed (finalized) before it
  bool in_batch_ = false;
};

}  // namespace dstm::lease
