#include "store/engine_copy.h"

#include <algorithm>
#include <map>
#include <set>

#include "store/db_postgresql.h"
#include "store/migrations.h"
#include "store/util.h"

namespace garde::store {
namespace {

/// Rows migrations seed (the generation counters): replaced by the copy, not "data already there".
bool seededByMigrations(std::string_view table) {
  return table.size() > 11 && table.substr(table.size() - 11) == "_generation";
}

std::string quoted(std::string_view identifier) {
  std::string out = "\"";
  for (const char c : identifier) {
    out += c;
    if (c == '"') {
      out += '"';
    }
  }
  return out + "\"";
}

core::Result<std::vector<std::string>> sqliteTables(Db& from) {
  GARDE_STORE_PREPARE(stmt, from,
                      "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE "
                      "'sqlite%' ORDER BY rowid");
  std::vector<std::string> out;
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& s) { out.push_back(s.text(0)); }));
  return out;
}

/// `tables` (in the order migrations created them) ordered parents first: a table comes after
/// every table its foreign keys name, and otherwise keeps its place, after the tables created
/// before it (references a trigger checks, such as caller_certificates' callers, are among those).
core::Result<std::vector<std::string>> parentsFirst(Db& from, std::vector<std::string> tables) {
  std::map<std::string, std::set<std::string>> parents;
  for (const auto& t : tables) {
    GARDE_STORE_PREPARE(stmt, from, "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?1)");
    stmt.bind(1, t);
    GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& s) {
      if (s.text(0) != t) {
        parents[t].insert(s.text(0));
      }
    }));
  }
  std::vector<std::string> ordered;
  std::set<std::string> placed;
  while (!tables.empty()) {
    const auto ready = std::find_if(tables.begin(), tables.end(), [&](const std::string& t) {
      return std::all_of(parents[t].begin(), parents[t].end(),
                         [&](const std::string& p) { return placed.count(p) == 1; });
    });
    if (ready == tables.end()) {
      return core::fail(core::ErrorCode::kStoreError,
                        "the tables' foreign keys form a cycle, starting at " + tables.front());
    }
    placed.insert(*ready);
    ordered.push_back(*ready);
    tables.erase(ready);
  }
  return ordered;
}

core::Result<std::vector<std::string>> sqliteColumns(Db& from, const std::string& table) {
  GARDE_STORE_PREPARE(stmt, from, "SELECT name FROM pragma_table_info(?1) ORDER BY cid");
  stmt.bind(1, table);
  std::vector<std::string> out;
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& s) { out.push_back(s.text(0)); }));
  return out;
}

core::Result<std::int64_t> countRows(Db& db, const std::string& table) {
  const std::string sql = "SELECT count(*) FROM " + quoted(table);
  GARDE_STORE_PREPARE(stmt, db, sql);
  GARDE_STORE_STEP(row, stmt);
  return row ? stmt.int64(0) : 0;
}

core::Result<std::int64_t> copyTable(Db& from, Db& to, const std::string& table) {
  GARDE_ASSIGN_OR_RETURN(const auto columns, sqliteColumns(from, table));
  std::string list;
  for (const auto& c : columns) {
    list += (list.empty() ? "" : ", ") + quoted(c);
  }
  PgCopy copy(*to.postgresql());
  GARDE_TRY(copy.begin("COPY " + quoted(table) + " (" + list + ") FROM STDIN"));
  const std::string select = "SELECT " + list + " FROM " + quoted(table);
  GARDE_STORE_PREPARE(stmt, from, select);
  std::int64_t rows = 0;
  const int n = static_cast<int>(columns.size());
  for (;;) {
    auto row = stmt.step();
    if (!row) {
      (void)copy.abort("the source could not be read");
      return core::fail(std::move(row).error());
    }
    if (!*row) {
      break;
    }
    for (int i = 0; i < n; ++i) {
      if (stmt.isNull(i)) {
        copy.null();
      } else {
        copy.field(stmt.text(i));
      }
    }
    ++rows;
    GARDE_TRY(copy.endRow());
  }
  GARDE_TRY(copy.finish());
  return rows;
}

/// Each identity sequence moved past the largest id copied and SQLite's AUTOINCREMENT counter.
core::Status moveSequences(Db& from, Db& to) {
  std::map<std::string, std::int64_t> autoincrement;
  {
    GARDE_STORE_PREPARE(has, from,
                        "SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_sequence'");
    GARDE_STORE_STEP(row, has);
    if (row && has.int64(0) > 0) {
      GARDE_STORE_PREPARE(seq, from, "SELECT name, seq FROM sqlite_sequence");
      GARDE_TRY(
          detail::forEachRow(seq, [&](const Stmt& s) { autoincrement[s.text(0)] = s.int64(1); }));
    }
  }
  GARDE_STORE_PREPARE(identities, to,
                      "SELECT table_name, column_name FROM information_schema.columns WHERE "
                      "table_schema = current_schema() AND is_identity = 'YES' ORDER BY 1");
  std::vector<std::pair<std::string, std::string>> columns;
  GARDE_TRY(detail::forEachRow(identities,
                               [&](const Stmt& s) { columns.emplace_back(s.text(0), s.text(1)); }));
  for (const auto& [table, column] : columns) {
    const std::string sql =
        "SELECT setval(pg_get_serial_sequence(?1, ?2), greatest(coalesce(max(" + quoted(column) +
        "), 0), CAST(?3 AS BIGINT), 1), greatest(coalesce(max(" + quoted(column) +
        "), 0), CAST(?3 AS BIGINT)) > 0) FROM " + quoted(table);
    GARDE_STORE_PREPARE(stmt, to, sql);
    const auto it = autoincrement.find(table);
    stmt.bindAll(quoted(table), column, it != autoincrement.end() ? it->second : 0);
    GARDE_TRY(stmt.run());
  }
  return {};
}

}  // namespace

core::Result<std::vector<CopiedTable>> copySqliteToPostgresql(Db& from, Db& to,
                                                              const CopyProgress& progress) {
  if (from.engine() != Engine::kSqlite || to.engine() != Engine::kPostgresql) {
    return core::fail(core::ErrorCode::kBadRequest,
                      "the copy goes from an SQLite database to a PostgreSQL one");
  }
  GARDE_ASSIGN_OR_RETURN(const int version, schemaVersion(from));
  if (version != latestSchemaVersion()) {
    return core::fail(core::ErrorCode::kBadRequest,
                      "the SQLite database is at schema version " + std::to_string(version) +
                          ", this binary's is " + std::to_string(latestSchemaVersion()) +
                          ": start this binary on it once (it migrates), then copy");
  }
  GARDE_TRY(migrate(to));
  GARDE_ASSIGN_OR_RETURN(auto tables, sqliteTables(from));
  GARDE_ASSIGN_OR_RETURN(tables, parentsFirst(from, std::move(tables)));
  // One read snapshot of the source, one transaction on the target.
  GARDE_ASSIGN_OR_RETURN(Transaction read, Transaction::begin(from, Transaction::Kind::kDeferred));
  GARDE_ASSIGN_OR_RETURN(Transaction write, Transaction::begin(to));
  for (const auto& table : tables) {
    if (table == "schema_version") {
      continue;  // the target's own, written by its migrations
    }
    GARDE_ASSIGN_OR_RETURN(const std::int64_t present, countRows(to, table));
    if (present > 0 && !seededByMigrations(table)) {
      return core::fail(core::ErrorCode::kBadRequest,
                        "the PostgreSQL database holds data already (table " + table +
                            "): the copy goes into an empty one");
    }
  }
  std::vector<CopiedTable> out;
  // The counters last: the copy's own inserts move them through the triggers, and what is copied
  // must be the source's values.
  std::stable_partition(tables.begin(), tables.end(),
                        [](const std::string& t) { return !seededByMigrations(t); });
  for (const auto& table : tables) {
    if (table == "schema_version") {
      continue;
    }
    if (seededByMigrations(table)) {
      const std::string clear = "DELETE FROM " + quoted(table);
      GARDE_TRY(to.execScript(clear.c_str()));
    }
    GARDE_ASSIGN_OR_RETURN(const std::int64_t rows, copyTable(from, to, table));
    GARDE_ASSIGN_OR_RETURN(const std::int64_t source, countRows(from, table));
    GARDE_ASSIGN_OR_RETURN(const std::int64_t target, countRows(to, table));
    if (rows != source || target != source) {
      return core::fail(core::ErrorCode::kStoreError,
                        "table " + table + ": " + std::to_string(source) + " rows read, " +
                            std::to_string(target) + " in PostgreSQL");
    }
    out.push_back({table, rows});
    if (progress) {
      progress(table, rows);
    }
  }
  GARDE_TRY(moveSequences(from, to));
  GARDE_TRY(write.commit());
  return out;
}

}  // namespace garde::store
