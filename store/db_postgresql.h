#pragma once
/// @file The PostgreSQL side of store::Db (docs/adr/0034), private to store/db*.cpp: a libpq
/// connection with its prepared statements, and one statement's parameters and result.
///
/// Repositories write SQL once, with SQLite's `?N` parameters; toPostgresql() rewrites it when it
/// is first prepared on a connection (PQprepare, parameter types left to the server, which infers
/// them from the columns they meet). Parameters travel as text, results come back as text: the
/// Stmt readers (text, int64, isNull) see the same values on both engines.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "store/db.h"

struct pg_conn;
struct pg_result;

namespace garde::store {

void closePg(pg_conn* conn) noexcept;
void clearPgResult(pg_result* result) noexcept;
using PgConnHandle = core::CHandle<pg_conn, closePg>;
using PgResultHandle = core::CHandle<pg_result, clearPgResult>;

/// `sql` with `?N` turned into `$N` and SQLite's spellings that PostgreSQL lacks turned into its
/// own: `group_concat(` into `string_agg(`, `LIKE` into `ILIKE` (SQLite's LIKE ignores ASCII case,
/// PostgreSQL's does not; ILIKE under the C ctype folds ASCII only, as SQLite does). String
/// literals, quoted identifiers and comments are left as they are. `parameters` receives the
/// highest N seen.
std::string toPostgresql(std::string_view sql, int& parameters);

/// A failure from a libpq result or connection: kConflict for an integrity violation (SQLSTATE
/// class 23, as SQLITE_CONSTRAINT on SQLite), kStoreError otherwise, with the server's message.
core::Failure pgFailure(pg_conn* conn, const pg_result* result, std::string_view what);

class PgConnection {
 public:
  explicit PgConnection(PgConnHandle conn) : conn_(std::move(conn)) {}
  pg_conn* raw() const { return conn_.get(); }

  struct Prepared {
    std::string name;  ///< "g1", "g2"... on this connection
    int parameters = 0;
  };
  /// The statement prepared for `sql` on this connection (prepared now on first use).
  core::Result<const Prepared*> prepare(std::string_view sql);
  /// Runs one SQL text without parameters (PQexec: several statements may follow each other).
  core::Status exec(const char* sql, std::string_view what);

  int changes = 0;  ///< rows changed by the last command that ran here

 private:
  PgConnHandle conn_;
  std::unordered_map<std::string, Prepared, StringHash, std::equal_to<>> prepared_;
};

struct PgStatement {
  PgConnection* connection = nullptr;
  const PgConnection::Prepared* prepared = nullptr;
  std::vector<std::optional<std::string>> values;  ///< by parameter index - 1
  PgResultHandle result;
  int row = -1;  ///< the current row; -1 before the statement ran
  int rows = 0;

  /// Runs the statement with its values (the first step).
  core::Status execute();
};

/// Rows streamed into a table through COPY ... FROM STDIN in text format, PostgreSQL's bulk path:
/// no statement per row, no round trip per row. Fields are added in the COPY's column order, each
/// row ended by endRow(); finish() ends the COPY and reports the server's verdict (a constraint a
/// row breaks fails the whole COPY, as a statement would). Rows added before begin() wait in the
/// buffer (the connection stays free for other statements meanwhile) and go with the COPY.
class PgCopy {
 public:
  explicit PgCopy(PgConnection& connection) : connection_(&connection) {}
  /// Starts `sql`, a COPY ... FROM STDIN of constant text.
  core::Status begin(const std::string& sql);
  void field(std::string_view value);
  void null();
  core::Status endRow();
  core::Status finish();
  /// Ends the COPY with a failure (the server discards what it received).
  core::Status abort(const char* reason);
  /// The bytes waiting to be sent.
  std::size_t buffered() const { return buffer_.size(); }

 private:
  core::Status flush();
  PgConnection* connection_;
  std::string buffer_;
  bool row_started_ = false;
  bool began_ = false;
};

/// Connects to the database `url` names, with OpenOptions' timeout and read-only setting.
core::Result<std::unique_ptr<PgConnection>> openPostgresql(const std::string& url,
                                                           const OpenOptions& options);

}  // namespace garde::store
