#pragma once
// A real SQLite database file in a fresh temporary directory, removed afterwards.

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "core/log.h"
#include "store/db.h"
#include "store/migrations.h"

namespace garde::test {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "garde-store-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

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
  TempDir dir_;
  std::string path_;
  store::Db db_;
};

}  // namespace garde::test
