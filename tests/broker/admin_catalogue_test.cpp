// The catalogue through the admin API (broker/api/admin_catalogue.h, ADR 0023), against real
// launches: entries and their profiles listed; an addition and a widening of profiles at once;
// removing a profile a ceiling row of the version in force uses refused until the ceilings are
// narrowed; an auditor cannot change, no change without the CSRF token; malformed bodies named;
// history and audit; an attribute not defined for a profile is withheld as not_for_profile.

#include "broker/api/admin_catalogue.h"

#include <boost/json.hpp>
#include <map>

#include "admin_test_support.h"
#include "store/admin_accounts.h"
#include "store/demo_data.h"
#include "support/flows_world.h"

namespace {

namespace api = garde::broker::api;
constexpr const char* kPassword = "mot de passe";

void seed(store::Db& db) {
  admin_test::addAccount(db, "alice", store::AdminRole::kMinistryAdmin, kPassword);
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

  /// The catalogue as the API lists it, by code.
  std::map<std::string, boost::json::object> catalogue() {
    const Response r = call("GET", "/api/v1/admin/catalogue");
    REQUIRE(r.status == 200);
    std::map<std::string, boost::json::object> out;
    const boost::json::value v = boost::json::parse(r.body);
    for (const auto& e : v.at("catalogue").as_array()) {
      out[std::string(e.at("code").as_string())] = e.as_object();
    }
    return out;
  }

  /// The profiles of `code` in the catalogue.
  std::set<std::string> profilesOf(const std::string& code) {
    std::set<std::string> out;
    const auto all = catalogue();
    for (const auto& p : all.at(code).at("profiles").as_array()) {
      out.insert(std::string(p.as_string()));
    }
    return out;
  }

  Response put(const std::string& code, const std::vector<std::string>& profiles,
               const std::string& reason = "a reason", bool with_csrf = true) {
    boost::json::array ps(profiles.begin(), profiles.end());
    return call("PUT", "/api/v1/admin/catalogue/" + code,
                boost::json::serialize(boost::json::object{{"reason", reason},
                                                           {"meaning", "meaning of " + code},
                                                           {"sensitivity", "personal"},
                                                           {"multi_valued", true},
                                                           {"profiles", std::move(ps)}}),
                with_csrf);
  }

  /// The ceilings in force without pupils' `code`, as a change: a narrowing, published at once.
  Response narrowPupils(const std::string& code) {
    const auto in_force = boost::json::parse(call("GET", "/api/v1/admin/ceilings").body);
    boost::json::array rows;
    for (const auto& r : in_force.at("ceilings").as_array()) {
      if (r.at("profile") == "National_elv" && r.at("attribute").as_string() == code) continue;
      rows.push_back(r);
    }
    return call("POST", "/api/v1/admin/ceilings",
                boost::json::serialize(boost::json::object{{"reason", "pupils lose " + code},
                                                           {"ceilings", std::move(rows)}}));
  }

  /// The rule explain gives for `code` withheld from `person` (a pupil of the demo) by resource
  /// A, computed as a launch computes it; "" when released.
  std::string ruleForPupil(const std::string& code) {
    Request req;
    req.method = "GET";
    req.path = "/api/v1/admin/explain";
    req.target = req.path + "?resource=" + core::urlEncode(store::demo::kResourceA, true) +
                 "&ent=ENTTEST1&person=" + store::demo::kPupil + "&uai=0561534N";
    req.query = {{"resource", store::demo::kResourceA},
                 {"ent", "ENTTEST1"},
                 {"person", store::demo::kPupil},
                 {"uai", "0561534N"}};
    const Response r = f.send(std::move(req));
    REQUIRE(r.status == 200);
    const auto v = boost::json::parse(r.body);
    REQUIRE(v.at("entitled") == true);
    for (const auto& w : v.at("withheld").as_array()) {
      if (w.at("attribute").as_string() == code) return std::string(w.at("rule").as_string());
    }
    return {};
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

  /// The admin audit reasons with their outcome: "catalogue_put:DIV conflict/failed".
  std::multiset<std::string> adminAudit() {
    std::multiset<std::string> out;
    for (const auto& r : f.auditRows()) {
      if (r.kind == "admin") out.insert(r.reason + "/" + r.outcome);
    }
    return out;
  }
};

}  // namespace

TEST_CASE("Catalogue: entries with their profiles; additions and wider profiles at once",
          "[broker][admin][catalogue]") {
  World w;
  w.signIn("audrey");  // an auditor may read
  auto entries = w.catalogue();
  REQUIRE(entries.size() == 12);
  CHECK(w.profilesOf("E_MEF") == std::set<std::string>{"National_elv"});
  CHECK(w.profilesOf("P_MAT") == std::set<std::string>{"National_ens", "National_doc"});
  CHECK(entries.at("DIV").at("multi_valued") == true);
  CHECK(entries.at("IDO").at("sensitivity") == "technical");
  CHECK(entries.at("IDO").at("position") == 1);
  // ... but not change.
  CHECK(w.put("E_OPT", {"National_elv"}).status == 403);
  CHECK(w.catalogue().count("E_OPT") == 0);

  w.signIn("alice");
  CHECK(w.put("E_OPT", {"National_elv"}, "options", false).status == 403);  // no CSRF token
  CHECK(w.catalogue().count("E_OPT") == 0);

  const Response added = w.put("E_OPT", {"National_elv"}, "options for language tools");
  INFO(added.body);
  REQUIRE(added.status == 200);
  const auto a = boost::json::parse(added.body);
  CHECK(a.at("code") == "E_OPT");
  CHECK(a.at("position") == 13);
  CHECK(a.at("profiles").as_array().size() == 1);
  CHECK(w.profilesOf("E_OPT") == std::set<std::string>{"National_elv"});

  const Response wider = w.put("E_OPT", {"National_elv", "National_ens"}, "teachers too");
  REQUIRE(wider.status == 200);
  CHECK(w.profilesOf("E_OPT") == std::set<std::string>{"National_elv", "National_ens"});
  // Nothing flows from it: no ceiling allows it (that takes four eyes).
  CHECK(w.launchB() == std::set<std::string>{"IDO", "PRO"});

  // The same again changes nothing.
  CHECK(w.put("E_OPT", {"National_elv", "National_ens"}, "again").status == 409);

  // An entry no ceiling row names can go.
  CHECK(w.call("DELETE", "/api/v1/admin/catalogue/E_OPT", R"({"reason":"not needed"})").status ==
        200);
  CHECK(w.catalogue().count("E_OPT") == 0);
  CHECK(w.call("DELETE", "/api/v1/admin/catalogue/E_OPT", R"({"reason":"twice"})").status == 404);

  // The history, newest first: who, when, why, before and after.
  const Response h = w.call("GET", "/api/v1/admin/catalogue/history");
  REQUIRE(h.status == 200);
  const auto history = boost::json::parse(h.body).at("history").as_array();
  REQUIRE(history.size() == 3);
  CHECK(history[0].at("action") == "delete");
  CHECK(history[0].at("after").is_null());
  CHECK(history[1].at("action") == "update");
  CHECK(history[1].at("by") == "alice");
  CHECK(history[1].at("reason") == "teachers too");
  CHECK(history[1].at("before").at("profiles").as_array().size() == 1);
  CHECK(history[1].at("after").at("profiles").as_array().size() == 2);
  CHECK(history[1].at("at").as_string().size() == 20);
  CHECK(history[2].at("action") == "add");
  CHECK(history[2].at("before").is_null());
  CHECK(history[2].at("after").at("meaning") == "meaning of E_OPT");
  // Paged.
  const auto page =
      boost::json::parse(w.call("GET", "/api/v1/admin/catalogue/history?limit=2").body);
  CHECK(page.at("history").as_array().size() == 2);
  const auto next = page.at("next_before").as_int64();
  const auto rest = boost::json::parse(
      w.call("GET", "/api/v1/admin/catalogue/history?before=" + std::to_string(next)).body);
  REQUIRE(rest.at("history").as_array().size() == 1);
  CHECK(rest.at("history").as_array()[0].at("action") == "add");

  const auto audit = w.adminAudit();
  CHECK(audit.count("catalogue_put:E_OPT add/done") == 1);
  CHECK(audit.count("catalogue_put:E_OPT update/done") == 1);
  CHECK(audit.count("catalogue_put:E_OPT conflict/failed") == 1);
  CHECK(audit.count("catalogue_delete:E_OPT deleted/done") == 1);
  CHECK(audit.count("catalogue_delete:E_OPT not_found/failed") == 1);
}

TEST_CASE(
    "Catalogue: a profile a ceiling row uses cannot go until the ceilings are narrowed; "
    "then the attribute is withheld as not_for_profile",
    "[broker][admin][catalogue][governance]") {
  World w;
  w.signIn("alice");
  CHECK(w.ruleForPupil("DIV").empty());  // resource A releases the pupil's classes
  const auto before = w.catalogue();

  const Response refused =
      w.put("DIV", {"National_ens", "National_doc"}, "pupils' classes are private");
  INFO(refused.body);
  REQUIRE(refused.status == 409);
  CHECK(refused.body.find("National_elv * DIV") != std::string::npos);
  CHECK(refused.body.find("narrow the ceilings first") != std::string::npos);
  CHECK(w.catalogue() == before);  // nothing changed
  CHECK(w.call("DELETE", "/api/v1/admin/catalogue/DIV", R"({"reason":"gone"})").status == 409);
  CHECK(w.catalogue() == before);
  CHECK(boost::json::parse(w.call("GET", "/api/v1/admin/catalogue/history").body)
            .at("history")
            .as_array()
            .empty());

  REQUIRE(w.narrowPupils("DIV").status == 200);
  CHECK(w.ruleForPupil("DIV") == "above_ceiling");
  const Response done =
      w.put("DIV", {"National_ens", "National_doc"}, "pupils' classes are private");
  INFO(done.body);
  REQUIRE(done.status == 200);
  CHECK(w.profilesOf("DIV") == std::set<std::string>{"National_ens", "National_doc"});
  CHECK(w.ruleForPupil("DIV") == "not_for_profile");

  // The ceilings cannot give it back to pupils now: the catalogue must first (ADR 0023).
  const auto in_force = boost::json::parse(w.call("GET", "/api/v1/admin/ceilings").body);
  boost::json::array rows = in_force.at("ceilings").as_array();
  rows.push_back({{"profile", "National_elv"}, {"category", "*"}, {"attribute", "DIV"}});
  const Response widen =
      w.call("POST", "/api/v1/admin/ceilings",
             boost::json::serialize(boost::json::object{{"reason", "back"}, {"ceilings", rows}}));
  CHECK(widen.status == 409);
  CHECK(widen.body.find("does not define DIV for National_elv") != std::string::npos);

  // A launch of resource B: PRO narrowed away for pupils, then taken out of their profile in the
  // catalogue: the launch still releases IDO only, and explain gives the catalogue's reason.
  REQUIRE(w.narrowPupils("PRO").status == 200);
  CHECK(w.launchB() == std::set<std::string>{"IDO"});
  REQUIRE(w.call("PUT", "/api/v1/admin/catalogue/PRO",
                 R"({"reason":"not for pupils","meaning":"profile","sensitivity":"technical",)"
                 R"("multi_valued":false,"profiles":["National_ens","National_doc","National_dir",)"
                 R"("National_evs","National_eta","National_col"],"position":2})")
              .status == 200);
  CHECK(w.launchB() == std::set<std::string>{"IDO"});
  Request req;
  req.method = "GET";
  req.path = "/api/v1/admin/explain";
  req.target = req.path + "?resource=x&profile=National_elv";
  req.query = {{"resource", store::demo::kResourceB}, {"profile", "National_elv"}};
  const auto x = boost::json::parse(w.f.send(std::move(req)).body);
  bool pro_not_for_profile = false;
  for (const auto& wh : x.at("withheld").as_array()) {
    if (wh.at("attribute") == "PRO") pro_not_for_profile = wh.at("rule") == "not_for_profile";
  }
  CHECK(pro_not_for_profile);

  const auto audit = w.adminAudit();
  CHECK(audit.count("catalogue_put:DIV conflict/failed") == 1);
  CHECK(audit.count("catalogue_delete:DIV conflict/failed") == 1);
  CHECK(audit.count("catalogue_put:DIV update/done") == 1);
  CHECK(audit.count("catalogue_put:PRO update/done") == 1);
}

TEST_CASE("Catalogue changes are refused when malformed, naming the field",
          "[broker][admin][catalogue]") {
  World w;
  w.signIn("alice");
  const std::string ok =
      R"("meaning":"m","sensitivity":"personal","multi_valued":true,"profiles":["National_elv"])";
  const std::pair<std::string, std::string> bad[] = {
      {"", "not a JSON object"},
      {"[]", "not a JSON object"},
      {"{}", "reason"},
      {R"({"reason":"x"})", "meaning"},
      {R"({"reason":"","meaning":"m"})", "reason"},
      {R"({"reason":"x","meaning":"m","sensitivity":"secret"})", "sensitivity"},
      {R"({"reason":"x","meaning":"m","sensitivity":"personal","multi_valued":1})", "multi_valued"},
      {R"({"reason":"x","meaning":"a\nb","sensitivity":"personal","multi_valued":true,"profiles":["National_elv"]})",
       "meaning"},
      {R"({"reason":"x","meaning":"m","sensitivity":"personal","multi_valued":true,"profiles":[]})",
       "profiles"},
      {R"({"reason":"x","meaning":"m","sensitivity":"personal","multi_valued":true,"profiles":["National_xyz"]})",
       "profiles[0]"},
      {R"({"reason":"x","meaning":"m","sensitivity":"personal","multi_valued":true,"profiles":["National_elv","National_elv"]})",
       "profiles[1]"},
      {R"({"reason":"x",)" + ok + R"(,"position":-1})", "position"},
      {R"({"reason":"x",)" + ok + R"(,"position":"1"})", "position"},
      {R"({"reason":"x",)" + ok + R"(,"extra":1})", "unknown field extra"},
      {R"({"reason":")" + std::string(1001, 'r') + R"(",)" + ok + "}", "reason"},
      {R"({"reason":"x","meaning":")" + std::string(201, 'm') +
           R"(","sensitivity":"personal","multi_valued":true,"profiles":["National_elv"]})",
       "meaning"},
  };
  for (const auto& [body, field] : bad) {
    INFO(body);
    const auto parsed = api::parseCatalogueRequest("E_OPT", body);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().code == core::ErrorCode::kBadRequest);
    CHECK(parsed.error().detail.find(field) != std::string::npos);
    const Response r = w.call("PUT", "/api/v1/admin/catalogue/E_OPT", body);
    CHECK(r.status == 400);
    CHECK(r.body.find(field.substr(0, 8)) != std::string::npos);
  }
  const std::string good = R"({"reason":"x",)" + ok + "}";
  REQUIRE(api::parseCatalogueRequest("E_OPT", good).has_value());
  for (const char* code : {"e_opt", "E-OPT", "", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456"}) {
    INFO(code);
    CHECK(api::parseCatalogueRequest(code, good).error().code == core::ErrorCode::kBadRequest);
  }
  CHECK(w.call("PUT", "/api/v1/admin/catalogue/e_opt", good).status == 400);
  CHECK(w.call("DELETE", "/api/v1/admin/catalogue/DIV", R"({"reason":""})").status == 400);
  CHECK(w.call("DELETE", "/api/v1/admin/catalogue/DIV", R"({"reason":"x","more":1})").status ==
        400);
  CHECK(w.call("GET", "/api/v1/admin/catalogue/history?limit=0").status == 400);
  CHECK(w.catalogue().count("E_OPT") == 0);
  CHECK(w.adminAudit().count("catalogue_put:E_OPT bad_request/failed") == std::size(bad));
}
