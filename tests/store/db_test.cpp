#include "store/db.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "store/directory.h"
#include "store/migrations.h"
#include "temp_db.h"

using namespace garde;
using core::ErrorCode;

namespace {

std::string scalarText(store::Db& db, const char* sql) {
  auto stmt = db.prepare(sql);
  REQUIRE(stmt.has_value());
  auto row = stmt->step();
  REQUIRE(row.has_value());
  REQUIRE(*row);
  return stmt->text(0);
}

std::int64_t count(store::Db& db, const char* sql) {
  auto stmt = db.prepare(sql);
  REQUIRE(stmt.has_value());
  auto row = stmt->step();
  REQUIRE(row.has_value());
  REQUIRE(*row);
  return stmt->int64(0);
}

bool hasTable(store::Db& db, std::string_view name) {
  return test::hasTable(db, std::string(name));
}

}  // namespace

TEST_CASE("A new connection has WAL, foreign keys and a busy timeout", "[store][db][sqlite]") {
  test::TempDir dir;
  auto db = test::openDb(dir.file("a.db"));
  CHECK(scalarText(db, "PRAGMA journal_mode") == "wal");
  CHECK(count(db, "PRAGMA foreign_keys") == 1);
  CHECK(count(db, "PRAGMA busy_timeout") == 5000);
}

TEST_CASE("Opening a missing database without create fails", "[store][db][sqlite]") {
  test::TempDir dir;
  const auto db = store::Db::open(dir.file("missing.db"), {.create = false});
  REQUIRE_FALSE(db.has_value());
  CHECK(db.error().code == ErrorCode::kStoreError);
}

TEST_CASE_METHOD(test::MigratedDb, "Bad SQL is an error value, not an exception", "[store][db]") {
  const auto stmt = db_.prepare("SELEC nothing");
  REQUIRE_FALSE(stmt.has_value());
  CHECK(stmt.error().code == ErrorCode::kStoreError);
}

TEST_CASE("Migrations bring an empty database to the latest version", "[store][migrations][sqlite]") {
  test::TempDir dir;
  auto db = test::openDb(dir.file("a.db"));
  CHECK(*store::schemaVersion(db) == 0);
  REQUIRE(store::migrate(db).has_value());
  CHECK(*store::schemaVersion(db) == store::latestSchemaVersion());
  CHECK(count(db, "SELECT count(*) FROM schema_version") ==
        static_cast<std::int64_t>(store::migrations().size()));
  for (const char* table : {"ents",
                            "establishments",
                            "people",
                            "person_profiles",
                            "groups",
                            "group_members",
                            "publishers",
                            "resources",
                            "contracts",
                            "contract_declarations",
                            "contract_history",
                            "attribute_catalogue",
                            "catalogue_profiles",
                            "catalogue_history",
                            "policy_versions",
                            "ceilings",
                            "subscriptions",
                            "subscription_uais",
                            "subscription_audiences",
                            "assignments",
                            "feeds",
                            "audit",
                            "establishment_mefs",
                            "establishment_subjects",
                            "assignment_managers",
                            "assignment_manager_establishments"}) {
    CHECK(hasTable(db, table));
  }
  // Running again is a no-op.
  REQUIRE(store::migrate(db).has_value());
  CHECK(count(db, "SELECT count(*) FROM schema_version") ==
        static_cast<std::int64_t>(store::migrations().size()));
}

TEST_CASE("A version 1 database migrates forward with its data", "[store][migrations][sqlite]") {
  test::TempDir dir;
  const auto path = dir.file("old.db");
  {
    auto db = test::openDb(path);
    REQUIRE(store::migrate(db, 1).has_value());
    CHECK(*store::schemaVersion(db) == 1);
    CHECK_FALSE(hasTable(db, "audit"));
    // A row as version 1 wrote it (today's upsertEnt writes later columns).
    REQUIRE(db.execScript("INSERT INTO ents(id, name, created_at) "
                          "VALUES ('ENTTEST1', 'ENT', '2025-09-01T00:00:00Z')")
                .has_value());
  }
  auto db = test::openDb(path);
  REQUIRE(store::migrate(db).has_value());
  CHECK(*store::schemaVersion(db) == store::latestSchemaVersion());
  CHECK(hasTable(db, "audit"));
  const auto ent = store::findEnt(db, "ENTTEST1");
  REQUIRE(ent.has_value());
  // Version 5: an ENT registered before keeps what garde did then, the NameID (now asked for as
  // persistent), and its AuthnRequests are signed as its metadata asks.
  CHECK(ent->identifier_source == "name_id");
  CHECK(ent->identifier_name == "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent");
  CHECK(ent->sign_authn_requests == "metadata");
}

TEST_CASE("A failing migration is rolled back whole", "[store][migrations][sqlite]") {
  test::TempDir dir;
  auto db = test::openDb(dir.file("a.db"));
  REQUIRE(store::migrate(db, 1).has_value());
  // Make migration 2 fail on its last statement, after it has created the audit table.
  REQUIRE(db.execScript("CREATE INDEX person_profiles_uai ON person_profiles(uai)").has_value());
  const auto s = store::migrate(db);
  REQUIRE_FALSE(s.has_value());
  CHECK(s.error().code == ErrorCode::kStoreError);
  CHECK(*store::schemaVersion(db) == 1);
  CHECK_FALSE(hasTable(db, "audit"));
  CHECK_FALSE(hasTable(db, "audit_at"));
  CHECK_FALSE(db.inTransaction());
}

TEST_CASE_METHOD(test::MigratedDb, "A database newer than the binary is refused",
                 "[store][migrations]") {
  store::Db& db = db_;
  REQUIRE(db.execScript("INSERT INTO schema_version(version, name) VALUES (999, 'future')")
              .has_value());
  const auto s = store::migrate(db);
  REQUIRE_FALSE(s.has_value());
  CHECK(s.error().code == ErrorCode::kStoreError);
}

TEST_CASE_METHOD(test::MigratedDb, "Foreign keys are enforced", "[store][db]") {
  const auto s =
      store::upsertEstablishment(db_, {"0561534N", "NOSUCHENT", "x", std::nullopt, std::nullopt});
  REQUIRE_FALSE(s.has_value());
  CHECK(s.error().code == ErrorCode::kConflict);
}

TEST_CASE_METHOD(test::MigratedDb, "CHECK constraints guard the vocabularies", "[store][db]") {
  REQUIRE(store::upsertEnt(db_, {"ENTTEST1", "ENT", std::nullopt, std::nullopt}, 0).has_value());
  const auto s = store::upsertPerson(db_, {"ENTTEST1", "x", "N", "P", "Monsieur"});
  REQUIRE_FALSE(s.has_value());
  CHECK(s.error().code == ErrorCode::kConflict);
}

TEST_CASE_METHOD(test::MigratedDb, "A transaction not committed leaves the database unchanged",
                 "[store][db]") {
  {
    auto tx = store::Transaction::begin(db_);
    REQUIRE(tx.has_value());
    REQUIRE(store::upsertEnt(db_, {"ENTTEST1", "ENT", std::nullopt, std::nullopt}, 0).has_value());
    // A later step fails: the caller returns without committing.
    REQUIRE_FALSE(
        store::upsertEstablishment(db_, {"0561534N", "NOSUCHENT", "x", {}, {}}).has_value());
  }
  CHECK_FALSE(db_.inTransaction());
  CHECK(store::findEnt(db_, "ENTTEST1").error().code == ErrorCode::kUnknownPeer);

  {
    auto tx = store::Transaction::begin(db_);
    REQUIRE(tx.has_value());
    REQUIRE(store::upsertEnt(db_, {"ENTTEST1", "ENT", std::nullopt, std::nullopt}, 0).has_value());
    REQUIRE(tx->commit().has_value());
  }
  CHECK(store::findEnt(db_, "ENTTEST1").has_value());
}

TEST_CASE_METHOD(test::MigratedDb, "A second writer waits, then fails with a store error",
                 "[store][db]") {
  auto other = store::Db::open(path_, {.busy_timeout_ms = 50});
  REQUIRE(other.has_value());
  auto tx = store::Transaction::begin(db_);
  REQUIRE(tx.has_value());
  const auto blocked = store::Transaction::begin(*other);
  REQUIRE_FALSE(blocked.has_value());
  CHECK(blocked.error().code == ErrorCode::kStoreError);
}

TEST_CASE_METHOD(test::MigratedDb, "Data is bound, never spliced into SQL", "[store][db]") {
  REQUIRE(store::upsertEnt(db_, {"ENTTEST1", "ENT", std::nullopt, std::nullopt}, 0).has_value());
  const std::string nasty = "x'); DROP TABLE people; --";
  const auto id = store::upsertPerson(db_, {"ENTTEST1", nasty, "O'Brien", "Zoë", ""});
  REQUIRE(id.has_value());
  CHECK(hasTable(db_, "people"));
  auto stmt = db_.prepare("SELECT ent_person_id, last_name FROM people WHERE id = ?1");
  REQUIRE(stmt.has_value());
  stmt->bind(1, *id);
  REQUIRE(*stmt->step());
  CHECK(stmt->text(0) == nasty);
  CHECK(stmt->text(1) == "O'Brien");
}

TEST_CASE_METHOD(test::MigratedDb, "A failed bind is reported by step, not lost", "[store][db]") {
  auto stmt = db_.prepare("SELECT ?1");
  REQUIRE(stmt.has_value());
  stmt->bind(2, "out of range");
  const auto row = stmt->step();
  REQUIRE_FALSE(row.has_value());
  CHECK(row.error().code == ErrorCode::kStoreError);
  stmt->reset();
  stmt->bind(1, "ok");
  REQUIRE(*stmt->step());
  CHECK(stmt->text(0) == "ok");
}

TEST_CASE_METHOD(test::MigratedDb,
                 "A reused statement starts afresh: reset, bindings cleared, twins independent",
                 "[store][db]") {
  store::Db* db = &db_;
  REQUIRE(db->execScript("CREATE TABLE t(v INTEGER); INSERT INTO t VALUES (1), (2), (3);"));
  constexpr const char* kSelect = "SELECT v FROM t WHERE v >= ?1 ORDER BY v";
  {
    auto first = db->prepare(kSelect);
    REQUIRE(first.has_value());
    first->bind(1, std::int64_t{2});
    REQUIRE(first->step().value());
    CHECK(first->int64(0) == 2);
    // Dropped mid-iteration, with a binding: goes back to the connection's cache.
  }
  {
    auto again = db->prepare(kSelect);
    REQUIRE(again.has_value());
    // The old binding is gone: ?1 is NULL, and v >= NULL matches nothing.
    CHECK_FALSE(again->step().value());
    again->reset();
    again->bind(1, std::int64_t{1});
    REQUIRE(again->step().value());
    CHECK(again->int64(0) == 1);
    // A twin prepared while this one is in use runs independently.
    auto twin = db->prepare(kSelect);
    REQUIRE(twin.has_value());
    twin->bind(1, std::int64_t{3});
    REQUIRE(twin->step().value());
    CHECK(twin->int64(0) == 3);
    REQUIRE(again->step().value());
    CHECK(again->int64(0) == 2);
  }
  // Both twins were returned; the connection still closes cleanly (no leak under ASan).
}

TEST_CASE("Opening another connection keeps the locks of the open ones", "[store][db][sqlite]") {
  // Regression: opening a connection used to open and close the database file itself, which
  // drops every POSIX lock of the process on it, the SHARED lock that each connection in WAL
  // mode holds included; a CLI closing its connection then took itself for the last one and
  // deleted the WAL under the server's connections (disk I/O error, lost rows).
  garde::test::TempDir dir("garde-db-locks");
  const std::string path = dir.file("garde.db");
  store::Db first = store::Db::open(path).value();
  REQUIRE(first.execScript("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1);").has_value());
  store::Db second = store::Db::open(path).value();  // a connection opened later

  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {  // another process asks whether anyone holds a lock on the database file
    const int fd = ::open(path.c_str(), O_RDWR);
    struct flock probe {};
    probe.l_type = F_WRLCK;
    probe.l_whence = SEEK_SET;
    const bool locked = fd >= 0 && ::fcntl(fd, F_GETLK, &probe) == 0 && probe.l_type != F_UNLCK;
    ::_exit(locked ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(scalarText(second, "SELECT count(*) FROM t") == "1");
}
