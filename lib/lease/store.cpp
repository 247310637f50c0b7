// LeaseStore: the leases in SQLite, so that a restarted server gives no address out twice
// (DESIGN.md flow 6). Every statement is prepared once with bound parameters; no SQL is built
// from data.
#include <sqlite3.h>

#include <climits>
#include <cstdint>
#include <iterator>
#include <utility>

#include "lease/lease.h"

namespace dstm::lease {

namespace {

struct StatementDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

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
};
static_assert(std::size(kMigrations) == LeaseStore::kSchemaVersion);

// Waits this long for another connection's lock (dstmctl reading) instead of failing at once.
constexpr int kBusyTimeoutMs = 5000;

}  // namespace

struct LeaseStore::Statements {
  Statement put, remove, load_all, begin, commit, rollback;
};

LeaseStore::LeaseStore(LeaseStore&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      statements_(std::move(other.statements_)),
      in_batch_(std::exchange(other.in_batch_, false)) {}

LeaseStore& LeaseStore::operator=(LeaseStore&& other) noexcept {
  if (this != &other) {
    statements_.reset();
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    statements_ = std::move(other.statements_);
    in_batch_ = std::exchange(other.in_batch_, false);
  }
  return *this;
}

LeaseStore::~LeaseStore() {
  statements_.reset();  // statements first: a connection with live statements does not close
  if (db_ != nullptr) sqlite3_close_v2(db_);  // an open batch is rolled back by SQLite
}

std::string LeaseStore::error(const char* what) const {
  return std::string(what) + ": " + (db_ != nullptr ? sqlite3_errmsg(db_) : "no database");
}

Expected<LeaseStore, std::string> LeaseStore::open(const std::string& path) {
  LeaseStore store;
  const int rc = sqlite3_open_v2(path.c_str(), &store.db_,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) return unexpected(store.error(("open " + path).c_str()));
  sqlite3_extended_result_codes(store.db_, 1);
  sqlite3_busy_timeout(store.db_, kBusyTimeoutMs);

  auto prepare = [&](const char* sql, Statement& out) -> bool {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(store.db_, sql, -1, &s, nullptr) != SQLITE_OK) return false;
    out.reset(s);
    return true;
  };

  // WAL: a commit appends to the log and needs one fsync; readers never block the writer.
  // synchronous=FULL: in WAL mode NORMAL may lose the last commits on power loss, and a lost
  // lease commit means an address handed out twice after a restart.
  Statement pragma;
  if (!prepare("PRAGMA journal_mode=WAL", pragma) || sqlite3_step(pragma.get()) != SQLITE_ROW) {
    return unexpected(store.error("journal_mode"));
  }
  const auto* mode = reinterpret_cast<const char*>(sqlite3_column_text(pragma.get(), 0));
  if (mode == nullptr || std::string(mode) != "wal") {
    return unexpected("journal_mode: WAL refused (got " + std::string(mode ? mode : "?") + ")");
  }
  if (!prepare("PRAGMA synchronous=FULL", pragma) || sqlite3_step(pragma.get()) != SQLITE_DONE) {
    return unexpected(store.error("synchronous"));
  }
  if (!prepare("PRAGMA user_version", pragma) || sqlite3_step(pragma.get()) != SQLITE_ROW) {
    return unexpected(store.error("user_version"));
  }
  const int version = sqlite3_column_int(pragma.get(), 0);
  pragma.reset();
  if (version < 0 || version > kSchemaVersion) {
    return unexpected("lease store schema version " + std::to_string(version) +
                      " is newer than this program's " + std::to_string(kSchemaVersion));
  }
  for (int v = version; v < kSchemaVersion; ++v) {
    // Constant text from kMigrations (several statements): sqlite3_exec is the tool for it.
    const std::string script =
        std::string("BEGIN IMMEDIATE;") + kMigrations[static_cast<std::size_t>(v)] + "COMMIT;";
    if (sqlite3_exec(store.db_, script.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      auto message = store.error("schema migration");
      sqlite3_exec(store.db_, "ROLLBACK", nullptr, nullptr, nullptr);
      return unexpected(std::move(message));
    }
  }

  store.statements_ = std::make_unique<Statements>();
  auto& st = *store.statements_;
  if (!prepare("INSERT OR REPLACE INTO leases (ipv4, ipv6, identity, anonymous, expires_at) "
               "VALUES (?1, ?2, ?3, ?4, ?5)", st.put) ||
      !prepare("DELETE FROM leases WHERE ipv4 = ?1", st.remove) ||
      !prepare("SELECT ipv4, ipv6, identity, anonymous, expires_at FROM leases ORDER BY ipv4",
               st.load_all) ||
      !prepare("BEGIN IMMEDIATE", st.begin) || !prepare("COMMIT", st.commit) ||
      !prepare("ROLLBACK", st.rollback)) {
    return unexpected(store.error("prepare"));
  }
  return store;
}

Expected<void, std::string> LeaseStore::exec(sqlite3_stmt* statement) const {
  const int rc = sqlite3_step(statement);
  sqlite3_reset(statement);
  sqlite3_clear_bindings(statement);
  if (rc != SQLITE_DONE) return unexpected(error(sqlite3_sql(statement)));
  return {};
}

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
  if (!r && sqlite3_get_autocommit(db_) == 0) (void)exec(statements_->rollback.get());
  in_batch_ = false;
  return r;
}

Expected<void, std::string> LeaseStore::rollback() {
  if (!in_batch_) return unexpected(std::string("rollback: no batch is open"));
  in_batch_ = false;
  return exec(statements_->rollback.get());
}

}  // namespace dstm::lease
