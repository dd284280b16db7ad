#include "store/audit_writer.h"

#include <catch2/catch.hpp>

#include "store/audit.h"
#include "temp_db.h"

using namespace garde;
using core::ErrorCode;

namespace {

store::AuditRecord row(int i) {
  store::AuditRecord r;
  r.at = 1'800'000'000 + i;
  r.correlation_id = "req-" + std::to_string(i);
  r.ent_id = "ENTTEST1";
  r.outcome = "refused";
  r.reason = "not_assigned";
  return r;
}

std::size_t rowsIn(store::Db& db) {
  auto rows = store::listAudit(db, 0, 100'000);
  REQUIRE(rows.has_value());
  return rows->size();
}

}  // namespace

TEST_CASE_METHOD(test::MigratedDb, "The audit writer commits queued rows in order, in batches",
                 "[store][audit]") {
  store::AuditWriter writer({path_, std::chrono::milliseconds(50), 8, 1000});
  for (int i = 0; i < 20; ++i) {
    writer.enqueue(row(i));
  }
  REQUIRE(writer.flush().has_value());
  const auto rows = store::listAudit(db_, 0, 100);
  REQUIRE(rows.has_value());
  REQUIRE(rows->size() == 20);
  for (int i = 0; i < 20; ++i) {
    CHECK((*rows)[static_cast<std::size_t>(i)].correlation_id == "req-" + std::to_string(i));
  }
  CHECK(writer.dropped() == 0);
}

TEST_CASE_METHOD(test::MigratedDb, "The audit writer writes what is queued when it stops",
                 "[store][audit]") {
  {
    // A long interval: nothing would be written before the destructor.
    store::AuditWriter writer({path_, std::chrono::milliseconds(60'000), 1000, 1000});
    for (int i = 0; i < 5; ++i) {
      writer.enqueue(row(i));
    }
  }
  CHECK(rowsIn(db_) == 5);
}

TEST_CASE_METHOD(test::MigratedDb,
                 "The audit writer keeps rows through a failing database and writes them after",
                 "[store][audit]") {
  store::AuditWriter writer({path_, std::chrono::milliseconds(20), 1000, 1000});
  // The table disappears (a broken database): the pass fails, the rows stay queued.
  REQUIRE(db_.execScript("ALTER TABLE audit RENAME TO audit_away").has_value());
  writer.enqueue(row(1));
  writer.enqueue(row(2));
  CHECK(writer.flush().error().code == ErrorCode::kStoreError);
  REQUIRE(db_.execScript("ALTER TABLE audit_away RENAME TO audit").has_value());
  // Schema changed under the writer's connection: its statements are prepared again by SQLite.
  REQUIRE(writer.flush().has_value());
  CHECK(rowsIn(db_) == 2);
}

TEST_CASE_METHOD(test::MigratedDb, "The audit writer's queue is bounded, oldest rows dropped first",
                 "[store][audit]") {
  store::AuditWriter writer({path_, std::chrono::milliseconds(20), 1000, 3});
  REQUIRE(db_.execScript("ALTER TABLE audit RENAME TO audit_away").has_value());
  for (int i = 0; i < 10; ++i) {
    writer.enqueue(row(i));
  }
  CHECK_FALSE(writer.flush().has_value());
  CHECK(writer.dropped() >= 7);
  REQUIRE(db_.execScript("ALTER TABLE audit_away RENAME TO audit").has_value());
  REQUIRE(writer.flush().has_value());
  const auto rows = store::listAudit(db_, 0, 100);
  REQUIRE(rows.has_value());
  REQUIRE(rows->size() == 3);
  CHECK(rows->back().correlation_id == "req-9");  // the newest survive
}

TEST_CASE("The audit writer refuses a database it cannot open", "[store][audit]") {
  test::TempDir dir;
  CHECK_THROWS_AS(store::AuditWriter({dir.file("missing/garde.db")}), std::runtime_error);
}
