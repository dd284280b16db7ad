// The database holds names and e-mails of pupils and staff: it and its -wal and -shm are
// owner-only whatever the umask, and an existing one that others may read is refused.

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "store/audit_writer.h"
#include "store/db.h"
#include "store/migrations.h"
#include "support/file_modes.h"
#include "temp_db.h"

using namespace garde;

namespace {

using test::modeOf;
using test::Umask;

void makeFile(const std::string& path, mode_t mode) { test::writeWithMode(path, "", mode); }

}  // namespace

TEST_CASE("A new database, its -wal and its -shm are created 0600 whatever the umask",
          "[store][db][permissions][sqlite]") {
  const mode_t mask = GENERATE(mode_t{022}, mode_t{002}, mode_t{0});
  Umask umask(mask);
  test::TempDir dir;
  const std::string path = dir.file("garde.db");
  auto db = store::Db::open(path);
  REQUIRE(db.has_value());
  REQUIRE(store::migrate(*db).has_value());  // writes: the -wal and -shm exist while it is open
  REQUIRE(::access((path + "-wal").c_str(), F_OK) == 0);
  REQUIRE(::access((path + "-shm").c_str(), F_OK) == 0);
  CHECK(modeOf(path) == 0600);
  CHECK(modeOf(path + "-wal") == 0600);
  CHECK(modeOf(path + "-shm") == 0600);

  // The audit writer's connection (another process could be another node) keeps them so.
  store::AuditWriter writer({path});
  CHECK(modeOf(path + "-wal") == 0600);
  CHECK(modeOf(path + "-shm") == 0600);
}

TEST_CASE("An existing database that group or others may read is refused, named",
          "[store][db][permissions][sqlite]") {
  const auto [suffix, mode] = GENERATE(
      table<std::string, mode_t>({{"", 0644}, {"", 0640}, {"-wal", 0644}, {"-shm", 0604}}));
  test::TempDir dir;
  const std::string path = dir.file("garde.db");
  const std::string file = path + suffix;
  if (file != path) {
    makeFile(path, 0600);
  }
  makeFile(file, mode);

  const auto db = store::Db::open(path);
  REQUIRE_FALSE(db.has_value());
  CHECK(db.error().code == core::ErrorCode::kConfigInvalid);
  CHECK_THAT(db.error().detail, Catch::Contains(file + " is readable or writable by group"));
  CHECK_THAT(db.error().detail, Catch::Contains("chmod 600 " + file));
  CHECK(modeOf(file) == mode);  // refused as it is: the operator decides

  const auto read_only = store::Db::open(path, {.read_only = true, .create = false});
  CHECK_FALSE(read_only.has_value());
  CHECK_THROWS_WITH(store::AuditWriter({path}), Catch::Contains(file));
}

TEST_CASE("An in-memory database is not a file to check", "[store][db][permissions][sqlite]") {
  CHECK(store::Db::open(":memory:").has_value());
}
