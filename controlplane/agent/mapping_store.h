// The agent's authoritative mapping set and its durable copy in SQLite (WAL, synchronous=FULL):
// a mapping is written here before the agent answers a Tunnel Create, so a rebooted TEP
// restores forwarding before any DSTM server reconnects (issue #4, DESIGN.md flow 6).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/net.h"
#include "sqlite/sqlite.h"
#include "util/expected.h"

namespace dstm::agent {

enum class Origin : std::uint8_t {
  kTsp,     // a DSTM server's Tunnel Create
  kStatic,  // an operator's `dstmctl mapping add`
};
std::string_view origin_name(Origin o);

struct Mapping {
  net::Ipv4Address ipv4{};
  net::Ipv6Address ipv6{};
  Origin origin = Origin::kTsp;
  std::string owner;        // the authenticated TSP identity, or "dstmctl"
  std::uint64_t since = 0;  // unix seconds
  friend bool operator==(const Mapping&, const Mapping&) = default;
};

class MappingStore {
 public:
  static constexpr int kSchemaVersion = 1;
  static Expected<MappingStore, std::string> open(const std::string& path);

  MappingStore(MappingStore&&) noexcept;
  MappingStore& operator=(MappingStore&&) noexcept;
  ~MappingStore();

  // Outside begin()/commit() each call is one durable transaction when it returns success;
  // inside a batch nothing is durable before commit() returns (daemon::GroupCommit).
  Expected<void, std::string> put(const Mapping& m);
  Expected<void, std::string> remove(net::Ipv4Address ipv4);
  Expected<std::vector<Mapping>, std::string> load_all() const;
  Expected<void, std::string> begin();
  Expected<void, std::string> commit();
  Expected<void, std::string> rollback();
  bool in_batch() const { return db_.in_transaction(); }

 private:
  struct Statements;
  explicit MappingStore(sqlite::Database db);
  sqlite::Database db_;
  std::unique_ptr<Statements> statements_;  // after db_: finalized before it closes
};

// The in-memory set, ordered by IPv4 (for paged listings), with an index by IPv6.
class MappingSet {
 public:
  const Mapping* find(net::Ipv4Address ipv4) const;
  std::vector<const Mapping*> find_ipv6(const net::Ipv6Address& ipv6) const;
  void put(const Mapping& m);
  void erase(net::Ipv4Address ipv4);
  std::size_t size() const { return by_ipv4_.size(); }
  const std::map<std::uint32_t, Mapping>& all() const { return by_ipv4_; }

 private:
  std::map<std::uint32_t, Mapping> by_ipv4_;
  std::multimap<net::Ipv6Address, std::uint32_t> by_ipv6_;
};

}  // namespace dstm::agent
