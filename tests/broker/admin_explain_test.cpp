// Explain (broker/api/admin_explain.h): what it says a person would receive is what a launch
// releases, over every person and resource of the demo; for a profile, the rule behind each
// attribute left out; roles and bad parameters.

#include <boost/json.hpp>

#include "admin_test_support.h"
#include "broker/api/admin_explain.h"
#include "core/password.h"
#include "store/admin_accounts.h"
#include "store/demo_data.h"
#include "support/flows_world.h"

namespace {

const char* const kPeople[] = {"elv-0001", "elv-0002", "elv-0003", "elv-0004",
                               "ens-0001", "ens-0002", "doc-0001"};
const char* const kResources[] = {store::demo::kResourceA, store::demo::kResourceA2,
                                  store::demo::kResourceB};

void seedAuditor(store::Db& db) {
  admin_test::addAccount(db, "auditeur", store::AdminRole::kAuditor, "mot de passe");
}

struct World {
  Flows f{{}, 1'000'000, allFlowRoutes(), {}, seedAuditor};

  void signIn() { admin_test::signIn(f, "auditeur", "mot de passe"); }

  Response explain(const std::vector<std::pair<std::string, std::string>>& params) {
    return admin_test::getWithQuery(f, "/api/v1/admin/explain", params);
  }

  /// The attribute names a launch of `resource` by `person` gives the publisher, or nullopt
  /// when the launch is refused.
  std::optional<std::set<std::string>> launch(const std::string& resource,
                                              const std::string& person) {
    const bool bounce = resource != store::demo::kResourceB;
    Response r = f.get("/launch/" + core::urlEncode(resource, true) + kTileQuery);
    std::optional<std::string> request_id;
    if (bounce) {
      const std::string url = resource == store::demo::kResourceA
                                  ? std::string(kPubABase) + "/resource"
                                  : std::string(kPubABase) + "/cahier";
      std::string id;
      r = f.get(f.publisherAuthnRequest(kPubAEntity, kPubAAcs, url, id));
      request_id = id;
    }
    const Response answer = f.entLeg(r, person);
    const char* acs = bounce ? kPubAAcs : kPubBAcs;
    if (answer.status != 200 || formAction(answer.body) != acs ||
        hiddenField(answer.body, "SAMLResponse").empty()) {
      return std::nullopt;
    }
    const Received got =
        f.publisherReceives(answer, bounce ? kPubAEntity : kPubBEntity, acs, request_id);
    return names(got.attributes);
  }
};

std::set<std::string> released(const boost::json::value& v) {
  std::set<std::string> out;
  for (const auto& r : v.at("released").as_array()) {
    out.insert(std::string(r.at("attribute").as_string()));
  }
  return out;
}

}  // namespace

TEST_CASE("Explain says what a launch releases, for every person and resource of the demo",
          "[broker][admin][explain]") {
  World w;
  w.signIn();
  int entitled = 0;
  int refused = 0;
  for (const char* person : kPeople) {
    for (const char* resource : kResources) {
      INFO(person << " " << resource);
      const Response e = w.explain(
          {{"resource", resource}, {"ent", "ENTTEST1"}, {"person", person}, {"uai", "0561534N"}});
      REQUIRE(e.status == 200);
      const boost::json::value v = boost::json::parse(e.body);
      const auto got = w.launch(resource, person);
      CHECK(v.at("entitled").as_bool() == got.has_value());
      if (got) {
        ++entitled;
        CHECK(released(v) == *got);
        CHECK(v.at("withheld").as_array().size() > 0);  // the catalogue has more than any contract
        // The profile's view: the same attributes, unless the directory holds no value for this
        // person (withheld as no_value in the person's view).
        const Response p = w.explain({{"resource", resource},
                                      {"profile", std::string(v.at("profile").as_string())}});
        REQUIRE(p.status == 200);
        std::set<std::string> by_profile = released(boost::json::parse(p.body));
        for (const auto& wh : v.at("withheld").as_array()) {
          if (wh.at("rule") == "no_value") {
            by_profile.erase(std::string(wh.at("attribute").as_string()));
          }
        }
        CHECK(by_profile == *got);
      } else {
        ++refused;
        CHECK(released(v).empty());
        CHECK(v.at("refusal").as_string().size() > 0);
      }
      // Never a value: no name, no pseudonym of the person.
      CHECK(e.body.find("k1-") == std::string::npos);
    }
  }
  CHECK(entitled >= 5);
  CHECK(refused >= 5);
}

TEST_CASE("Explain names the rule behind each attribute left out", "[broker][admin][explain]") {
  World w;
  w.signIn();
  const Response r = w.explain({{"resource", store::demo::kResourceB}, {"profile", "National_elv"}});
  REQUIRE(r.status == 200);
  const auto v = boost::json::parse(r.body);
  CHECK(released(v) == std::set<std::string>{"IDO", "PRO"});
  CHECK(v.at("contract_status") == "approved");
  std::map<std::string, std::string> rules;
  for (const auto& wh : v.at("withheld").as_array()) {
    rules[std::string(wh.at("attribute").as_string())] = std::string(wh.at("rule").as_string());
  }
  CHECK(rules.at("NOM") == "not_declared");
  for (const auto& r2 : v.at("released").as_array()) {
    CHECK(r2.at("justification").as_string().size() > 0);
  }
  // A person of no such ENT, an unknown resource: said, not guessed.
  const Response nobody = w.explain(
      {{"resource", store::demo::kResourceB}, {"ent", "ENTTEST1"}, {"person", "elv-9999"},
       {"uai", "0561534N"}});
  REQUIRE(nobody.status == 200);
  CHECK(boost::json::parse(nobody.body).at("refusal") == "unknown_user");
  CHECK(w.explain({{"resource", "ark:/0/none"}, {"profile", "National_elv"}}).status == 404);
  // Bad parameters.
  CHECK(w.explain({{"resource", store::demo::kResourceB}}).status == 400);
  CHECK(w.explain({{"resource", store::demo::kResourceB}, {"profile", "National_xyz"}}).status ==
        400);
  CHECK(w.explain({{"resource", store::demo::kResourceB}, {"profile", "National_elv"},
                   {"person", "elv-0001"}})
            .status == 400);
  CHECK(w.explain({{"resource", store::demo::kResourceB}, {"who", "x"}}).status == 400);
}

TEST_CASE("Explain is for ministry sessions only", "[broker][admin][explain][security]") {
  World w;
  CHECK(w.explain({{"resource", store::demo::kResourceB}, {"profile", "National_elv"}}).status ==
        403);
}
