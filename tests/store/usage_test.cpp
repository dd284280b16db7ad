// Usage aggregates (store/usage.h) on a real database: exact counts per day and dimension from
// the audit's launch records, the attributes released counted one by one, idempotent runs, final
// days left alone, figures that outlive the audit's purge, filters and the establishment scope,
// and nothing about a person in the aggregate tables.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>

#include "store/audit.h"
#include "store/usage.h"
#include "support/constants.h"
#include "temp_db.h"

using namespace garde;

namespace {

constexpr std::int64_t kDay = 86400;
// kNow is 2026-11-23T18:00:00Z.
const core::UnixTime kToday = test::kNow;
const core::UnixTime kYesterday = test::kNow - kDay;
const core::UnixTime kFourDaysAgo = test::kNow - 4 * kDay;

struct Usage : test::MigratedDb {
  int seq = 0;

  void launch(core::UnixTime at, const char* uai, const char* profile, const char* resource,
              std::vector<std::string> released, const char* refusal = nullptr) {
    store::AuditRecord r;
    r.at = at;
    r.kind = "launch";
    r.correlation_id = "c" + std::to_string(++seq);
    r.ent_id = "ENTTEST1";
    r.uai = uai;
    r.profile = profile;
    r.publisher_id = "PUB_A";
    r.resource_id = resource;
    r.released = std::move(released);
    r.outcome = refusal ? "refused" : "released";
    r.reason = refusal ? refusal : "SUBSCRIPTION-1";
    r.subject = std::string(64, 'd');  // the person's digest: must not reach the aggregates
    REQUIRE(store::writeAudit(db_, r).has_value());
  }

  std::int64_t launches(const store::UsageQuery& q = {}) {
    auto rows = store::queryUsage(db_, q);
    REQUIRE(rows.has_value());
    std::int64_t n = 0;
    for (const auto& r : *rows) n += r.launches;
    return n;
  }
};

}  // namespace

TEST_CASE_METHOD(Usage, "Usage: the audit's launches counted per day and dimension",
                 "[store][usage]") {
  launch(kFourDaysAgo, "0561534N", "National_elv", "R1", {"IDO", "PRO"});
  launch(kFourDaysAgo + 60, "0561534N", "National_elv", "R1", {"IDO", "PRO", "DIV"});
  launch(kYesterday, "0561534N", "National_ens", "R1", {"IDO"});
  launch(kYesterday + 10, "0999999Z", "National_elv", "R2", {}, "not_subscribed");
  launch(kToday, "0999999Z", "National_elv", "R2", {}, "not_subscribed");
  {
    store::AuditRecord admin;  // admin records are not usage
    admin.at = kToday;
    admin.kind = "admin";
    admin.correlation_id = "a1";
    admin.outcome = "done";
    admin.reason = "assign";
    REQUIRE(store::writeAudit(db_, admin).has_value());
  }

  auto days = store::aggregateUsage(db_, kToday);
  REQUIRE(days.has_value());
  CHECK(*days == 5);  // from the oldest record's day to today

  auto rows = store::queryUsage(db_, {});
  REQUIRE(rows.has_value());
  REQUIRE(rows->size() == 4);
  const store::UsageRow& first = rows->front();
  CHECK(first.day == "2026-11-19");
  CHECK(first.resource_id == "R1");
  CHECK(first.profile == "National_elv");
  CHECK(first.outcome == "released");
  CHECK(first.reason.empty());  // a release's subscription is not a dimension
  CHECK(first.launches == 2);
  CHECK(launches() == 5);
  store::UsageQuery refused;
  refused.outcome = "refused";
  auto refusals = store::queryUsage(db_, refused);
  REQUIRE(refusals.has_value());
  REQUIRE(refusals->size() == 2);
  CHECK(refusals->at(0).reason == "not_subscribed");

  auto attributes = store::queryAttributeUsage(db_, {});
  REQUIRE(attributes.has_value());
  std::map<std::string, std::int64_t> per;
  for (const auto& a : *attributes) per[a.day + " " + a.attribute] += a.releases;
  CHECK(per == std::map<std::string, std::int64_t>{{"2026-11-19 IDO", 2},
                                                   {"2026-11-19 PRO", 2},
                                                   {"2026-11-19 DIV", 1},
                                                   {"2026-11-22 IDO", 1}});

  SECTION("a second run changes nothing; a new launch today is counted") {
    REQUIRE(store::aggregateUsage(db_, kToday).has_value());
    CHECK(launches() == 5);
    launch(kToday + 30, "0561534N", "National_elv", "R1", {"IDO"});
    REQUIRE(store::aggregateUsage(db_, kToday + 60).has_value());
    CHECK(launches() == 6);
  }
  SECTION("a final day is not recomputed") {
    // Four days ago is final (two days past); a record arriving for it now is not counted.
    launch(kFourDaysAgo + 120, "0561534N", "National_elv", "R1", {"IDO"});
    REQUIRE(store::aggregateUsage(db_, kToday).has_value());
    CHECK(launches() == 5);
  }
  SECTION("the figures outlive the audit's purge") {
    REQUIRE(store::purgeAuditBefore(db_, kToday - kDay / 2).has_value());
    REQUIRE(store::aggregateUsage(db_, kToday).has_value());
    CHECK(launches() == 5);  // yesterday, cut by the purge, kept what it had
    REQUIRE(store::purgeAuditBefore(db_, kToday + kDay).has_value());
    REQUIRE(store::aggregateUsage(db_, kToday + kDay).has_value());
    CHECK(launches() == 5);
  }
  SECTION("filters and the establishment scope") {
    store::UsageQuery q;
    q.uais = {"0999999Z"};
    CHECK(launches(q) == 2);
    q.uais = {"0561534N", "0999999Z"};
    CHECK(launches(q) == 5);
    store::UsageQuery days_q;
    days_q.from_day = "2026-11-22";
    days_q.until_day = "2026-11-22";
    CHECK(launches(days_q) == 2);
    store::UsageQuery resource;
    resource.resource_id = "R1";
    resource.profile = "National_ens";
    CHECK(launches(resource) == 1);
    store::UsageQuery scoped;
    scoped.uais = {"0999999Z"};
    auto a = store::queryAttributeUsage(db_, scoped);
    REQUIRE(a.has_value());
    CHECK(a->empty());
  }
}

TEST_CASE_METHOD(Usage, "Usage tables hold counts, never a person", "[store][usage][privacy]") {
  launch(kToday, "0561534N", "National_elv", "R1", {"IDO"});
  REQUIRE(store::aggregateUsage(db_, kToday).has_value());
  for (const char* table : {"usage_daily", "usage_attributes_daily"}) {
    const auto listed = test::tableColumns(db_, table);
    REQUIRE_FALSE(listed.empty());
    const std::set<std::string> columns(listed.begin(), listed.end());
    INFO(table);
    CHECK(columns.count("subject") == 0);
    CHECK(columns.count("actor") == 0);
    CHECK(columns.count("correlation_id") == 0);
    CHECK(columns.count("ent_id") == 0);
  }
}

TEST_CASE("Usage days are real dates", "[store][usage]") {
  CHECK(store::parseUsageDay("2026-11-23") == "2026-11-23");
  CHECK(store::parseUsageDay("2024-02-29") == "2024-02-29");
  CHECK_FALSE(store::parseUsageDay("2026-02-29"));
  CHECK_FALSE(store::parseUsageDay("2026-13-01"));
  CHECK_FALSE(store::parseUsageDay("2026-1-01"));
  CHECK_FALSE(store::parseUsageDay("2026-11-23T00"));
  CHECK_FALSE(store::parseUsageDay(""));
  CHECK_FALSE(store::parseUsageDay("2026-11-23' OR 1=1"));
}
