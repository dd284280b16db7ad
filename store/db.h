#pragma once
/// @file The store's seam over its two engines: a connection (Db), prepared statements (Stmt) and
/// transactions, on SQLite (the embedded default) or PostgreSQL (docs/adr/0034).
///
/// This header forward-declares the engines' types; only store/db*.cpp include sqlite3.h or
/// libpq-fe.h. C return codes are turned into core::Result here: nothing above this file sees an
/// `int rc` or a PGresult. Repositories write one SQL text for both engines, with `?N` parameters;
/// on PostgreSQL it is rewritten once per connection when prepared (db_postgresql.cpp says how).
///
/// Thread-safety: a Db and its Stmts belong to one thread at a time (the SQLite connection is
/// opened with SQLITE_OPEN_NOMUTEX). Open one Db per thread; WAL mode lets readers run beside one
/// writer.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/c_handle.h"
#include "core/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace garde::store {

class PgConnection;  // db_postgresql.h: a libpq connection and its prepared statements
struct PgStatement;  // db_postgresql.h: one prepared statement's parameters and result

/// Which engine a database locator names: a `postgresql://` (or `postgres://`) URL is a libpq
/// connection string; anything else is an SQLite file path (or ":memory:").
enum class Engine { kSqlite, kPostgresql };
Engine engineOf(std::string_view locator) noexcept;

/// sqlite3_close_v2 and sqlite3_finalize, defined in db.cpp so that the handles below need no
/// SQLite header (docs/style.md section 3).
void closeSqlite(sqlite3* db) noexcept;
void finalizeStmt(sqlite3_stmt* stmt) noexcept;
using SqliteHandle = core::CHandle<sqlite3, closeSqlite>;
using StmtHandle = core::CHandle<sqlite3_stmt, finalizeStmt>;

/// Hashes std::string keys and string_view look-ups alike (heterogeneous look-up, no copy per
/// find).
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

/// A connection's prepared statements kept for reuse, by SQL text (the launch path runs the same
/// couple of dozen statements every time: preparing them each time cost more than running them).
/// Looked up by string_view (no copy of the SQL per statement); a statement in use keeps a pointer
/// to its slot, stable in a node-based map, and goes back there without a second lookup.
struct StatementCache {
  std::unordered_map<std::string, StmtHandle, StringHash, std::equal_to<>> idle;
};

/// A prepared statement. Parameters are bound by 1-based index, never spliced into SQL text.
/// Move-only; must not outlive its Db. When it comes from Db::prepare it goes back to the
/// connection's cache on destruction (reset, bindings cleared) instead of being finalized.
class Stmt {
 public:
  explicit Stmt(StmtHandle handle, StmtHandle* home = nullptr);
  explicit Stmt(std::unique_ptr<PgStatement> pg);
  Stmt(Stmt&&) noexcept;
  Stmt& operator=(Stmt&&) = delete;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();

  /// Binders return *this so calls chain; a failed bind is remembered and reported by step()/run().
  Stmt& bind(int index, std::string_view text);
  Stmt& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Stmt& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
  Stmt& bind(int index, std::int64_t value);
  Stmt& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Stmt& bind(int index, bool value) {
    return bind(index, static_cast<std::int64_t>(value ? 1 : 0));
  }
  Stmt& bind(int index, std::nullopt_t);
  Stmt& bind(int index, const std::optional<std::string>& value);
  Stmt& bind(int index, const std::optional<std::int64_t>& value);

  /// Binds every argument in order from index 1.
  template <class... Args>
  Stmt& bindAll(const Args&... args) {
    int i = 0;
    (bind(++i, args), ...);
    return *this;
  }

  /// Steps once: true when a row is available, false when done. kStoreError (or kConflict for a
  /// constraint violation) on failure.
  core::Result<bool> step();
  /// Steps until done (for INSERT/UPDATE/DELETE).
  core::Status run();
  /// Resets the statement and clears its bindings so it can run again.
  void reset();

  /// Column readers for the current row (0-based); NULL reads as "" / 0.
  std::string text(int column) const;
  std::optional<std::string> optionalText(int column) const;
  std::int64_t int64(int column) const;
  bool isNull(int column) const;

 private:
  StmtHandle handle_;
  std::string bind_error_;
  StmtHandle* home_ =
      nullptr;  ///< its slot in the Db's StatementCache; null: finalize on destruction
  std::unique_ptr<PgStatement> pg_;  ///< set on PostgreSQL (handle_ is then null)
};

struct OpenOptions {
  int busy_timeout_ms = 5000;
  /// Whether up to 256 MiB of the database file are read through a memory map (PRAGMA
  /// mmap_size). Mapped pages count in the resident set: a bulk job that reads the whole directory
  /// (a feed import) opens without.
  bool memory_map = true;
  bool read_only = false;
  bool create = true;
};

/// One connection. On SQLite, set up with the project's defaults: WAL journal, foreign keys ON,
/// synchronous=NORMAL, busy_timeout. On PostgreSQL, a libpq connection whose lock waits are bounded
/// by busy_timeout. Move-only.
class Db {
 public:
  /// Opens the database `path` names (engineOf). SQLite: opens (and with options.create,
  /// creates) the file (":memory:" works); a file is created mode 0600 whatever the umask (its
  /// -wal and -shm follow its mode); kConfigInvalid, naming the file, when it or its -wal, -shm or
  /// -journal exists and group or others may read or write it. PostgreSQL: connects (the URL is
  /// never logged nor put in an error: it may hold a password). kStoreError when it cannot be
  /// opened or configured.
  static core::Result<Db> open(const std::string& path, const OpenOptions& options = {});
  Db(Db&& other) noexcept;
  Db& operator=(Db&& other) noexcept;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();

  Engine engine() const noexcept { return pg_ ? Engine::kPostgresql : Engine::kSqlite; }

  /// Prepares one statement. The SQL must be a constant of the program: data goes through bind().
  core::Result<Stmt> prepare(std::string_view sql);
  /// Runs constant SQL with no parameters (schema migrations, pragmas). Never with data in it.
  /// The text goes to the engine as it is (no rewriting): a script is written for its engine.
  core::Status execScript(const char* sql);
  /// Runs one constant statement with no parameters through the statement cache (BEGIN, COMMIT).
  core::Status runCached(const char* sql);

  /// The rows the last INSERT, UPDATE or DELETE changed. (There is no last insert rowid: an
  /// insert that needs its new id says `RETURNING id`, which both engines answer.)
  int changes() const;
  /// Whether the connection is inside an explicit transaction.
  bool inTransaction() const;

  /// The SQLite connection; null on PostgreSQL.
  sqlite3* raw() const { return handle_.get(); }
  /// The PostgreSQL connection; null on SQLite.
  PgConnection* postgresql() const { return pg_.get(); }

 private:
  explicit Db(SqliteHandle handle);
  explicit Db(std::unique_ptr<PgConnection> pg);
  SqliteHandle handle_;
  std::unique_ptr<StatementCache> cache_;  ///< declared after handle_: finalized before closing
  std::unique_ptr<PgConnection> pg_;
};

/// A transaction that rolls back unless commit() succeeds. kImmediate takes the write lock up
/// front, so a writer waits (busy_timeout) at the start rather than failing at COMMIT: BEGIN
/// IMMEDIATE on SQLite; on PostgreSQL, BEGIN and a transaction-scoped advisory lock every garde
/// writer takes, so that writers run one at a time there too (the repositories' read-then-write
/// steps rely on it). kDeferred reads one snapshot: BEGIN DEFERRED on SQLite, REPEATABLE READ on
/// PostgreSQL.
class Transaction {
 public:
  enum class Kind { kDeferred, kImmediate };

  static core::Result<Transaction> begin(Db& db, Kind kind = Kind::kImmediate);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  core::Status commit();

 private:
  explicit Transaction(Db& db) : db_(&db) {}
  Db* db_;
  bool open_ = true;
};

}  // namespace garde::store
