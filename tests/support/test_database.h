#pragma once
// The database a test runs on: by default an SQLite file of the test's temporary directory; when
// GARDE_TEST_POSTGRESQL names a PostgreSQL server (the store and feed suites' second run,
// tests/CMakeLists.txt), a schema of its own on that server, dropped afterwards.

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <optional>
#include <string>

#include "store/db.h"
#include "support/temp_dir.h"

namespace garde::test {

/// The PostgreSQL server of this run (a libpq URL), if the suite runs on PostgreSQL.
inline std::optional<std::string> testPostgresql() {
  const char* url = std::getenv("GARDE_TEST_POSTGRESQL");
  if (url == nullptr || *url == '\0') {
    return std::nullopt;
  }
  return std::string(url);
}

/// A database of the engine this run tests, empty: on SQLite the file `name` in `dir` (not created
/// yet), on PostgreSQL a new schema, `schema` receiving its name.
inline std::string freshDatabase(const TempDir& dir, const std::string& name, std::string& schema) {
  const auto base = testPostgresql();
  if (!base) {
    return dir.file(name);
  }
  static std::atomic<int> counter{0};
  schema = "t" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  auto opened = store::Db::open(*base);
  if (!opened) {
    FAIL("open " << opened.error().describe());
  }
  store::Db admin = std::move(opened).value();
  const std::string create = "CREATE SCHEMA " + schema;
  REQUIRE(admin.execScript(create.c_str()).has_value());
  return *base + (base->find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
         schema;
}

/// Drops what freshDatabase made on PostgreSQL (nothing to do on SQLite: the directory goes).
inline void dropDatabase(const std::string& schema) {
  const auto base = testPostgresql();
  if (!base || schema.empty()) {
    return;
  }
  auto admin = store::Db::open(*base);
  if (admin) {
    const std::string drop = "DROP SCHEMA " + schema + " CASCADE";
    (void)admin->execScript(drop.c_str());
  }
}

}  // namespace garde::test
