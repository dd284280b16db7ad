// /readyz as serve mounts it: ready once started and only while the database answers.
#include <catch2/catch.hpp>
#include <filesystem>

#include "broker/commands/serve.h"
#include "broker/metrics.h"
#include "broker/router.h"
#include "core/log.h"
#include "store/migrations.h"
#include "support/credentials.h"
#include "support/temp_dir.h"

using namespace garde;

namespace {

int readyz(const broker::Router& router) {
  broker::Request r;
  r.method = "GET";
  r.target = "/readyz";
  r.path = "/readyz";
  return router.dispatch(r).status;
}

}  // namespace

TEST_CASE("/readyz checks that the database answers", "[broker][readyz]") {
  core::setLogLevel(core::LogLevel::kError);
  test::TempDir dir("garde-readyz");
  config::Config cfg;
  cfg.store.database = dir.file("garde.db");
  {
    auto db = store::Db::open(cfg.store.database);
    REQUIRE(db.has_value());
    REQUIRE(store::migrate(*db).has_value());
  }
  broker::Metrics metrics;
  core::SystemClock clock;
  broker::Services services{cfg, metrics, clock, core::systemRandom(),
                            test::makeCredential("garde readyz test"), std::string(32, 'k')};
  broker::Router router;
  broker::mountRoutes(router, services, cfg.metrics);

  CHECK(readyz(router) == 503);  // not started yet
  services.ready.store(true);
  CHECK(readyz(router) == 200);
  SECTION("the database file is gone") {
    std::filesystem::remove(cfg.store.database);
    CHECK(readyz(router) == 503);
    CHECK_FALSE(std::filesystem::exists(cfg.store.database));  // the probe did not create one
  }
  SECTION("the database is not ours") {
    std::filesystem::remove(cfg.store.database);
    { REQUIRE(store::Db::open(cfg.store.database).has_value()); }
    CHECK(readyz(router) == 503);
  }
}
