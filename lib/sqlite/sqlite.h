// dstm::sqlite — the one way this project opens an SQLite store: WAL journal, synchronous=FULL,
// schema migrations by PRAGMA user_version, prepared statements only (no SQL built from data).
// Used by the lease store (dstm-server) and the mapping store (dstm-agent).
#pragma once

#include <memory>
#include <span>
#include <string>

#include "util/expected.h"

struct sqlite3;
struct sqlite3_stmt;

namespace dstm::sqlite {

struct StatementDeleter {
  void operator()(sqlite3_stmt* s) const;
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

// A connection. Single-threaded; move-only; closes on destruction (statements made by
// prepare() must be destroyed first: a connection with live statements does not close).
class Database {
 public:
  // Opens or creates `path`. migrations[v] takes the schema from user_version v to v + 1 (each
  // a constant script that ends with "PRAGMA user_version = v+1;"), run in one transaction each.
  // A store newer than migrations.size() is refused: an older program must not write it.
  // `what` names the store in error messages ("lease store", "mapping store").
  static Expected<Database, std::string> open(const std::string& path,
                                              std::span<const char* const> migrations,
                                              const std::string& what);

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  Expected<Statement, std::string> prepare(const char* sql) const;
  // Steps a statement that returns no rows, then resets it and clears its bindings.
  Expected<void, std::string> exec(sqlite3_stmt* statement) const;
  // "what: <sqlite's message>".
  std::string error(const char* what) const;
  // True while a transaction is open (sqlite3_get_autocommit() == 0).
  bool in_transaction() const;
  sqlite3* handle() const { return db_; }

 private:
  Database() = default;
  sqlite3* db_ = nullptr;
};

}  // namespace dstm::sqlite
