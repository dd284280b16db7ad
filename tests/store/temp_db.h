#pragma once
// A real SQLite database file in a fresh temporary directory (support/temp_dir.h), removed
// afterwards.

#include <catch2/catch.hpp>
#include <string>

#include "core/log.h"
#include "store/db.h"
#include "store/migrations.h"
#include "support/temp_dir.h"

namespace garde::test {

inline store::Db openDb(const std::string& path) {
  core::setLogLevel(core::LogLevel::kWarn);  // migrations log at info; keep test output readable
  auto db = store::Db::open(path);
  REQUIRE(db.has_value());
  return std::move(db).value();
}

/// A fixture: a migrated database in a temporary directory.
class MigratedDb {
 public:
  MigratedDb() : path_(dir_.file("garde.db")), db_(openDb(path_)) {
    const auto s = store::migrate(db_);
    REQUIRE(s.has_value());
  }

 protected:
  TempDir dir_{"garde-store"};
  std::string path_;
  store::Db db_;
};

}  // namespace garde::test
