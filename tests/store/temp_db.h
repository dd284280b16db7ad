#pragma once
// A real database for a test: an SQLite file in a fresh temporary directory (support/temp_dir.h),
// removed afterwards, or, when GARDE_TEST_POSTGRESQL names a PostgreSQL server (the suite's second
// run, tests/CMakeLists.txt), a schema of its own on that server, dropped afterwards.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "core/log.h"
#include "store/db.h"
#include "store/migrations.h"
#include "support/temp_dir.h"
#include "support/test_database.h"

namespace garde::test {

inline store::Db openDb(const std::string& path) {
  core::setLogLevel(core::LogLevel::kWarn);  // migrations log at info; keep test output readable
  auto db = store::Db::open(path);
  if (!db) {
    FAIL("open " << path << ": " << db.error().describe());
  }
  return std::move(db).value();
}

/// The columns of `table`, in order, on either engine.
inline std::vector<std::string> tableColumns(store::Db& db, const std::string& table) {
  const bool pg = db.engine() == store::Engine::kPostgresql;
  auto stmt = db.prepare(pg ? "SELECT column_name FROM information_schema.columns WHERE "
                              "table_schema = current_schema() AND table_name = ?1 "
                              "ORDER BY ordinal_position"
                            : "SELECT name FROM pragma_table_info(?1) ORDER BY cid");
  REQUIRE(stmt.has_value());
  stmt->bind(1, table);
  std::vector<std::string> out;
  while (stmt->step().value()) {
    out.push_back(stmt->text(0));
  }
  return out;
}

/// Whether `table` exists, on either engine.
inline bool hasTable(store::Db& db, const std::string& table) {
  return !tableColumns(db, table).empty();
}

/// A fixture: a migrated database, on the engine this run tests.
class MigratedDb {
 public:
  MigratedDb() : path_(freshDatabase(dir_, "garde.db", schema_)), db_(openDb(path_)) {
    const auto s = store::migrate(db_);
    if (!s) {
      FAIL("migrate: " << s.error().describe());
    }
  }
  ~MigratedDb() { dropDatabase(schema_); }
  MigratedDb(const MigratedDb&) = delete;
  MigratedDb& operator=(const MigratedDb&) = delete;

 protected:
  TempDir dir_{"garde-store"};
  std::string schema_;
  std::string path_;  ///< the database's locator (a file path or a PostgreSQL URL)
  store::Db db_;
};

}  // namespace garde::test
