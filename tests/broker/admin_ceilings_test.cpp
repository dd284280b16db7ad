// The ceilings through the admin API (broker/api/admin_ceilings.h), against real launches: a
// narrowing releases less at the next launch; a widening changes nothing until another ministry
// admin approves it, then releases more; the proposer cannot approve, an auditor cannot change,
// no change without the CSRF token; versions, diff and preview.

#include <boost/json.hpp>

#include "admin_test_support.h"
#include "broker/api/admin_ceilings.h"
#include "core/password.h"
#include "store/admin_accounts.h"
#include "store/demo_data.h"
#include "support/flows_world.h"

namespace {

namespace api = garde::broker::api;
constexpr const char* kPassword = "mot de passe";

void seed(store::Db& db) {
  admin_test::addAccount(db, "alice", store::AdminRole::kMinistryAdmin, kPassword);
  admin_test::addAccount(db, "bob", store::AdminRole::kMinistryAdmin, kPassword);
  admin_test::addAccount(db, "audrey", store::AdminRole::kAuditor, kPassword);
}

struct World {
  Flows f{{}, 1'000'000, allFlowRoutes(), {}, seed};
  std::string csrf;

  void signIn(const char* user) { csrf = admin_test::signIn(f, user, kPassword); }

  Response call(const std::string& method, const std::string& target, std::string body = {},
                bool with_csrf = true) {
    return admin_test::call(f, csrf, method, target, std::move(body), with_csrf);
  }

  /// What publisher B receives from a pupil's launch (resource B declares IDO and PRO).
  std::set<std::string> launchB() {
    const std::string admin = f.jar()["garde_admin"];
    f.jar().erase("garde_admin");
    const Response form =
        f.entLeg(f.get(std::string(kResourceBPath) + kTileQuery), store::demo::kPupil);
    f.jar()["garde_admin"] = admin;
    return names(f.publisherReceives(form, kPubBEntity, kPubBAcs, std::nullopt).attributes);
  }

  /// The table in force as a request body, with pupils' `code` removed or added.
  std::string tableWith(const std::string& code, bool add) {
    const auto in_force = boost::json::parse(call("GET", "/api/v1/admin/ceilings").body);
    boost::json::array rows;
    for (const auto& r : in_force.at("ceilings").as_array()) {
      if (!add && r.at("profile") == "National_elv" && r.at("attribute").as_string() == code) continue;
      rows.push_back(r);
    }
    if (add) rows.push_back({{"profile", "National_elv"}, {"category", "*"}, {"attribute", code}});
    return boost::json::serialize(
        boost::json::object{{"reason", "test " + code}, {"ceilings", std::move(rows)}});
  }
};

}  // namespace

TEST_CASE("Ceilings: narrow at once, widen with four eyes, each in force at the next launch",
          "[broker][admin][governance]") {
  World w;
  CHECK(w.launchB() == std::set<std::string>{"IDO", "PRO"});
  w.signIn("alice");
  const std::string first_version(
      boost::json::parse(w.call("GET", "/api/v1/admin/ceilings").body).at("version").as_string());

  // Narrow: pupils lose PRO; in force for the next launch.
  const Response narrowed = w.call("POST", "/api/v1/admin/ceilings", w.tableWith("PRO", false));
  INFO(narrowed.body);
  REQUIRE(narrowed.status == 200);
  CHECK(boost::json::parse(narrowed.body).at("applied") == true);
  CHECK(w.launchB() == std::set<std::string>{"IDO"});

  // Widen back: a proposal; nothing changes.
  const Response proposed = w.call("POST", "/api/v1/admin/ceilings", w.tableWith("PRO", true));
  REQUIRE(proposed.status == 202);
  const std::int64_t id = boost::json::parse(proposed.body).at("proposal").as_int64();
  CHECK(w.launchB() == std::set<std::string>{"IDO"});
  const std::string base = "/api/v1/admin/ceilings/proposals/" + std::to_string(id);

  // The preview says who would get what.
  const Response preview = w.call("GET", base + "/preview");
  REQUIRE(preview.status == 200);
  bool b_for_pupils = false;
  const boost::json::value impacts = boost::json::parse(preview.body);
  for (const auto& i : impacts.at("impacts").as_array()) {
    if (i.at("resource") == store::demo::kResourceB && i.at("profile") == "National_elv") {
      b_for_pupils = true;
      CHECK(i.at("start_flowing").as_array().size() == 1);
      CHECK(i.at("people").as_int64() > 0);
    }
  }
  CHECK(b_for_pupils);

  // The proposer cannot approve; without CSRF, nobody; an auditor cannot.
  CHECK(w.call("POST", base + "/approve").status == 403);
  CHECK(w.launchB() == std::set<std::string>{"IDO"});
  w.signIn("audrey");
  CHECK(w.call("POST", base + "/approve").status == 403);
  CHECK(w.call("POST", "/api/v1/admin/ceilings", w.tableWith("NOM", false)).status == 403);
  CHECK(w.call("GET", "/api/v1/admin/ceilings/proposals").status == 200);  // may read
  w.signIn("bob");
  CHECK(w.call("POST", base + "/approve", {}, false).status == 403);
  const Response approved = w.call("POST", base + "/approve");
  INFO(approved.body);
  REQUIRE(approved.status == 200);
  CHECK(w.launchB() == std::set<std::string>{"IDO", "PRO"});

  // Versions side by side: the first and the last differ by nothing for pupils now; the middle
  // one took PRO away.
  const auto versions = boost::json::parse(w.call("GET", "/api/v1/admin/ceilings/versions").body)
                            .at("versions")
                            .as_array();
  REQUIRE(versions.size() == 3);
  CHECK(versions[2].at("previous") == versions[1].at("version"));
  const std::string middle(versions[1].at("version").as_string());
  const Response diff =
      w.call("GET", "/api/v1/admin/ceilings/diff?from=" + first_version + "&to=" + middle);
  REQUIRE(diff.status == 200);
  CHECK(boost::json::parse(diff.body).at("widens") == false);
  CHECK(boost::json::parse(diff.body).at("changes").as_array().size() > 0);
  // Every change is in the trail.
  std::set<std::string> actions;
  for (const auto& r : w.f.auditRows()) {
    if (r.kind == "admin") actions.insert(r.reason.substr(0, r.reason.find(':')) + "/" + r.outcome);
  }
  CHECK(actions.count("ceilings_publish/done") == 1);
  CHECK(actions.count("ceilings_propose/done") == 1);
  CHECK(actions.count("ceilings_approve/done") == 1);
  CHECK(actions.count("ceilings_approve/failed") == 1);
}

TEST_CASE("Ceilings changes are refused when malformed, empty of change or unexplained",
          "[broker][admin][governance]") {
  World w;
  w.signIn("alice");
  for (const char* bad :
       {"", "{}", R"({"reason":"x"})", R"({"ceilings":[]})",
        R"({"reason":"x","ceilings":[{"profile":"National_xyz","category":"*","attribute":"IDO"}]})",
        R"({"reason":"x","ceilings":[{"profile":"National_elv","category":"a*b","attribute":"IDO"}]})",
        R"({"reason":"x","ceilings":[{"profile":"National_elv","category":"*","attribute":"ID O"}]})",
        R"({"reason":"x","ceilings":[{"profile":"National_elv","category":"*"}]})",
        R"({"reason":"x","ceilings":[],"extra":1})"}) {
    INFO(bad);
    CHECK(api::parseCeilingsRequest(bad).error().code == core::ErrorCode::kBadRequest);
    CHECK(w.call("POST", "/api/v1/admin/ceilings", bad).status == 400);
  }
  // The same table: no change (409).
  const auto in_force = boost::json::parse(w.call("GET", "/api/v1/admin/ceilings").body);
  const std::string same = boost::json::serialize(boost::json::object{
      {"reason", "nothing"}, {"ceilings", in_force.at("ceilings")}});
  CHECK(w.call("POST", "/api/v1/admin/ceilings", same).status == 409);
  // A code outside the catalogue.
  CHECK(w.call("POST", "/api/v1/admin/ceilings", w.tableWith("SECRET", true)).status == 409);
  // Unknown proposal.
  CHECK(w.call("POST", "/api/v1/admin/ceilings/proposals/999/approve").status == 404);
  CHECK(w.call("POST", "/api/v1/admin/ceilings/proposals/abc/approve").status == 404);
  CHECK(w.call("POST", "/api/v1/admin/ceilings/proposals/1/reject", R"({"reason":""})").status ==
        400);
}
