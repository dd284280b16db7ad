// store::copySqliteToPostgresql (`garde store migrate-to-postgresql`): the demo's SQLite store
// copied into PostgreSQL is the same store, table by table and row by row; the copy refuses a
// database that holds data, and a copy that fails leaves nothing behind. [postgresql]: run only on
// the PostgreSQL run of the suite.
#include "store/engine_copy.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "demo_db.h"
#include "store/db.h"
#include "store/migrations.h"
#include "temp_db.h"

using namespace garde;
using core::ErrorCode;

namespace {

/// Every row of `table`, each as its columns' text joined ('\x1f' between, "<null>" for NULL),
/// sorted: two engines holding the same rows give the same list.
std::vector<std::string> rowsOf(store::Db& db, const std::string& table) {
  const auto columns = test::tableColumns(db, table);
  REQUIRE_FALSE(columns.empty());
  std::string list;
  for (const auto& c : columns) {
    list += (list.empty() ? "\"" : ", \"") + c + "\"";
  }
  const std::string sql = "SELECT " + list + " FROM \"" + table + "\"";
  auto stmt = db.prepare(sql);
  REQUIRE(stmt.has_value());
  std::vector<std::string> out;
  while (stmt->step().value()) {
    std::string row;
    for (int i = 0; i < static_cast<int>(columns.size()); ++i) {
      row += (i ? "\x1f" : "") + (stmt->isNull(i) ? std::string("<null>") : stmt->text(i));
    }
    out.push_back(std::move(row));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::int64_t count(store::Db& db, const std::string& table) {
  const std::string sql = "SELECT count(*) FROM " + table;
  auto stmt = db.prepare(sql);
  REQUIRE(stmt.has_value());
  REQUIRE(stmt->step().value());
  return stmt->int64(0);
}

/// The demo in an SQLite file, and an empty schema on the PostgreSQL server of this run.
class Copy {
 public:
  Copy() : lite_path_(dir_.file("garde.db")), lite_(test::openDb(lite_path_)) {
    REQUIRE(store::migrate(lite_).has_value());
    REQUIRE(test::loadDemo(lite_path_).has_value());
    pg_url_ = test::freshDatabase(dir_, "unused", schema_);
    pg_.emplace(test::openDb(pg_url_));
  }
  ~Copy() {
    pg_.reset();
    test::dropDatabase(schema_);
  }
  Copy(const Copy&) = delete;
  Copy& operator=(const Copy&) = delete;

 protected:
  test::TempDir dir_{"garde-copy"};
  std::string lite_path_;
  store::Db lite_;
  std::string schema_;
  std::string pg_url_;
  std::optional<store::Db> pg_;
};

}  // namespace

TEST_CASE_METHOD(Copy, "The demo store copied into PostgreSQL is the same store, row by row",
                 "[store][postgresql][copy]") {
  std::vector<std::string> progress;
  auto copied = store::copySqliteToPostgresql(
      lite_, *pg_, [&](std::string_view t, std::int64_t) { progress.emplace_back(t); });
  REQUIRE(copied.has_value());
  CHECK(progress.size() == copied->size());
  std::int64_t rows = 0;
  for (const auto& table : *copied) {
    INFO(table.name);
    rows += table.rows;
    CHECK(rowsOf(*pg_, table.name) == rowsOf(lite_, table.name));
  }
  CHECK(rows > 50);  // the demo: an ENT, its directory, publishers, contracts, subscriptions...
  CHECK(*store::schemaVersion(*pg_) == store::latestSchemaVersion());
  // New rows never take a copied id: the sequences moved past them.
  const std::int64_t feeds = count(*pg_, "feeds");
  REQUIRE(feeds > 0);
  auto insert = pg_->prepare(
      "INSERT INTO feeds(ent_id, kind, file_name, received_at, status) SELECT id, 'complet', "
      "'x.xml', '2026-12-07T00:00:00Z', 'failed' FROM ents LIMIT 1 RETURNING id");
  REQUIRE(insert.has_value());
  REQUIRE(insert->step().value());
  auto largest = lite_.prepare("SELECT max(id) FROM feeds");
  REQUIRE(largest.has_value());
  REQUIRE(largest->step().value());
  CHECK(insert->int64(0) > largest->int64(0));
}

TEST_CASE_METHOD(Copy, "The copy refuses a PostgreSQL database that holds data, and changes it not",
                 "[store][postgresql][copy]") {
  REQUIRE(store::copySqliteToPostgresql(lite_, *pg_).has_value());
  const auto before = rowsOf(*pg_, "people");
  const auto again = store::copySqliteToPostgresql(lite_, *pg_);
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().code == ErrorCode::kBadRequest);
  CHECK_THAT(again.error().detail, Catch::Contains("holds data already"));
  CHECK(rowsOf(*pg_, "people") == before);
}

TEST_CASE_METHOD(Copy, "A copy that fails half-way leaves the PostgreSQL database empty",
                 "[store][postgresql][copy]") {
  REQUIRE(store::migrate(*pg_).has_value());
  // A table copied late refuses its rows (as a full disk or a broken constraint would).
  REQUIRE(pg_->execScript(
      "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION "
      "'refused'; END $$; CREATE TRIGGER refuse BEFORE INSERT ON subscription_uais FOR EACH ROW "
      "EXECUTE FUNCTION refuse()"));
  const auto copied = store::copySqliteToPostgresql(lite_, *pg_);
  REQUIRE_FALSE(copied.has_value());
  CHECK(copied.error().code == ErrorCode::kStoreError);
  CHECK_FALSE(pg_->inTransaction());
  for (const char* table : {"ents", "people", "publishers", "contracts", "subscriptions"}) {
    INFO(table);
    CHECK(count(*pg_, table) == 0);
  }
}

TEST_CASE("The copy goes from SQLite to PostgreSQL only", "[store][postgresql][copy]") {
  test::TempDir dir("garde-copy");
  store::Db a = test::openDb(dir.file("a.db"));
  store::Db b = test::openDb(dir.file("b.db"));
  const auto copied = store::copySqliteToPostgresql(a, b);
  REQUIRE_FALSE(copied.has_value());
  CHECK(copied.error().code == ErrorCode::kBadRequest);
}
