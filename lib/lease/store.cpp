// LeaseStore: the leases in SQLite, so that a restarted server gives no address out twice
// (DESIGN.md flow 6). Every statement is prepared once with bound parameters; no SQL is built
// from data.
#include <sqlite3.h>

#include <climits>
#include <cstdint>
#include <iterator>
#include <utility>

#include "lease/lease.h"
#include "sqlite/sqlite.h"

namespace dstm::lease {

namespace {

// Schema migrations: kMigrations[v] takes user_version v to v + 1, inside one transaction.
constexpr const char* kMigrations[] = {
    // v0 -> v1. The IPv4 address is the key: the store cannot hold one address twice.
    "CREATE TABLE leases ("
    "  ipv4       INTEGER PRIMARY KEY,"  // host byte order
    "  ipv6       BLOB    NOT NULL CHECK (length(ipv6) = 16),"
    "  identity   TEXT    NOT NULL,"
    "  anonymous  INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL);"
    "PRAGMA user_version = 1;",
    // v1 -> v2. Which TEP holds the mapping, so a restarted server re-pushes each lease to
    // the TEP that has it (and deletes it there at expiry).
    "ALTER TABLE leases ADD COLUMN tep TEXT NOT NULL DEFAULT '';"
    "PRAGMA user_version = 2;",
};
static_assert(std::size(kMigrations) == LeaseStore::kSchemaVersion);

}  // namespace

struct LeaseStore::Statements {
  sqlite::Statement put, remove, load_all, begin, commit, rollback;
};

LeaseStore::LeaseStore(sqlite::Database db) : db_(std::move(db)) {}
LeaseStore::LeaseStore(LeaseStore&&) noexcept = default;
LeaseStore& LeaseStore::operator=(LeaseStore&&) noexcept = default;
// Statements are declared after db_, so they are finalized before the connection closes.
LeaseStore::~LeaseStore() = default;

Expected<LeaseStore, std::string> LeaseStore::open(const std::string& path) {
  auto db = sqlite::Database::open(path, kMigrations, "lease store");
  if (!db) return unexpected(std::move(db.error()));
  LeaseStore store(std::move(*db));
  store.statements_ = std::make_unique<Statements>();
  auto& st = *store.statements_;
  const std::pair<sqlite::Statement*, const char*> sql[] = {
      {&st.put, "INSERT OR REPLACE INTO leases (ipv4, ipv6, identity, anonymous, expires_at, tep) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
      {&st.remove, "DELETE FROM leases WHERE ipv4 = ?1"},
      {&st.load_all, "SELECT ipv4, ipv6, identity, anonymous, expires_at, tep FROM leases ORDER BY ipv4"},
      {&st.begin, "BEGIN IMMEDIATE"},
      {&st.commit, "COMMIT"},
      {&st.rollback, "ROLLBACK"},
  };
  for (const auto& [out, text] : sql) {
    auto statement = store.db_.prepare(text);
    if (!statement) return unexpected(std::move(statement.error()));
    *out = std::move(*statement);
  }
  return store;
}

Expected<void, std::string> LeaseStore::exec(sqlite3_stmt* statement) const { return db_.exec(statement); }

std::string LeaseStore::error(const char* what) const { return db_.error(what); }

Expected<void, std::string> LeaseStore::put(const Lease& lease) {
  sqlite3_stmt* s = statements_->put.get();
  const auto& v6 = lease.ipv6.bytes();
  if (lease.expires_at > static_cast<std::uint64_t>(INT64_MAX)) {
    return unexpected(std::string("put: expires_at out of range"));
  }
  sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(lease.ipv4.to_host()));
  sqlite3_bind_blob(s, 2, v6.data(), static_cast<int>(v6.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 3, lease.identity.data(), static_cast<int>(lease.identity.size()),
                    SQLITE_TRANSIENT);
  sqlite3_bind_int(s, 4, lease.anonymous ? 1 : 0);
  sqlite3_bind_int64(s, 5, static_cast<sqlite3_int64>(lease.expires_at));
  sqlite3_bind_text(s, 6, lease.tep.data(), static_cast<int>(lease.tep.size()), SQLITE_TRANSIENT);
  return exec(s);
}

Expected<void, std::string> LeaseStore::remove(net::Ipv4Address ipv4) {
  sqlite3_stmt* s = statements_->remove.get();
  sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(ipv4.to_host()));
  return exec(s);
}

Expected<std::vector<Lease>, std::string> LeaseStore::load_all() const {
  sqlite3_stmt* s = statements_->load_all.get();
  std::vector<Lease> out;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    const auto ipv4 = sqlite3_column_int64(s, 0);
    const void* blob = sqlite3_column_blob(s, 1);
    const int blob_size = sqlite3_column_bytes(s, 1);
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, 2));
    const int text_size = sqlite3_column_bytes(s, 2);
    const auto expires_at = sqlite3_column_int64(s, 4);
    if (ipv4 < 0 || ipv4 > sqlite3_int64{UINT32_MAX} || blob == nullptr ||
        blob_size != static_cast<int>(net::Ipv6Address::kSize) || expires_at < 0) {
      sqlite3_reset(s);
      return unexpected(std::string("load_all: malformed row"));
    }
    Lease lease;
    lease.ipv4 = net::Ipv4Address::from_host(static_cast<std::uint32_t>(ipv4));
    lease.ipv6 = net::Ipv6Address::from_bytes(static_cast<const std::uint8_t*>(blob));
    lease.identity = text != nullptr ? std::string(text, static_cast<std::size_t>(text_size))
                                     : std::string();
    lease.anonymous = sqlite3_column_int(s, 3) != 0;
    lease.expires_at = static_cast<std::uint64_t>(expires_at);
    const auto* tep = reinterpret_cast<const char*>(sqlite3_column_text(s, 5));
    lease.tep = tep != nullptr ? std::string(tep, static_cast<std::size_t>(sqlite3_column_bytes(s, 5)))
                               : std::string();
    out.push_back(std::move(lease));
  }
  sqlite3_reset(s);
  if (rc != SQLITE_DONE) return unexpected(error("load_all"));
  return out;
}

Expected<void, std::string> LeaseStore::begin() {
  if (in_batch_) return unexpected(std::string("begin: a batch is already open"));
  auto r = exec(statements_->begin.get());
  if (r) in_batch_ = true;
  return r;
}

Expected<void, std::string> LeaseStore::commit() {
  if (!in_batch_) return unexpected(std::string("commit: no batch is open"));
  auto r = exec(statements_->commit.get());
  // A failed COMMIT (SQLITE_BUSY, I/O error) may leave the transaction open: roll it back so
  // that the caller's view — nothing in the batch happened — is the database's too.
  if (!r && db_.in_transaction()) (void)exec(statements_->rollback.get());
  in_batch_ = false;
  return r;
}

Expected<void, std::string> LeaseStore::rollback() {
  if (!in_batch_) return unexpected(std::string("rollback: no batch is open"));
  in_batch_ = false;
  return exec(statements_->rollback.get());
}

}  // namespace dstm::lease
