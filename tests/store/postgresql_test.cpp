// The PostgreSQL engine's own behaviour (docs/adr/0034): what the seam promises repositories on
// both engines, where PostgreSQL would by itself behave otherwise. Run only on the PostgreSQL run
// of the store suite ([postgresql]); the SQL rewriting is checked on both.
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "store/db.h"
#include "store/db_postgresql.h"
#include "store/migrations.h"
#include "temp_db.h"

using namespace garde;
using core::ErrorCode;

namespace {

std::int64_t scalar(store::Db& db, const char* sql) {
  auto stmt = db.prepare(sql);
  REQUIRE(stmt.has_value());
  auto row = stmt->step();
  REQUIRE(row.has_value());
  REQUIRE(*row);
  return stmt->int64(0);
}

std::vector<std::string> column(store::Db& db, const char* sql, std::string_view param = {}) {
  auto stmt = db.prepare(sql);
  REQUIRE(stmt.has_value());
  if (!param.empty()) {
    stmt->bind(1, param);
  }
  std::vector<std::string> out;
  for (;;) {
    auto row = stmt->step();
    REQUIRE(row.has_value());
    if (!*row) {
      return out;
    }
    out.push_back(stmt->text(0));
  }
}

/// A fixture on the PostgreSQL server of this run, with an empty schema (not migrated).
class EmptyPg {
 public:
  EmptyPg() : url_(test::freshDatabase(dir_, "unused", schema_)), db_(test::openDb(url_)) {}
  ~EmptyPg() { test::dropDatabase(schema_); }
  EmptyPg(const EmptyPg&) = delete;
  EmptyPg& operator=(const EmptyPg&) = delete;

 protected:
  test::TempDir dir_{"garde-pg"};
  std::string schema_;
  std::string url_;
  store::Db db_;
};

}  // namespace

TEST_CASE("SQL is rewritten for PostgreSQL outside literals, identifiers and comments",
          "[store][db]") {
  int n = 0;
  CHECK(store::toPostgresql("SELECT a FROM t WHERE b = ?1 AND c = ?12", n) ==
        "SELECT a FROM t WHERE b = $1 AND c = $12");
  CHECK(n == 12);
  CHECK(store::toPostgresql("SELECT '?1 like', \"x?2\" -- ?3 like\n FROM t /* ?4 */ WHERE a = ?",
                            n) ==
        "SELECT '?1 like', \"x?2\" -- ?3 like\n FROM t /* ?4 */ WHERE a = $1");
  CHECK(n == 1);
  CHECK(store::toPostgresql("SELECT 'it''s ?1', x FROM t WHERE y NOT LIKE ?2", n) ==
        "SELECT 'it''s ?1', x FROM t WHERE y NOT ILIKE $2");
  CHECK(n == 2);
  CHECK(store::toPostgresql("SELECT group_concat(a, ',') AS likes, unlike FROM t", n) ==
        "SELECT string_agg(a, ',') AS likes, unlike FROM t");
  CHECK(n == 0);
}

TEST_CASE_METHOD(
    EmptyPg,
    "PostgreSQL: one step builds version 17, those after it follow, a second run does nothing",
    "[store][postgresql]") {
  REQUIRE(db_.engine() == store::Engine::kPostgresql);
  CHECK(*store::schemaVersion(db_) == 0);
  REQUIRE(store::migrate(db_).has_value());
  CHECK(*store::schemaVersion(db_) == store::latestSchemaVersion());
  CHECK(store::postgresqlMigrations().back().version == store::latestSchemaVersion());
  const auto steps = static_cast<std::int64_t>(store::postgresqlMigrations().size());
  CHECK(scalar(db_, "SELECT count(*) FROM schema_version") == steps);
  REQUIRE(store::migrate(db_).has_value());
  CHECK(scalar(db_, "SELECT count(*) FROM schema_version") == steps);
  CHECK_FALSE(db_.inTransaction());
  // Below the version PostgreSQL starts at there is nothing to migrate to.
  const auto old = store::migrate(db_, 1);
  REQUIRE_FALSE(old.has_value());
  CHECK(old.error().code == ErrorCode::kStoreError);
}

TEST_CASE_METHOD(EmptyPg, "PostgreSQL has SQLite's tables, columns in order, indexes and triggers",
                 "[store][postgresql]") {
  REQUIRE(store::migrate(db_).has_value());
  test::TempDir dir("garde-pg-sqlite");
  store::Db lite = test::openDb(dir.file("garde.db"));
  REQUIRE(store::migrate(lite).has_value());

  const auto tables = column(lite,
                             "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT "
                             "LIKE 'sqlite%' ORDER BY name");
  const auto pg_tables = column(db_,
                                "SELECT table_name FROM information_schema.tables WHERE "
                                "table_schema = current_schema() ORDER BY table_name");
  CHECK(pg_tables == tables);
  for (const auto& table : tables) {
    INFO(table);
    const std::string lite_sql = "SELECT name FROM pragma_table_info('" + table + "') ORDER BY cid";
    const auto lite_columns = column(lite, lite_sql.c_str());
    const auto pg_columns = column(db_,
                                   "SELECT column_name FROM information_schema.columns WHERE "
                                   "table_schema = current_schema() AND table_name = ?1 "
                                   "ORDER BY ordinal_position",
                                   table);
    CHECK(pg_columns == lite_columns);
  }
  // Every index SQLite was given by name (not those it makes for keys), under the same name.
  const auto indexes = column(lite,
                              "SELECT name FROM sqlite_schema WHERE type = 'index' AND name NOT "
                              "LIKE 'sqlite_autoindex%' ORDER BY name");
  const auto pg_indexes = column(db_,
                                 "SELECT indexname FROM pg_indexes WHERE schemaname = "
                                 "current_schema()");
  const std::set<std::string> pg_index_set(pg_indexes.begin(), pg_indexes.end());
  for (const auto& index : indexes) {
    CHECK(pg_index_set.count(index) == 1);
    INFO(index);
  }
  const auto triggers = column(lite, "SELECT name FROM sqlite_schema WHERE type = 'trigger'");
  const auto pg_triggers = column(db_,
                                  "SELECT DISTINCT trigger_name FROM information_schema.triggers "
                                  "WHERE trigger_schema = current_schema()");
  CHECK(std::set<std::string>(pg_triggers.begin(), pg_triggers.end()) ==
        std::set<std::string>(triggers.begin(), triggers.end()));
}

TEST_CASE_METHOD(test::MigratedDb,
                 "PostgreSQL: a statement that failed in a transaction fails "
                 "its commit",
                 "[store][postgresql]") {
  auto tx = store::Transaction::begin(db_);
  REQUIRE(tx.has_value());
  REQUIRE(db_.execScript("INSERT INTO ents(id, name, created_at) VALUES ('E1', 'ENT', 'x')"));
  // A second row with the same key: an integrity violation, kConflict as on SQLite...
  const auto dup = db_.execScript("INSERT INTO ents(id, name, created_at) VALUES ('E1', 'b', 'x')");
  REQUIRE_FALSE(dup.has_value());
  CHECK(dup.error().code == ErrorCode::kConflict);
  // ... after which PostgreSQL has aborted the transaction: the commit says so, and nothing stays.
  const auto committed = tx->commit();
  REQUIRE_FALSE(committed.has_value());
  CHECK(committed.error().code == ErrorCode::kStoreError);
  CHECK_FALSE(db_.inTransaction());
  CHECK(scalar(db_, "SELECT count(*) FROM ents") == 0);
}

TEST_CASE_METHOD(test::MigratedDb, "PostgreSQL: booleans read 0 or 1, changes() counts writes only",
                 "[store][postgresql]") {
  CHECK(scalar(db_, "SELECT EXISTS (SELECT 1 FROM schema_version)") == 1);
  CHECK(scalar(db_, "SELECT 1 = 0") == 0);
  REQUIRE(
      db_.execScript("INSERT INTO ents(id, name, created_at) VALUES ('E1', 'a', 'x'), "
                     "('E2', 'b', 'x')"));
  auto update = db_.prepare("UPDATE ents SET name = ?1 WHERE id <> ?2");
  REQUIRE(update.has_value());
  REQUIRE(update->bindAll("c", "nobody").run().has_value());
  CHECK(db_.changes() == 2);
  CHECK(scalar(db_, "SELECT count(*) FROM ents") == 2);
  CHECK(db_.changes() == 2);  // a SELECT leaves it, as on SQLite
  // A parameter met first by IS NULL is inferred all the same, text or bigint.
  auto filter = db_.prepare(
      "SELECT count(*) FROM feeds WHERE (?1 IS NULL OR id = ?1) AND "
      "(?2 IS NULL OR ent_id = ?2)");
  REQUIRE(filter.has_value());
  filter->bindAll(std::nullopt, "E1");
  REQUIRE(*filter->step());
  CHECK(filter->int64(0) == 0);
}

TEST_CASE("PostgreSQL: a connection error never carries the URL's password",
          "[store][postgresql]") {
  const auto db = store::Db::open(
      "postgresql://garde:s3cr3t-pw@/garde?host=/nonexistent-garde-dir&connect_timeout=2");
  REQUIRE_FALSE(db.has_value());
  CHECK(db.error().code == ErrorCode::kStoreError);
  CHECK_THAT(db.error().describe(), !Catch::Contains("s3cr3t-pw"));
}
