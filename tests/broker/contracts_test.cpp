// Contract onboarding end to end (broker/api/contracts.h, docs/contracts.md), in a flows world: a
// publisher submits a revision behind its registered client certificate, a ministry admin
// reviews and decides it, and the next launch releases exactly what the contract in force
// declares. Each refusal has its own case: another publisher's contract, an ACS over plain HTTP
// (with every other problem listed in the same answer), an attribute outside the catalogue or not
// for the profile, an auditor deciding, a decision without the CSRF token.

#include <boost/json.hpp>

#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "admin_test_support.h"
#include "broker/demo/demo_data.h"
#include "saml/metadata.h"
#include "store/contract_submissions.h"
#include "store/demo_data.h"
#include "store/publishers.h"
#include "support/credentials.h"
#include "support/flows_world.h"

namespace {

namespace json = boost::json;
constexpr const char* kPassword = "mot de passe";
constexpr const char* kSubmitPath = "/api/v1/publisher/contracts";

void seed(store::Db& db) {
  admin_test::addAccount(db, "alice", store::AdminRole::kMinistryAdmin, kPassword);
  admin_test::addAccount(db, "audrey", store::AdminRole::kAuditor, kPassword);
}

/// Publisher B's SP metadata with its ACS at `acs` and, with `keys`, the test SP's certificate
/// for signing and for encryption.
std::string spMetadata(const char* entity, const char* acs, bool keys = true) {
  return spMetadataXml(entity, acs, keys ? &test::testSpCredential() : nullptr);
}

using Needs = std::vector<std::pair<std::string, std::string>>;

/// Publisher B's contract for its one resource: what pupils need, with justifications.
json::object contractB(const Needs& pupil_needs,
                       const std::string& metadata = spMetadata(kPubBEntity, kPubBAcs)) {
  json::array needs;
  for (const auto& [code, why] : pupil_needs) {
    needs.push_back(json::object{{"attribute", code}, {"justification", why}});
  }
  json::object resource{{"id", store::demo::kResourceB},
                        {"title", "Outil de démonstration B"},
                        {"category", "outil"},
                        {"url", std::string(kPubBBase) + "/resource"},
                        {"launch_mode", "direct"},
                        {"logo", std::string(kPubBBase) + "/logo.png"},
                        {"needs", json::object{{"National_elv", std::move(needs)}}}};
  return json::object{{"publisher", json::object{{"id", store::demo::kPublisherB},
                                                 {"name", "Outils Démo B"}}},
                      {"sp_metadata", metadata},
                      {"resources", json::array{std::move(resource)}}};
}

/// The codes of the problems in an answer, as "field code".
std::set<std::string> problemCodes(const Response& r) {
  std::set<std::string> out;
  const json::value v = json::parse(r.body);
  for (const auto& p : v.at("problems").as_array()) {
    out.insert(std::string(p.at("field").as_string()) + " " + std::string(p.at("code").as_string()));
  }
  return out;
}

/// Whether the answer lists a problem with `code`, whatever its field.
bool hasProblemCode(const Response& r, const std::string& code) {
  for (const auto& fc : problemCodes(r)) {
    if (fc.substr(fc.find(' ') + 1) == code) return true;
  }
  return false;
}

struct World {
  /// `extra` changes the demo database after the accounts are made.
  explicit World(const std::function<void(store::Db&)>& extra = {})
      : f({}, 1'000'000, allFlowRoutes(), {}, [&extra](store::Db& db) {
          seed(db);
          if (extra) extra(db);
        }) {}

  Flows f;
  std::string csrf;

  void signIn(const char* user) { csrf = admin_test::signIn(f, user, kPassword); }

  Response admin(const std::string& method, const std::string& target, std::string body = {},
                 bool with_csrf = true) {
    return admin_test::call(f, csrf, method, target, std::move(body), with_csrf);
  }

  Response decide(std::int64_t id, const std::string& decision, const std::string& reason = "ok",
                  bool with_csrf = true) {
    return admin("POST", "/api/v1/admin/contracts/" + std::to_string(id) + "/" + decision,
                 json::serialize(json::object{{"reason", reason}}), with_csrf);
  }

  /// A call from a publisher presenting `cert` (no admin session goes with it).
  Response asPublisher(const core::CertificatePem& cert, const std::string& method,
                       const std::string& target, std::string body = {}) {
    Request req = broker::demo::partnerRequest(cert, method, target, std::move(body));
    req.headers.emplace("content-type", "application/json");
    const std::string session = f.jar()["garde_admin"];
    f.jar().erase("garde_admin");
    Response r = f.send(std::move(req));
    f.jar()["garde_admin"] = session;
    return r;
  }

  Response submitB(const json::object& contract) {
    return asPublisher(f.demoCallers().publisher_b, "POST", kSubmitPath, json::serialize(contract));
  }

  /// Every stored submission, newest first.
  std::vector<store::ContractSubmission> submissions() {
    auto lease = f.services().db.acquire();
    REQUIRE(lease.has_value());
    auto all = store::listSubmissions(lease->db());
    REQUIRE(all.has_value());
    return std::move(all).value();
  }

  /// The store's changes in force for the next launch (serve's registry thread does this).
  void refresh() {
    auto lease = f.services().db.acquire();
    REQUIRE(lease.has_value());
    REQUIRE(broker::flows::refreshRegistries(f.services(), lease->db()).has_value());
  }

  /// A pupil's launch of resource B up to the page sent to the publisher (or the refusal).
  Response launchB() {
    refresh();
    const std::string session = f.jar()["garde_admin"];
    f.jar().erase("garde_admin");
    Response r = f.entLeg(f.get(std::string(kResourceBPath) + kTileQuery), store::demo::kPupil);
    f.jar()["garde_admin"] = session;
    return r;
  }

  std::set<std::string> releasedToB() {
    return names(f.publisherReceives(launchB(), kPubBEntity, kPubBAcs, std::nullopt).attributes);
  }
};

std::int64_t idOf(const Response& r) { return json::parse(r.body).at("id").as_int64(); }

}  // namespace

TEST_CASE("Contracts: submitted, approved, then released exactly; suspended stops at once",
          "[broker][contracts][governance]") {
  World w;
  CHECK(w.releasedToB() == std::set<std::string>{"IDO", "PRO"});

  // A revision asking for UAI too: stored, nothing released changes while it waits.
  const Response submitted = w.submitB(
      contractB({{"IDO", "user account"}, {"PRO", "pupil view"}, {"UAI", "licence per school"}}));
  INFO(submitted.body);
  REQUIRE(submitted.status == 201);
  const std::int64_t id = idOf(submitted);
  CHECK(json::parse(submitted.body).at("status") == "submitted");
  CHECK(w.releasedToB() == std::set<std::string>{"IDO", "PRO"});

  // The publisher sees its own revision; the ministry sees it with its needs against the policy.
  const Response own = w.asPublisher(w.f.demoCallers().publisher_b, "GET", kSubmitPath);
  REQUIRE(own.status == 200);
  CHECK(json::parse(own.body).at("contracts").as_array().size() == 1);
  const Response other_own = w.asPublisher(w.f.demoCallers().publisher_a, "GET", kSubmitPath);
  REQUIRE(other_own.status == 200);
  CHECK(json::parse(other_own.body).at("contracts").as_array().empty());

  w.signIn("alice");
  const Response shown = w.admin("GET", "/api/v1/admin/contracts/" + std::to_string(id));
  INFO(shown.body);
  REQUIRE(shown.status == 200);
  const json::value show = json::parse(shown.body);
  CHECK(show.at("sp_entity_id") == kPubBEntity);
  CHECK(show.at("resources").as_array().at(0).at("needs").as_array().size() == 3);
  const Response listed = w.admin("GET", "/api/v1/admin/contracts?status=submitted");
  REQUIRE(listed.status == 200);
  CHECK(json::parse(listed.body).at("contracts").as_array().size() == 1);

  // Approved: the next launch releases exactly what it declares, encrypted to its new key.
  const Response approved = w.decide(id, "approve", "justified needs");
  INFO(approved.body);
  REQUIRE(approved.status == 200);
  CHECK(json::parse(approved.body).at("status") == "approved");
  const Received received =
      w.f.publisherReceives(w.launchB(), kPubBEntity, kPubBAcs, std::nullopt);
  CHECK(names(received.attributes) == std::set<std::string>{"IDO", "PRO", "UAI"});
  CHECK(received.response.assertion_encrypted);

  // Suspended: nothing is released from the next launch on.
  REQUIRE(w.decide(id, "suspend", "complaint under review").status == 200);
  const Response refused = w.launchB();
  INFO(refused.body);
  CHECK(hiddenField(refused.body, "SAMLResponse").empty());
  CHECK(refused.status >= 400);

  // A revision cannot be approved over a suspension; reinstated, releases start again.
  const Response revision = w.submitB(contractB({{"IDO", "user account"}}));
  REQUIRE(revision.status == 201);
  CHECK(w.decide(idOf(revision), "approve").status == 409);
  REQUIRE(w.decide(id, "reinstate", "complaint closed").status == 200);
  CHECK(w.releasedToB() == std::set<std::string>{"IDO", "PRO", "UAI"});

  // That revision, approved now, narrows the release; the former one is superseded.
  REQUIRE(w.decide(idOf(revision), "approve", "narrower").status == 200);
  CHECK(w.releasedToB() == std::set<std::string>{"IDO"});
  const Response former = w.admin("GET", "/api/v1/admin/contracts/" + std::to_string(id));
  CHECK(json::parse(former.body).at("status") == "superseded");

  // Every decision is in the audit trail, under the admin's name.
  const auto rows = w.f.auditRows();
  std::set<std::string> actions;
  for (const auto& row : rows) {
    if (row.actor == "alice") actions.insert(row.reason.substr(0, row.reason.find(':')));
  }
  CHECK(actions.count("contract_approve") == 1);
  CHECK(actions.count("contract_suspend") == 1);
  CHECK(actions.count("contract_reinstate") == 1);
}

TEST_CASE("Contracts: a publisher without an approved contract is refused until its approval",
          "[broker][contracts][governance]") {
  // Publisher B's contract only submitted, as for a publisher onboarding.
  World w([](store::Db& db) {
    auto c = store::findContract(db, store::demo::kResourceB);
    REQUIRE(c.has_value());
    c->status = policy::ContractStatus::kSubmitted;
    REQUIRE(store::saveContract(db, *c, "test", "onboarding", test::kNow).has_value());
  });
  const Response before = w.launchB();
  CHECK(hiddenField(before.body, "SAMLResponse").empty());
  CHECK(before.status >= 400);
  const Response submitted = w.submitB(
      contractB({{"IDO", "user account"}, {"UAI", "licence per school"}}));
  INFO(submitted.body);
  REQUIRE(submitted.status == 201);
  const Response waiting = w.launchB();
  CHECK(hiddenField(waiting.body, "SAMLResponse").empty());
  w.signIn("alice");
  // The preview names what would start flowing to pupils.
  const Response preview =
      w.admin("GET", "/api/v1/admin/contracts/" + std::to_string(idOf(submitted)) + "/preview");
  INFO(preview.body);
  REQUIRE(preview.status == 200);
  const json::value impacts = json::parse(preview.body);
  bool pupils = false;
  for (const auto& i : impacts.at("impacts").as_array()) {
    if (i.at("resource") == store::demo::kResourceB && i.at("profile") == "National_elv") {
      pupils = true;
      CHECK(i.at("start_flowing").as_array().size() == 2);
      CHECK(i.at("people").as_int64() > 0);
      CHECK(i.at("establishments_total").as_int64() > 0);
    }
  }
  CHECK(pupils);
  REQUIRE(w.decide(idOf(submitted), "approve").status == 200);
  CHECK(w.releasedToB() == std::set<std::string>{"IDO", "UAI"});
}

TEST_CASE("Contracts: a revision waiting for review leaves the one in force releasing",
          "[broker][contracts][governance]") {
  World w;
  const Response first = w.submitB(contractB({{"IDO", "user account"}, {"PRO", "pupil view"}}));
  REQUIRE(first.status == 201);
  w.signIn("alice");
  REQUIRE(w.decide(idOf(first), "approve").status == 200);
  const Response wider = w.submitB(contractB(
      {{"IDO", "user account"}, {"PRO", "pupil view"}, {"UAI", "licence per school"}}));
  REQUIRE(wider.status == 201);
  CHECK(w.releasedToB() == std::set<std::string>{"IDO", "PRO"});
  // Rejected with a reason: still the approved one.
  CHECK(w.decide(idOf(wider), "reject", "").status == 400);
  REQUIRE(w.decide(idOf(wider), "reject", "UAI is not needed for this tool").status == 200);
  CHECK(w.releasedToB() == std::set<std::string>{"IDO", "PRO"});
  CHECK(w.decide(idOf(wider), "approve").status == 409);
}

TEST_CASE("Contracts: a publisher cannot submit another publisher's contract",
          "[broker][contracts][security]") {
  World w;
  const Response r = w.asPublisher(w.f.demoCallers().publisher_a, "POST", kSubmitPath,
                                   json::serialize(contractB({{"IDO", "user account"}})));
  CHECK(r.status == 403);
  // Nor submit without a registered certificate, nor as an ENT.
  Request anonymous;
  anonymous.method = "POST";
  anonymous.target = anonymous.path = kSubmitPath;
  anonymous.body = json::serialize(contractB({{"IDO", "user account"}}));
  CHECK(w.f.send(std::move(anonymous)).status == 403);
  CHECK(w.asPublisher(w.f.demoCallers().ent, "POST", kSubmitPath,
                      json::serialize(contractB({{"IDO", "user account"}})))
            .status == 403);
  CHECK(w.submissions().empty());
}

TEST_CASE("Contracts: an ACS over plain HTTP is refused, with every other problem listed",
          "[broker][contracts][security]") {
  World w;
  json::object c = contractB({{"IDO", "user account"}, {"PRO", ""}},
                             spMetadata(kPubBEntity, "http://edition-b.test/acs", false));
  c["resources"].as_array()[0].as_object()["url"] = "http://edition-b.test/resource";
  const Response r = w.submitB(c);
  INFO(r.body);
  REQUIRE(r.status == 422);
  const auto codes = problemCodes(r);
  CHECK(codes.count("resources[0].url not_https") == 1);
  CHECK(codes.count("resources[0].needs.National_elv[1].justification need_without_justification") ==
        1);
  // The metadata problems come with the document's once the document reads.
  c["resources"].as_array()[0].as_object()["url"] = std::string(kPubBBase) + "/resource";
  c["resources"].as_array()[0].as_object()["needs"] =
      json::object{{"National_elv", json::array{json::object{{"attribute", "IDO"},
                                                             {"justification", "account"}}}}};
  const Response md = w.submitB(c);
  INFO(md.body);
  REQUIRE(md.status == 422);
  const auto md_codes = problemCodes(md);
  CHECK(md_codes.count("sp_metadata acs_not_https") == 1);
  CHECK(md_codes.count("sp_metadata no_signing_key") == 1);
  CHECK(md_codes.count("sp_metadata no_encryption_key") == 1);
  CHECK(w.submissions().empty());
}

TEST_CASE("Contracts: an attribute outside the catalogue, or not for the profile, is refused",
          "[broker][contracts][governance]") {
  World w;
  const Response unknown = w.submitB(contractB({{"IDO", "user account"}, {"SHOE_SIZE", "fit"}}));
  INFO(unknown.body);
  REQUIRE(unknown.status == 422);
  CHECK(hasProblemCode(unknown, "attribute_not_in_catalogue"));
  // E_MEF is in the catalogue for pupils only: a teacher's need for it is refused.
  json::object c = contractB({{"IDO", "user account"}});
  c["resources"].as_array()[0].as_object()["needs"].as_object()["National_ens"] =
      json::array{json::object{{"attribute", "E_MEF"}, {"justification", "level"}}};
  const Response wrong_profile = w.submitB(c);
  INFO(wrong_profile.body);
  REQUIRE(wrong_profile.status == 422);
  CHECK(hasProblemCode(wrong_profile, "attribute_not_for_profile"));
}

TEST_CASE("Contracts: a need above the ceiling is flagged for the reviewer, not released",
          "[broker][contracts][governance]") {
  World w;
  // CIV is in the catalogue for every profile, but pupils' ceiling leaves it out: the contract
  // may ask, the reviewer sees the flag, and the ceiling still holds at the launch.
  const Response r = w.submitB(contractB({{"IDO", "user account"}, {"CIV", "greeting"}}));
  INFO(r.body);
  REQUIRE(r.status == 201);
  bool flagged = false;
  const json::value answer = json::parse(r.body);
  for (const auto& f : answer.at("flags").as_array()) {
    flagged = flagged || (f.at("code") == "above_ceiling" &&
                          std::string(f.at("field").as_string()).find("National_elv") !=
                              std::string::npos);
  }
  CHECK(flagged);
  w.signIn("alice");
  REQUIRE(w.decide(idOf(r), "approve").status == 200);
  CHECK(w.releasedToB() == std::set<std::string>{"IDO"});
}

TEST_CASE("Contracts: auditors read, only ministry admins decide, and only with the CSRF token",
          "[broker][contracts][security]") {
  World w;
  const Response r = w.submitB(contractB({{"IDO", "user account"}, {"PRO", "pupil view"}}));
  REQUIRE(r.status == 201);
  const std::int64_t id = idOf(r);
  w.signIn("audrey");
  CHECK(w.admin("GET", "/api/v1/admin/contracts").status == 200);
  CHECK(w.admin("GET", "/api/v1/admin/contracts/" + std::to_string(id)).status == 200);
  CHECK(w.decide(id, "approve").status == 403);
  CHECK(w.decide(id, "reject", "no").status == 403);
  w.signIn("alice");
  CHECK(w.decide(id, "approve", "ok", false).status == 403);
  CHECK(w.decide(id + 1000, "approve").status == 404);
  // A publisher's certificate does not reach the ministry's side.
  CHECK(w.asPublisher(w.f.demoCallers().publisher_b, "POST",
                      "/api/v1/admin/contracts/" + std::to_string(id) + "/approve",
                      R"({"reason":"self"})")
            .status == 403);
  const auto stored = w.submissions();
  REQUIRE(stored.size() == 1);
  CHECK(stored.front().id == id);
  CHECK(stored.front().status == store::SubmissionStatus::kSubmitted);
}
