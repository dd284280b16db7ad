#include "store/db.h"

#include <sqlite3.h>
#include <libpq-fe.h>
#include <sys/stat.h>

#include <cstdlib>

#include "core/c_handle.h"
#include "core/log.h"
#include "core/private_files.h"
#include "store/db_postgresql.h"

namespace garde::store {
namespace {

const core::Logger kLog("store.db");

core::Failure sqlFailure(sqlite3* db, int rc, std::string_view what) {
  std::string detail(what);
  detail += ": ";
  detail += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const int primary = rc & 0xff;
  const auto code =
      primary == SQLITE_CONSTRAINT ? core::ErrorCode::kConflict : core::ErrorCode::kStoreError;
  return core::fail(code, std::move(detail));
}

/// A file path, not an in-memory, temporary or URI database: garde creates and checks the file.
bool isFilePath(const std::string& path) {
  return !path.empty() && path != ":memory:" && path.rfind("file:", 0) != 0;
}

// The database holds names and e-mails of pupils and staff. SQLite creates a new file 0644 less
// the umask, and its -wal and -shm with the mode of the database file: the file is created 0600
// here first, and an existing one (or its companions) that group or others may read is refused.
core::Status ownerOnly(const std::string& path, const OpenOptions& options) {
  // An existing file is only inspected, never opened: closing any descriptor of the database
  // file would drop every POSIX lock this process holds on it, those of its open SQLite
  // connections included, and another process closing its last connection would then take
  // itself for the last one and delete the WAL under them ("disk I/O error", lost rows).
  struct stat st {};
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (options.create && !options.read_only && !exists) {
    GARDE_TRY(core::createOwnerOnlyFile(path));
  } else {
    GARDE_TRY(core::checkOwnerOnly(path));
  }
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    GARDE_TRY(core::checkOwnerOnly(path + suffix));
  }
  return {};
}

}  // namespace

Engine engineOf(std::string_view locator) noexcept {
  return locator.rfind("postgresql://", 0) == 0 || locator.rfind("postgres://", 0) == 0
             ? Engine::kPostgresql
             : Engine::kSqlite;
}

void closeSqlite(sqlite3* db) noexcept { sqlite3_close_v2(db); }
void finalizeStmt(sqlite3_stmt* stmt) noexcept { sqlite3_finalize(stmt); }

// --- Stmt -------------------------------------------------------------------------------------

Stmt::Stmt(StmtHandle handle, StmtHandle* home) : handle_(std::move(handle)), home_(home) {}
Stmt::Stmt(std::unique_ptr<PgStatement> pg) : pg_(std::move(pg)) {}
Stmt::Stmt(Stmt&&) noexcept = default;

namespace {

/// A PostgreSQL parameter set (values travel as text), or the bind error SQLite would give.
void pgBind(PgStatement& pg, int index, std::optional<std::string> value, std::string& error) {
  if (index < 1 || index > pg.prepared->parameters) {
    if (error.empty()) {
      error = "bind " + std::to_string(index) + ": column index out of range";
    }
    return;
  }
  pg.values.resize(static_cast<std::size_t>(pg.prepared->parameters));
  pg.values[static_cast<std::size_t>(index - 1)] = std::move(value);
}

}  // namespace

Stmt& Stmt::bind(int index, std::string_view text) {
  if (pg_) {
    pgBind(*pg_, index, std::string(text), bind_error_);
    return *this;
  }
  // An empty view may have no data pointer, which SQLite would bind as NULL: text is never NULL.
  const char* data = text.data() != nullptr ? text.data() : "";
  const int rc =
      sqlite3_bind_text64(handle_.get(), index, data, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_.empty()) {
    bind_error_ = "bind " + std::to_string(index) + ": " + sqlite3_errstr(rc);
  }
  return *this;
}

Stmt& Stmt::bind(int index, std::int64_t value) {
  if (pg_) {
    pgBind(*pg_, index, std::to_string(value), bind_error_);
    return *this;
  }
  const int rc = sqlite3_bind_int64(handle_.get(), index, value);
  if (rc != SQLITE_OK && bind_error_.empty()) {
    bind_error_ = "bind " + std::to_string(index) + ": " + sqlite3_errstr(rc);
  }
  return *this;
}

Stmt& Stmt::bind(int index, std::nullopt_t) {
  if (pg_) {
    pgBind(*pg_, index, std::nullopt, bind_error_);
    return *this;
  }
  const int rc = sqlite3_bind_null(handle_.get(), index);
  if (rc != SQLITE_OK && bind_error_.empty()) {
    bind_error_ = "bind " + std::to_string(index) + ": " + sqlite3_errstr(rc);
  }
  return *this;
}

Stmt& Stmt::bind(int index, const std::optional<std::string>& value) {
  return value ? bind(index, std::string_view(*value)) : bind(index, std::nullopt);
}

Stmt& Stmt::bind(int index, const std::optional<std::int64_t>& value) {
  return value ? bind(index, *value) : bind(index, std::nullopt);
}

core::Result<bool> Stmt::step() {
  if (!bind_error_.empty()) {
    return core::fail(core::ErrorCode::kStoreError, bind_error_);
  }
  if (pg_) {
    if (pg_->row < 0) {
      GARDE_TRY(pg_->execute());
    } else if (pg_->row < pg_->rows) {
      ++pg_->row;
    }
    return pg_->row < pg_->rows;
  }
  const int rc = sqlite3_step(handle_.get());
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  return sqlFailure(sqlite3_db_handle(handle_.get()), rc, "step");
}

core::Status Stmt::run() {
  for (;;) {
    GARDE_ASSIGN_OR_RETURN(const bool row, step());
    if (!row) {
      return {};
    }
  }
}

Stmt::~Stmt() {
  if (home_ == nullptr || !handle_) {
    return;  // finalized by handle_
  }
  sqlite3_reset(handle_.get());
  sqlite3_clear_bindings(handle_.get());
  if (!*home_) {
    *home_ = std::move(handle_);  // else a twin is already idle: this one is finalized
  }
}

void Stmt::reset() {
  bind_error_.clear();
  if (pg_) {
    pg_->result.reset();
    pg_->row = -1;
    pg_->rows = 0;
    pg_->values.assign(pg_->values.size(), std::nullopt);
    return;
  }
  sqlite3_reset(handle_.get());
  sqlite3_clear_bindings(handle_.get());
}

namespace {

/// The current row's value on PostgreSQL (null when there is no row or the value is NULL).
const char* pgValue(const PgStatement& pg, int column, int* length = nullptr) {
  if (!pg.result || pg.row < 0 || pg.row >= pg.rows || column < 0 ||
      column >= PQnfields(pg.result.get()) || PQgetisnull(pg.result.get(), pg.row, column) != 0) {
    return nullptr;
  }
  if (length != nullptr) {
    *length = PQgetlength(pg.result.get(), pg.row, column);
  }
  return PQgetvalue(pg.result.get(), pg.row, column);
}

}  // namespace

std::string Stmt::text(int column) const {
  if (pg_) {
    int length = 0;
    const char* value = pgValue(*pg_, column, &length);
    return value != nullptr ? std::string(value, static_cast<std::size_t>(length)) : std::string();
  }
  const auto* p = sqlite3_column_text(handle_.get(), column);
  if (p == nullptr) {
    return {};
  }
  return {reinterpret_cast<const char*>(p),
          static_cast<std::size_t>(sqlite3_column_bytes(handle_.get(), column))};
}

std::optional<std::string> Stmt::optionalText(int column) const {
  if (isNull(column)) {
    return std::nullopt;
  }
  return text(column);
}

std::int64_t Stmt::int64(int column) const {
  if (pg_) {
    const char* value = pgValue(*pg_, column);
    if (value == nullptr) {
      return 0;
    }
    // A boolean expression (EXISTS, a comparison) is an integer 0 or 1 on SQLite, 't' or 'f' here.
    if (value[0] == 't' && value[1] == '\0') {
      return 1;
    }
    return std::strtoll(value, nullptr, 10);
  }
  return sqlite3_column_int64(handle_.get(), column);
}

bool Stmt::isNull(int column) const {
  if (pg_) {
    return pgValue(*pg_, column) == nullptr;
  }
  return sqlite3_column_type(handle_.get(), column) == SQLITE_NULL;
}

// --- Db ---------------------------------------------------------------------------------------

Db::Db(SqliteHandle handle)
    : handle_(std::move(handle)), cache_(std::make_unique<StatementCache>()) {}
Db::Db(std::unique_ptr<PgConnection> pg) : pg_(std::move(pg)) {}
Db::Db(Db&& other) noexcept = default;
Db& Db::operator=(Db&& other) noexcept = default;
Db::~Db() = default;

core::Result<Db> Db::open(const std::string& path, const OpenOptions& options) {
  if (engineOf(path) == Engine::kPostgresql) {
    GARDE_ASSIGN_OR_RETURN(auto pg, openPostgresql(path, options));
    return Db(std::move(pg));
  }
  // Before SQLite's first use: no memory statistics. They are kept under one process-wide mutex
  // taken by every allocation of every connection, which the launch profile showed contended
  // between the I/O threads (futex calls in sqlite3Malloc). garde never reads them.
  static const int memstatus_off = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)memstatus_off;  // SQLITE_MISUSE if SQLite was already initialised: then they stay on
  if (isFilePath(path)) {
    if (auto owner_only = ownerOnly(path, options); !owner_only) {
      core::Error error = std::move(owner_only).error();
      if (error.code != core::ErrorCode::kConfigInvalid) {
        error.code = core::ErrorCode::kStoreError;  // a failing system call: cannot be opened
      }
      return core::fail(std::move(error));
    }
  }
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
  flags |= options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (options.create && !options.read_only) {
    flags |= SQLITE_OPEN_CREATE;
  }
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  SqliteHandle handle(raw);  // sqlite3_open_v2 may allocate a handle even on failure
  if (rc != SQLITE_OK) {
    return sqlFailure(raw, rc, "open database");
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  Db db(std::move(handle));
  // Foreign keys are off by default in SQLite and must be set per connection, outside a
  // transaction.
  GARDE_TRY(db.execScript("PRAGMA foreign_keys = ON;"));
  // Database pages are read through a shared memory map rather than one pread per page: a launch
  // reads a few dozen pages, and each write by another connection (the audit rows) empties this
  // connection's page cache. 256 MiB is address space, not memory.
  GARDE_TRY(db.execScript(options.memory_map ? "PRAGMA mmap_size = 268435456;"
                                             : "PRAGMA mmap_size = 0;"));
  if (!options.read_only) {
    // WAL: readers do not block the writer; NORMAL is durable at each checkpoint, safe in WAL mode.
    GARDE_TRY(db.execScript("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"));
  }
  return db;
}

core::Result<Stmt> Db::prepare(std::string_view sql) {
  if (pg_) {
    GARDE_ASSIGN_OR_RETURN(const PgConnection::Prepared* prepared, pg_->prepare(sql));
    auto statement = std::make_unique<PgStatement>();
    statement->connection = pg_.get();
    statement->prepared = prepared;
    return Stmt(std::move(statement));
  }
  auto it = cache_->idle.find(sql);
  if (it == cache_->idle.end()) {
    it = cache_->idle.emplace(std::string(sql), nullptr).first;
  }
  StmtHandle& home = it->second;
  if (home) {
    StmtHandle reused = std::move(home);
    return Stmt(std::move(reused), &home);
  }
  sqlite3_stmt* raw = nullptr;
  const int rc =
      sqlite3_prepare_v2(handle_.get(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
  StmtHandle stmt(raw);
  if (rc != SQLITE_OK) {
    return sqlFailure(handle_.get(), rc, "prepare");
  }
  return Stmt(std::move(stmt), &home);
}

core::Status Db::execScript(const char* sql) {
  if (pg_) {
    return pg_->exec(sql, "exec");
  }
  char* message = nullptr;
  const int rc = sqlite3_exec(handle_.get(), sql, nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    const core::CHandle<char, sqlite3_free> owned(message);
    std::string detail = message != nullptr ? message : sqlite3_errstr(rc);
    const auto code = (rc & 0xff) == SQLITE_CONSTRAINT ? core::ErrorCode::kConflict
                                                       : core::ErrorCode::kStoreError;
    return core::fail(code, "exec: " + detail);
  }
  return {};
}

int Db::changes() const { return pg_ ? pg_->changes : sqlite3_changes(handle_.get()); }

bool Db::inTransaction() const {
  if (pg_) {
    const auto status = PQtransactionStatus(pg_->raw());
    return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
  }
  return sqlite3_get_autocommit(handle_.get()) == 0;
}

// --- Transaction ------------------------------------------------------------------------------

// BEGIN and COMMIT go through the statement cache like any other statement: sqlite3_exec would
// compile them again on every transaction (a launch runs several).
core::Status Db::runCached(const char* sql) {
  if (pg_) {
    return pg_->exec(sql, sql);  // BEGIN, COMMIT: nothing to prepare
  }
  GARDE_ASSIGN_OR_RETURN(Stmt stmt, prepare(sql));
  return stmt.run();
}

/// The advisory lock every garde writer takes on PostgreSQL ("garde" in ASCII): one writer at a
/// time, as SQLite's write lock (docs/adr/0034).
constexpr const char* kPgBeginWrite = "BEGIN; SELECT pg_advisory_xact_lock(103976872715365)";
constexpr const char* kPgBeginRead = "BEGIN ISOLATION LEVEL REPEATABLE READ";

core::Result<Transaction> Transaction::begin(Db& db, Kind kind) {
  if (db.engine() == Engine::kPostgresql) {
    GARDE_TRY(db.runCached(kind == Kind::kImmediate ? kPgBeginWrite : kPgBeginRead));
    return Transaction(db);
  }
  GARDE_TRY(db.runCached(kind == Kind::kImmediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED"));
  return Transaction(db);
}

Transaction::Transaction(Transaction&& other) noexcept : db_(other.db_), open_(other.open_) {
  other.open_ = false;
}

Transaction::~Transaction() {
  if (open_ && db_->inTransaction()) {
    if (auto s = db_->execScript("ROLLBACK"); !s) {
      kLog.error("rollback failed", {{"detail", s.error().detail}});
    }
  }
}

core::Status Transaction::commit() {
  if (!open_) {
    return core::fail(core::ErrorCode::kInternal, "commit of a closed transaction");
  }
  auto s = db_->runCached("COMMIT");
  if (!s) {
    return s;  // still open: the destructor rolls back
  }
  open_ = false;
  return {};
}

}  // namespace garde::store
