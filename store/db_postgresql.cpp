#include "store/db_postgresql.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>

namespace garde::store {
namespace {

bool isWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

/// Whether `sql` at `i` holds the word `word` (ASCII case ignored), whole.
bool wordAt(std::string_view sql, std::size_t i, std::string_view word) {
  if (i + word.size() > sql.size() || (i > 0 && isWordChar(sql[i - 1]))) {
    return false;
  }
  for (std::size_t k = 0; k < word.size(); ++k) {
    if (std::tolower(static_cast<unsigned char>(sql[i + k])) != word[k]) {
      return false;
    }
  }
  return i + word.size() == sql.size() || !isWordChar(sql[i + word.size()]);
}

/// Copies a quoted run (`quote` ... `quote`, the quote doubled inside) from `i`; returns the index
/// after it.
std::size_t copyQuoted(std::string_view sql, std::size_t i, char quote, std::string& out) {
  out += sql[i++];
  while (i < sql.size()) {
    out += sql[i];
    if (sql[i++] == quote) {
      if (i < sql.size() && sql[i] == quote) {
        out += sql[i++];
        continue;
      }
      break;
    }
  }
  return i;
}

/// As SQLite's changes(): only a row-changing command sets it (a SELECT leaves it).
void noteChanges(pg_result* result, int& changes) {
  const char* command = PQcmdStatus(result);
  if (std::strncmp(command, "INSERT", 6) == 0 || std::strncmp(command, "UPDATE", 6) == 0 ||
      std::strncmp(command, "DELETE", 6) == 0) {
    changes = std::atoi(PQcmdTuples(result));
  }
}

void ignoreNotice(void* /*arg*/, const char* /*message*/) {
  // NOTICEs (an IF NOT EXISTS that found the table) would go to stderr, outside the log.
}

}  // namespace

void closePg(pg_conn* conn) noexcept { PQfinish(conn); }
void clearPgResult(pg_result* result) noexcept { PQclear(result); }

std::string toPostgresql(std::string_view sql, int& parameters) {
  std::string out;
  out.reserve(sql.size() + 16);
  parameters = 0;
  std::size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {
      i = copyQuoted(sql, i, c, out);
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      const std::size_t end = sql.find('\n', i);
      const std::size_t stop = end == std::string_view::npos ? sql.size() : end;
      out.append(sql.substr(i, stop - i));
      i = stop;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      const std::size_t end = sql.find("*/", i + 2);
      const std::size_t stop = end == std::string_view::npos ? sql.size() : end + 2;
      out.append(sql.substr(i, stop - i));
      i = stop;
    } else if (c == '?') {
      std::size_t j = i + 1;
      int n = 0;
      while (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j])) != 0) {
        n = n * 10 + (sql[j] - '0');
        ++j;
      }
      if (j == i + 1) {
        n = parameters + 1;  // a bare `?` is the next parameter, as in SQLite
      }
      parameters = std::max(parameters, n);
      out += '$';
      out += std::to_string(n);
      i = j;
    } else if (wordAt(sql, i, "group_concat")) {
      out += "string_agg";
      i += std::strlen("group_concat");
    } else if (wordAt(sql, i, "like")) {
      out += "ILIKE";
      i += 4;
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

core::Failure pgFailure(pg_conn* conn, const pg_result* result, std::string_view what) {
  std::string detail(what);
  detail += ": ";
  // The primary message only: the DETAIL line of a key violation quotes the row's values (a
  // pupil's identifier), which have no place in an error that may be logged.
  const char* primary =
      result != nullptr ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  if (primary != nullptr) {
    detail += primary;
  } else {
    std::string message = PQerrorMessage(conn);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.pop_back();
    }
    detail += message.empty() ? "no result" : message;
  }
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const bool integrity = state != nullptr && std::strncmp(state, "23", 2) == 0;
  return core::fail(integrity ? core::ErrorCode::kConflict : core::ErrorCode::kStoreError,
                    std::move(detail));
}

core::Result<const PgConnection::Prepared*> PgConnection::prepare(std::string_view sql) {
  auto it = prepared_.find(sql);
  if (it != prepared_.end()) {
    return &it->second;
  }
  Prepared p;
  const std::string text = toPostgresql(sql, p.parameters);
  p.name = "g" + std::to_string(prepared_.size() + 1);
  // The server infers each parameter's type from what it meets. One that meets only `IS NULL`
  // first (the "?1 IS NULL OR column = ?1" filters) cannot be inferred: it is declared text and
  // the statement prepared again, and declared bigint instead when text meets a bigint column.
  constexpr Oid kText = 25;
  constexpr Oid kBigint = 20;
  std::vector<Oid> types(static_cast<std::size_t>(p.parameters), 0);
  int last = 0;  // the parameter declared last
  for (int attempt = 0; attempt <= 2 * p.parameters; ++attempt) {
    const PgResultHandle result(
        PQprepare(conn_.get(), p.name.c_str(), text.c_str(), p.parameters, types.data()));
    if (PQresultStatus(result.get()) == PGRES_COMMAND_OK) {
      return &prepared_.emplace(std::string(sql), std::move(p)).first->second;
    }
    const char* message = PQresultErrorField(result.get(), PG_DIAG_MESSAGE_PRIMARY);
    const std::string_view m = message != nullptr ? message : "";
    constexpr std::string_view kUndetermined = "could not determine data type of parameter $";
    if (m.rfind(kUndetermined, 0) == 0) {
      const int n = std::atoi(std::string(m.substr(kUndetermined.size())).c_str());
      if (n >= 1 && n <= p.parameters && types[static_cast<std::size_t>(n - 1)] == 0) {
        types[static_cast<std::size_t>(n - 1)] = kText;
        last = n;
        continue;
      }
    } else if (last != 0 && types[static_cast<std::size_t>(last - 1)] == kText &&
               (m.find("bigint = text") != std::string_view::npos ||
                m.find("type bigint but expression is of type text") != std::string_view::npos)) {
      types[static_cast<std::size_t>(last - 1)] = kBigint;
      continue;
    }
    return pgFailure(conn_.get(), result.get(), "prepare");
  }
  return core::fail(core::ErrorCode::kStoreError, "prepare: parameter types not inferred");
}

core::Status PgConnection::exec(const char* sql, std::string_view what) {
  const PgResultHandle result(PQexec(conn_.get(), sql));
  const auto status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return pgFailure(conn_.get(), result.get(), what);
  }
  noteChanges(result.get(), changes);
  // COMMIT of a transaction that a failed statement aborted answers "ROLLBACK", not an error.
  if (std::strcmp(PQcmdStatus(result.get()), "ROLLBACK") == 0 &&
      std::strcmp(sql, "ROLLBACK") != 0) {
    return core::fail(core::ErrorCode::kStoreError,
                      std::string(what) +
                          ": the transaction was rolled back (a statement in it "
                          "failed)");
  }
  return {};
}

core::Status PgStatement::execute() {
  const int n = prepared->parameters;
  values.resize(static_cast<std::size_t>(n));
  std::vector<const char*> pointers(static_cast<std::size_t>(n), nullptr);
  for (int i = 0; i < n; ++i) {
    const auto& v = values[static_cast<std::size_t>(i)];
    pointers[static_cast<std::size_t>(i)] = v ? v->c_str() : nullptr;
  }
  pg_conn* conn = connection->raw();
  result.reset(
      PQexecPrepared(conn, prepared->name.c_str(), n, pointers.data(), nullptr, nullptr, 0));
  const auto status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return pgFailure(conn, result.get(), "step");
  }
  rows = status == PGRES_TUPLES_OK ? PQntuples(result.get()) : 0;
  row = 0;
  noteChanges(result.get(), connection->changes);
  return {};
}

core::Status PgCopy::begin(const std::string& sql) {
  const PgResultHandle result(PQexec(connection_->raw(), sql.c_str()));
  if (PQresultStatus(result.get()) != PGRES_COPY_IN) {
    return pgFailure(connection_->raw(), result.get(), "copy");
  }
  began_ = true;
  return {};
}

void PgCopy::field(std::string_view value) {
  if (row_started_) {
    buffer_ += '\t';
  }
  row_started_ = true;
  // COPY's text format: a backslash escapes itself and the separators.
  for (const char c : value) {
    switch (c) {
      case '\\':
        buffer_ += "\\\\";
        break;
      case '\t':
        buffer_ += "\\t";
        break;
      case '\n':
        buffer_ += "\\n";
        break;
      case '\r':
        buffer_ += "\\r";
        break;
      default:
        buffer_ += c;
    }
  }
}

void PgCopy::null() {
  if (row_started_) {
    buffer_ += '\t';
  }
  row_started_ = true;
  buffer_ += "\\N";
}

core::Status PgCopy::endRow() {
  buffer_ += '\n';
  row_started_ = false;
  return began_ && buffer_.size() >= (1u << 20) ? flush() : core::Status{};
}

core::Status PgCopy::flush() {
  if (buffer_.empty()) {
    return {};
  }
  if (PQputCopyData(connection_->raw(), buffer_.data(), static_cast<int>(buffer_.size())) != 1) {
    return pgFailure(connection_->raw(), nullptr, "copy");
  }
  buffer_.clear();
  return {};
}

core::Status PgCopy::finish() {
  GARDE_TRY(flush());
  began_ = false;
  if (PQputCopyEnd(connection_->raw(), nullptr) != 1) {
    return pgFailure(connection_->raw(), nullptr, "copy");
  }
  const PgResultHandle result(PQgetResult(connection_->raw()));
  // Whatever follows (a NULL) must be read before the connection takes another command.
  while (PgResultHandle more{PQgetResult(connection_->raw())}) {
  }
  if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
    return pgFailure(connection_->raw(), result.get(), "copy");
  }
  return {};
}

core::Status PgCopy::abort(const char* reason) {
  buffer_.clear();
  began_ = false;
  (void)PQputCopyEnd(connection_->raw(), reason);
  while (PgResultHandle more{PQgetResult(connection_->raw())}) {
  }
  return {};
}

core::Result<std::unique_ptr<PgConnection>> openPostgresql(const std::string& url,
                                                           const OpenOptions& options) {
  // connect_timeout and application_name come before dbname: the URL's own values win.
  const int timeout_s = std::max(2, options.busy_timeout_ms / 1000);
  const std::string timeout = std::to_string(timeout_s);
  const char* keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {timeout.c_str(), "garde", url.c_str(), nullptr};
  PgConnHandle conn(PQconnectdbParams(keywords, values, /*expand_dbname=*/1));
  if (!conn) {
    return core::fail(core::ErrorCode::kStoreError, "open database: out of memory");
  }
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return pgFailure(conn.get(), nullptr, "open database");
  }
  PQsetNoticeProcessor(conn.get(), ignoreNotice, nullptr);
  auto pg = std::make_unique<PgConnection>(std::move(conn));
  // Lock waits bounded as SQLite's busy_timeout bounds them; statements see UTC.
  const std::string settings =
      "SET lock_timeout = " + std::to_string(options.busy_timeout_ms) +
      "; SET TIME ZONE 'UTC'; SET client_min_messages = warning;" +
      (options.read_only ? " SET default_transaction_read_only = on;" : "");
  GARDE_TRY(pg->exec(settings.c_str(), "open database"));
  return pg;
}

}  // namespace garde::store
