#include <catch2/catch.hpp>

#include "policy/date.h"
#include "policy/profile.h"

using namespace garde::policy;

TEST_CASE("Dates parse, format and compare", "[policy][date]") {
  const auto d = Date::parse("2026-07-14");
  REQUIRE(d.has_value());
  CHECK(d->format() == "2026-07-14");
  CHECK(Date::parse("2026-07-14T23:59:59")->format() == "2026-07-14");
  CHECK(Date::parse("1970-01-01")->daysSinceEpoch() == 0);
  CHECK(Date::parse("2024-02-29").has_value());
  CHECK(*Date::parse("2025-12-31") < *Date::parse("2026-01-01"));
  const auto bad = GENERATE(as<std::string>{}, "", "2025-02-29", "2025-13-01", "2025-1-01",
                            "2025-01-01Z", "abcd-ef-gh", "2025-00-10");
  CHECK_FALSE(Date::parse(bad).has_value());
}

TEST_CASE("Profiles and audiences map to the GAR's words", "[policy][profile]") {
  for (Profile p : kAllProfiles) {
    CHECK(parseProfile(profileCode(p)) == p);
  }
  CHECK(profileCode(Profile::kElv) == "National_elv");
  CHECK_FALSE(parseProfile("national_elv").has_value());
  CHECK(audienceOf(Profile::kElv) == Audience::kEleve);
  CHECK(audienceOf(Profile::kDoc) == Audience::kDocumentaliste);
  CHECK(audienceOf(Profile::kDir) == Audience::kAutrePersonnel);
  CHECK(parseAudience("AUTRE PERSONNEL") == Audience::kAutrePersonnel);
  CHECK(audienceCode(Audience::kEnseignant) == "ENSEIGNANT");
}
