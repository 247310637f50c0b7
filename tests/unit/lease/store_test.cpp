// LeaseStore (SQLite) and Allocator::restore: round trip, WAL on, batches, restart.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <set>
#include <string>

#include "lease/lease.h"
#include "lease_test_util.h"

using namespace dstm::lease;
using namespace dstm::lease::test;

namespace {

Lease lease(const char* ipv4, std::uint16_t host, const char* identity, bool anonymous,
            std::uint64_t expires_at) {
  return Lease{v4(ipv4), node(1, host), identity, anonymous, expires_at, {}};
}

// Reads one PRAGMA through a separate connection, as an operator's sqlite3 shell would.
std::string pragma_text(const std::string& path, const char* pragma) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, pragma, -1, &s, nullptr) == SQLITE_OK);
  std::string out;
  if (sqlite3_step(s) == SQLITE_ROW) out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

PoolConfig pool_24() {
  PoolConfig c;
  c.prefixes = {p4("10.0.0.0/24")};
  return c;
}

}  // namespace

TEST_CASE("store: round trip, WAL, schema version", "[lease]") {
  TempDir dir;
  const auto path = dir.file("leases.db");
  std::vector<Lease> written = {lease("10.0.0.1", 1, "alice", false, 100),
                                lease("10.0.0.2", 2, "", true, 18446744073709ULL),
                                lease("10.0.0.3", 3, "b\xc3\xa9la with 'quote\"", false, 0)};
  {
    auto store = LeaseStore::open(path);
    REQUIRE(store);
    for (const auto& l : written) REQUIRE(store->put(l));
    auto loaded = store->load_all();
    REQUIRE(loaded);
    CHECK(*loaded == written);
    written[0].expires_at = 500;  // put replaces by IPv4
    REQUIRE(store->put(written[0]));
    REQUIRE(store->remove(v4("10.0.0.3")));
    written.pop_back();
    REQUIRE(store->remove(v4("10.0.0.77")));  // absent: not an error
  }
  CHECK(pragma_text(path, "PRAGMA journal_mode") == "wal");
  CHECK(pragma_text(path, "PRAGMA user_version") == std::to_string(LeaseStore::kSchemaVersion));
  auto reopened = LeaseStore::open(path);
  REQUIRE(reopened);
  auto loaded = reopened->load_all();
  REQUIRE(loaded);
  CHECK(*loaded == written);
}

TEST_CASE("store: refuses a newer schema and an unopenable path", "[lease]") {
  TempDir dir;
  const auto path = dir.file("future.db");
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  CHECK_FALSE(LeaseStore::open(path));
  CHECK_FALSE(LeaseStore::open(dir.file("no/such/dir/x.db")));
}

TEST_CASE("store: a batch is all or nothing", "[lease]") {
  TempDir dir;
  const auto path = dir.file("leases.db");
  auto store = LeaseStore::open(path);
  REQUIRE(store);
  CHECK_FALSE(store->commit());  // no batch open
  REQUIRE(store->begin());
  CHECK_FALSE(store->begin());
  REQUIRE(store->put(lease("10.0.0.1", 1, "a", false, 10)));
  REQUIRE(store->put(lease("10.0.0.2", 2, "b", false, 10)));
  {
    // Another connection does not see an uncommitted batch.
    auto other = LeaseStore::open(path);
    REQUIRE(other);
    CHECK(other->load_all()->empty());
  }
  REQUIRE(store->commit());
  CHECK(store->load_all()->size() == 2);
  REQUIRE(store->begin());
  REQUIRE(store->remove(v4("10.0.0.1")));
  REQUIRE(store->put(lease("10.0.0.3", 3, "c", false, 10)));
  REQUIRE(store->rollback());
  CHECK_FALSE(store->in_batch());
  auto loaded = store->load_all();
  REQUIRE(loaded);
  REQUIRE(loaded->size() == 2);
  CHECK((*loaded)[0].ipv4 == v4("10.0.0.1"));
}

TEST_CASE("restart: restore gives the same active set and never reuses an address", "[lease]") {
  TempDir dir;
  const auto path = dir.file("leases.db");
  std::vector<Lease> before;
  {
    auto store = LeaseStore::open(path);
    REQUIRE(store);
    auto a = make_allocator(pool_24());
    REQUIRE(store->begin());
    for (std::uint16_t i = 0; i < 40; ++i) {
      auto l = a.allocate("u" + std::to_string(i), i % 3 == 0, node(static_cast<std::uint16_t>(i), 1),
                          std::nullopt, 100 + i, 0);
      REQUIRE(l);
      REQUIRE(store->put(*l));
    }
    for (std::uint16_t i = 0; i < 40; i += 4) {
      auto gone = a.release(dstm::net::Ipv4Address::from_host(0x0A000001u + i));
      REQUIRE(gone);
      REQUIRE(store->remove(gone->ipv4));
    }
    REQUIRE(store->commit());
    before = a.active();
  }  // "crash": both objects gone

  auto store = LeaseStore::open(path);
  REQUIRE(store);
  auto loaded = store->load_all();
  REQUIRE(loaded);
  auto a = make_allocator(pool_24());
  auto report = a.restore(*loaded, 50);
  CHECK(report.expired.empty());
  CHECK(report.rejected.empty());
  CHECK(a.active() == before);

  std::set<dstm::net::Ipv4Address> held;
  for (const auto& l : before) held.insert(l.ipv4);
  // Fill the rest of the pool: none of the restored addresses may come out again.
  for (std::uint16_t i = 0; i < 300; ++i) {
    auto l = a.allocate("new" + std::to_string(i), false, node(500, i), std::nullopt, 60, 50);
    if (!l) break;
    CHECK(held.count(l->ipv4) == 0);
  }
  CHECK(a.active_count() == a.allocatable_count());

  SECTION("expired leases are dropped and reported") {
    auto b = make_allocator(pool_24());
    auto r = b.restore(*loaded, 120);  // expiries are 100..139
    CHECK(r.expired.size() + b.active_count() == before.size());
    for (const auto& l : r.expired) CHECK(l.expires_at <= 120);
    for (const auto& l : b.active()) CHECK(l.expires_at > 120);
  }
}

TEST_CASE("restore keeps the later-expiring of duplicates and rejects unknown addresses",
          "[lease]") {
  auto a = make_allocator(pool_24());
  std::vector<Lease> stored = {
      lease("10.0.0.5", 1, "alice", false, 100), lease("10.0.0.5", 2, "bob", false, 200),
      lease("10.0.0.6", 3, "carol", false, 300), lease("10.0.0.7", 4, "carol", false, 250),
      lease("10.0.0.255", 5, "dave", false, 300), lease("192.0.2.1", 6, "eve", false, 300),
      lease("10.0.0.8", 7, "old", false, 10)};
  auto report = a.restore(stored, 50);
  REQUIRE(report.expired.size() == 1);
  CHECK(report.expired[0].identity == "old");
  std::set<std::string> rejected;
  for (const auto& l : report.rejected) rejected.insert(l.identity + "@" + l.ipv4.to_string());
  CHECK(rejected == std::set<std::string>{"alice@10.0.0.5", "carol@10.0.0.7", "dave@10.0.0.255",
                                          "eve@192.0.2.1"});
  REQUIRE(a.find(v4("10.0.0.5")));
  CHECK(a.find(v4("10.0.0.5"))->identity == "bob");
  CHECK(a.find(v4("10.0.0.6"))->identity == "carol");
  CHECK(a.active_count() == 2);
  // Restore replaces earlier state.
  auto again = a.restore({lease("10.0.0.9", 9, "zed", false, 100)}, 50);
  CHECK(again.rejected.empty());
  CHECK(a.active_count() == 1);
  CHECK_FALSE(a.find(v4("10.0.0.5")));
}

TEST_CASE("store: the TEP of a lease round-trips; a v1 store is migrated in place", "[lease]") {
  TempDir dir;
  const auto path = dir.file("leases.db");
  {
    // A store as schema v1 wrote it: no tep column.
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db,
                         "CREATE TABLE leases (ipv4 INTEGER PRIMARY KEY, ipv6 BLOB NOT NULL CHECK "
                         "(length(ipv6) = 16), identity TEXT NOT NULL, anonymous INTEGER NOT NULL, "
                         "expires_at INTEGER NOT NULL);"
                         "INSERT INTO leases VALUES (167772161, x'20010db8000000010000000000000001', "
                         "'alice', 0, 100);"
                         "PRAGMA user_version = 1;",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  auto store = LeaseStore::open(path);
  REQUIRE(store);
  auto loaded = store->load_all();
  REQUIRE(loaded);
  REQUIRE(loaded->size() == 1);
  CHECK((*loaded)[0].identity == "alice");
  CHECK((*loaded)[0].tep.empty());
  Lease l = (*loaded)[0];
  l.tep = "tep-east";
  REQUIRE(store->put(l));
  CHECK(store->load_all()->at(0).tep == "tep-east");
  CHECK(pragma_text(path, "PRAGMA user_version") == "2");
}
