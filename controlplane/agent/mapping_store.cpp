#include "mapping_store.h"

#include <sqlite3.h>

#include <climits>
#include <iterator>
#include <utility>

namespace dstm::agent {
namespace {

constexpr const char* kMigrations[] = {
    // v0 -> v1. The IPv4 address is the key: a TEP maps each leased address to one node.
    "CREATE TABLE mappings ("
    "  ipv4   INTEGER PRIMARY KEY,"  // host byte order
    "  ipv6   BLOB    NOT NULL CHECK (length(ipv6) = 16),"
    "  origin INTEGER NOT NULL,"
    "  owner  TEXT    NOT NULL,"
    "  since  INTEGER NOT NULL);"
    "PRAGMA user_version = 1;",
};
static_assert(std::size(kMigrations) == MappingStore::kSchemaVersion);

}  // namespace

std::string_view origin_name(Origin o) { return o == Origin::kTsp ? "tsp" : "static"; }

struct MappingStore::Statements {
  sqlite::Statement put, remove, load_all, begin, commit, rollback;
};

MappingStore::MappingStore(sqlite::Database db) : db_(std::move(db)) {}
MappingStore::MappingStore(MappingStore&&) noexcept = default;
MappingStore& MappingStore::operator=(MappingStore&&) noexcept = default;
MappingStore::~MappingStore() = default;

Expected<MappingStore, std::string> MappingStore::open(const std::string& path) {
  auto db = sqlite::Database::open(path, kMigrations, "mapping store");
  if (!db) return unexpected(db.error());
  MappingStore store(std::move(*db));
  store.statements_ = std::make_unique<Statements>();
  auto& st = *store.statements_;
  const std::pair<sqlite::Statement*, const char*> sql[] = {
      {&st.put, "INSERT OR REPLACE INTO mappings (ipv4, ipv6, origin, owner, since) "
                "VALUES (?1, ?2, ?3, ?4, ?5)"},
      {&st.remove, "DELETE FROM mappings WHERE ipv4 = ?1"},
      {&st.load_all, "SELECT ipv4, ipv6, origin, owner, since FROM mappings ORDER BY ipv4"},
      {&st.begin, "BEGIN IMMEDIATE"},
      {&st.commit, "COMMIT"},
      {&st.rollback, "ROLLBACK"},
  };
  for (const auto& [out, text] : sql) {
    auto statement = store.db_.prepare(text);
    if (!statement) return unexpected(statement.error());
    *out = std::move(*statement);
  }
  return store;
}

Expected<void, std::string> MappingStore::put(const Mapping& m) {
  sqlite3_stmt* s = statements_->put.get();
  const auto& v6 = m.ipv6.bytes();
  if (m.since > static_cast<std::uint64_t>(INT64_MAX)) return unexpected(std::string("put: since out of range"));
  sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(m.ipv4.to_host()));
  sqlite3_bind_blob(s, 2, v6.data(), static_cast<int>(v6.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int(s, 3, static_cast<int>(m.origin));
  sqlite3_bind_text(s, 4, m.owner.data(), static_cast<int>(m.owner.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(s, 5, static_cast<sqlite3_int64>(m.since));
  return db_.exec(s);
}

Expected<void, std::string> MappingStore::remove(net::Ipv4Address ipv4) {
  sqlite3_stmt* s = statements_->remove.get();
  sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(ipv4.to_host()));
  return db_.exec(s);
}

Expected<std::vector<Mapping>, std::string> MappingStore::load_all() const {
  sqlite3_stmt* s = statements_->load_all.get();
  std::vector<Mapping> out;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    const auto ipv4 = sqlite3_column_int64(s, 0);
    const void* blob = sqlite3_column_blob(s, 1);
    const int blob_size = sqlite3_column_bytes(s, 1);
    const int origin = sqlite3_column_int(s, 2);
    const auto* owner = reinterpret_cast<const char*>(sqlite3_column_text(s, 3));
    const int owner_size = sqlite3_column_bytes(s, 3);
    const auto since = sqlite3_column_int64(s, 4);
    if (ipv4 < 0 || ipv4 > sqlite3_int64{UINT32_MAX} || blob == nullptr ||
        blob_size != static_cast<int>(net::Ipv6Address::kSize) || origin < 0 || origin > 1 ||
        since < 0) {
      sqlite3_reset(s);
      return unexpected(std::string("mapping store: malformed row for ipv4 ") + std::to_string(ipv4));
    }
    Mapping m;
    m.ipv4 = net::Ipv4Address::from_host(static_cast<std::uint32_t>(ipv4));
    m.ipv6 = net::Ipv6Address::from_bytes(static_cast<const std::uint8_t*>(blob));
    m.origin = static_cast<Origin>(origin);
    m.owner = owner != nullptr ? std::string(owner, static_cast<std::size_t>(owner_size)) : "";
    m.since = static_cast<std::uint64_t>(since);
    out.push_back(std::move(m));
  }
  sqlite3_reset(s);
  if (rc != SQLITE_DONE) return unexpected(db_.error("mapping store: load"));
  return out;
}

Expected<void, std::string> MappingStore::begin() { return db_.exec(statements_->begin.get()); }

Expected<void, std::string> MappingStore::commit() {
  auto r = db_.exec(statements_->commit.get());
  // A failed COMMIT may leave the transaction open: roll it back so nothing of it survives.
  if (!r && db_.in_transaction()) (void)db_.exec(statements_->rollback.get());
  return r;
}

Expected<void, std::string> MappingStore::rollback() { return db_.exec(statements_->rollback.get()); }

const Mapping* MappingSet::find(net::Ipv4Address ipv4) const {
  auto it = by_ipv4_.find(ipv4.to_host());
  return it == by_ipv4_.end() ? nullptr : &it->second;
}

std::vector<const Mapping*> MappingSet::find_ipv6(const net::Ipv6Address& ipv6) const {
  std::vector<const Mapping*> out;
  auto [lo, hi] = by_ipv6_.equal_range(ipv6);
  for (auto it = lo; it != hi; ++it) out.push_back(&by_ipv4_.at(it->second));
  return out;
}

void MappingSet::put(const Mapping& m) {
  erase(m.ipv4);
  by_ipv4_.emplace(m.ipv4.to_host(), m);
  by_ipv6_.emplace(m.ipv6, m.ipv4.to_host());
}

void MappingSet::erase(net::Ipv4Address ipv4) {
  auto it = by_ipv4_.find(ipv4.to_host());
  if (it == by_ipv4_.end()) return;
  auto [lo, hi] = by_ipv6_.equal_range(it->second.ipv6);
  for (auto j = lo; j != hi; ++j) {
    if (j->second == ipv4.to_host()) {
      by_ipv6_.erase(j);
      break;
    }
  }
  by_ipv4_.erase(it);
}

}  // namespace dstm::agent
