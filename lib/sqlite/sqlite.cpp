#include "sqlite/sqlite.h"

#include <sqlite3.h>

#include <utility>

namespace dstm::sqlite {

namespace {
// Waits this long for another connection's lock (dstmctl reading) instead of failing at once.
constexpr int kBusyTimeoutMs = 5000;
}  // namespace

void StatementDeleter::operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }

Database::Database(Database&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

Database::~Database() {
  if (db_ != nullptr) sqlite3_close_v2(db_);  // an open transaction is rolled back by SQLite
}

std::string Database::error(const char* what) const {
  return std::string(what) + ": " + (db_ != nullptr ? sqlite3_errmsg(db_) : "no database");
}

bool Database::in_transaction() const { return db_ != nullptr && sqlite3_get_autocommit(db_) == 0; }

Expected<Statement, std::string> Database::prepare(const char* sql) const {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK) {
    return unexpected(error((std::string("prepare ") + sql).c_str()));
  }
  return Statement(s);
}

Expected<void, std::string> Database::exec(sqlite3_stmt* statement) const {
  const int rc = sqlite3_step(statement);
  sqlite3_reset(statement);
  sqlite3_clear_bindings(statement);
  if (rc != SQLITE_DONE) return unexpected(error(sqlite3_sql(statement)));
  return {};
}

Expected<Database, std::string> Database::open(const std::string& path,
                                               std::span<const char* const> migrations,
                                               const std::string& what) {
  Database db;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db.db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) return unexpected(db.error(("open " + what + " " + path).c_str()));
  sqlite3_extended_result_codes(db.db_, 1);
  sqlite3_busy_timeout(db.db_, kBusyTimeoutMs);

  // WAL: a commit appends to the log and needs one fsync; readers never block the writer.
  // synchronous=FULL: in WAL mode NORMAL may lose the last commits on power loss, and a lost
  // commit means an address handed out twice (leases) or a mapping forgotten (agent).
  auto pragma = db.prepare("PRAGMA journal_mode=WAL");
  if (!pragma || sqlite3_step(pragma->get()) != SQLITE_ROW) {
    return unexpected(db.error((what + " journal_mode").c_str()));
  }
  const auto* mode = reinterpret_cast<const char*>(sqlite3_column_text(pragma->get(), 0));
  if (mode == nullptr || std::string(mode) != "wal") {
    return unexpected(what + " journal_mode: WAL refused (got " + std::string(mode ? mode : "?") + ")");
  }
  pragma = db.prepare("PRAGMA synchronous=FULL");
  if (!pragma || sqlite3_step(pragma->get()) != SQLITE_DONE) {
    return unexpected(db.error((what + " synchronous").c_str()));
  }
  pragma = db.prepare("PRAGMA user_version");
  if (!pragma || sqlite3_step(pragma->get()) != SQLITE_ROW) {
    return unexpected(db.error((what + " user_version").c_str()));
  }
  const int version = sqlite3_column_int(pragma->get(), 0);
  pragma->reset();
  const int known = static_cast<int>(migrations.size());
  if (version < 0 || version > known) {
    return unexpected(what + " schema version " + std::to_string(version) +
                      " is newer than this program's " + std::to_string(known));
  }
  for (int v = version; v < known; ++v) {
    // Constant text (several statements): sqlite3_exec is the tool for it.
    const std::string script =
        std::string("BEGIN IMMEDIATE;") + migrations[static_cast<std::size_t>(v)] + "COMMIT;";
    if (sqlite3_exec(db.db_, script.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      auto message = db.error((what + " schema migration").c_str());
      sqlite3_exec(db.db_, "ROLLBACK", nullptr, nullptr, nullptr);
      return unexpected(std::move(message));
    }
  }
  return db;
}

}  // namespace dstm::sqlite
