// store::probeDatabase, the /readyz check: it never creates a database and wants ours, migrated.
#include <catch2/catch.hpp>
#include <filesystem>

#include "store/migrations.h"
#include "temp_db.h"

using namespace garde;

TEST_CASE("probeDatabase accepts a migrated database", "[store][probe][sqlite]") {
  test::TempDir dir("garde-probe");
  const std::string path = dir.file("garde.db");
  {
    store::Db db = test::openDb(path);
    REQUIRE(store::migrate(db).has_value());
  }
  CHECK(store::probeDatabase(path).has_value());
}

TEST_CASE("probeDatabase refuses a missing, empty or old database and creates none",
          "[store][probe][sqlite]") {
  test::TempDir dir("garde-probe");
  const std::string path = dir.file("garde.db");
  SECTION("missing") {
    const auto probe = store::probeDatabase(path);
    REQUIRE_FALSE(probe.has_value());
    CHECK(probe.error().code == core::ErrorCode::kStoreError);
    CHECK_FALSE(std::filesystem::exists(path));
  }
  SECTION("not migrated") {
    { store::Db db = test::openDb(path); }
    const auto probe = store::probeDatabase(path);
    REQUIRE_FALSE(probe.has_value());
    CHECK_THAT(probe.error().detail, Catch::Contains("schema_version"));
  }
  SECTION("an older schema") {
    {
      store::Db db = test::openDb(path);
      REQUIRE(store::migrate(db, 1).has_value());
    }
    const auto probe = store::probeDatabase(path);
    REQUIRE_FALSE(probe.has_value());
    CHECK_THAT(probe.error().detail, Catch::Contains("schema version 1"));
  }
}
