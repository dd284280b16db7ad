// Usage statistics through the API (broker/api/usage.h) in a flows world: real launches counted
// once aggregated; the ministry's national figures, an establishment manager's own
// establishment only, a publisher's own resources only (by its registered certificate); CSV
// without formulas; bad parameters refused naming them.
#include <boost/json.hpp>

#include <string>

#include "admin_test_support.h"
#include "broker/demo/demo_data.h"
#include "store/assignments.h"
#include "store/audit.h"
#include "store/demo_data.h"
#include "store/usage.h"
#include "support/flows_world.h"

namespace {

namespace json = boost::json;
constexpr const char* kPassword = "mot de passe";

void seed(store::Db& db) {
  admin_test::addAccount(db, "audrey", store::AdminRole::kAuditor, kPassword);
  REQUIRE(store::setAssignmentManager(db, store::demo::kEnt, store::demo::kTeacher,
                                      store::demo::kUai, true)
              .has_value());
  // Launch records of the other establishment and of a resource whose id looks like a formula.
  for (int i = 0; i < 3; ++i) {
    store::AuditRecord r;
    r.at = test::kNow - 3600 * (i + 1);
    r.kind = "launch";
    r.correlation_id = "seed-" + std::to_string(i);
    r.uai = "0999999Z";
    r.profile = "National_elv";
    r.publisher_id = store::demo::kPublisherA;
    r.resource_id = i == 0 ? "=HYPERLINK(\"http://evil.example\")" : store::demo::kResourceA;
    r.outcome = "refused";
    r.reason = "not_subscribed";
    REQUIRE(store::writeAudit(db, r).has_value());
  }
}

struct World {
  Flows f{{}, 1'000'000, allFlowRoutes(), {}, seed};

  std::int64_t total(const Response& r) {
    INFO(r.body.substr(0, 300));
    REQUIRE(r.status == 200);
    std::int64_t n = 0;
    const json::value v = json::parse(r.body);
    for (const auto& row : v.at("launches").as_array()) n += row.at("launches").as_int64();
    return n;
  }

  void aggregate() {
    (void)f.auditRows();  // the sink's batches in the table
    auto lease = f.services().db.acquire();
    REQUIRE(lease.has_value());
    REQUIRE(store::aggregateUsage(lease->db(), f.clock().now()).has_value());
  }

  /// A pupil's launch of resource B, released.
  void launchB() {
    const std::string session = f.jar()["garde_admin"];
    f.jar().erase("garde_admin");
    const Response r =
        f.entLeg(f.get(std::string(kResourceBPath) + kTileQuery), store::demo::kPupil);
    REQUIRE(!hiddenField(r.body, "SAMLResponse").empty());
    if (!session.empty()) f.jar()["garde_admin"] = session;
  }

  Response asPublisher(const core::CertificatePem& cert, const std::string& target) {
    Request req = broker::demo::partnerRequest(cert, "GET", target.substr(0, target.find('?')));
    if (const std::size_t q = target.find('?'); q != std::string::npos) {
      req.target = target;
      req.query = *broker::parseUrlEncoded(target.substr(q + 1));
    }
    const std::string session = f.jar()["garde_admin"];
    f.jar().erase("garde_admin");
    Response r = f.send(std::move(req));
    if (!session.empty()) f.jar()["garde_admin"] = session;
    return r;
  }
};

}  // namespace

TEST_CASE("Usage: real launches counted, nationally and per publisher", "[broker][usage]") {
  World w;
  for (int i = 0; i < 4; ++i) w.launchB();
  w.aggregate();
  admin_test::signIn(w.f, "audrey", kPassword);

  const Response national = admin_test::getWithQuery(w.f, "/api/v1/admin/usage", {});
  CHECK(w.total(national) == 4 + 3);
  const Response released = admin_test::getWithQuery(
      w.f, "/api/v1/admin/usage", {{"outcome", "released"}, {"resource", store::demo::kResourceB}});
  CHECK(w.total(released) == 4);
  const json::value v = json::parse(released.body);
  std::int64_t ido = 0;
  for (const auto& a : v.at("attributes").as_array()) {
    if (a.at("attribute") == "IDO" && a.at("publisher") == store::demo::kPublisherB) {
      ido += a.at("releases").as_int64();
    }
  }
  CHECK(ido == 4);
  CHECK(released.body.find(store::demo::kPupil) == std::string::npos);

  // CSV: a header, a row per aggregate, a formula neutralised.
  const Response csv = admin_test::getWithQuery(w.f, "/api/v1/admin/usage", {{"format", "csv"}});
  REQUIRE(csv.status == 200);
  CHECK(csv.body.rfind("day,publisher,resource,profile,uai,outcome,reason,launches\r\n", 0) == 0);
  CHECK(csv.body.find("\"'=HYPERLINK") != std::string::npos);
  CHECK(csv.body.find(",\"=HYPERLINK") == std::string::npos);
  const Response attr_csv = admin_test::getWithQuery(
      w.f, "/api/v1/admin/usage", {{"format", "csv"}, {"part", "attributes"}});
  CHECK(attr_csv.body.rfind("day,publisher,uai,attribute,releases\r\n", 0) == 0);

  // A publisher gets its own figures, and only those.
  const Response own = w.asPublisher(w.f.demoCallers().publisher_b, "/api/v1/publisher/usage");
  CHECK(w.total(own) == 4);
  const Response a = w.asPublisher(w.f.demoCallers().publisher_a, "/api/v1/publisher/usage");
  CHECK(w.total(a) == 3);
  const Response other = w.asPublisher(
      w.f.demoCallers().publisher_a,
      std::string("/api/v1/publisher/usage?publisher=") + store::demo::kPublisherB);
  CHECK(other.status == 403);
  const Response ent = w.asPublisher(w.f.demoCallers().ent, "/api/v1/publisher/usage");
  CHECK(ent.status == 403);

  // Each national query is an admin action in the trail.
  bool audited = false;
  for (const auto& row : w.f.auditRows()) {
    audited = audited || (row.reason == "usage_query" && row.actor == "audrey");
  }
  CHECK(audited);
}

TEST_CASE("Usage: an establishment's manager sees that establishment only", "[broker][usage]") {
  World w;
  w.launchB();
  w.aggregate();
  const Response start = w.f.get("/admin/login?ent=ENTTEST1");
  REQUIRE(w.f.entLeg(start, store::demo::kTeacher).status == 200);
  const std::string own = std::string("/api/v1/establishment/") + store::demo::kUai + "/usage";
  CHECK(w.total(admin_test::getWithQuery(w.f, own, {})) == 1);
  CHECK(admin_test::getWithQuery(w.f, "/api/v1/establishment/0999999Z/usage", {}).status == 403);
  CHECK(admin_test::getWithQuery(w.f, own, {{"uai", "0999999Z"}}).status == 403);
  // And not the national figures.
  CHECK(admin_test::getWithQuery(w.f, "/api/v1/admin/usage", {}).status == 403);
}

TEST_CASE("Usage: bad parameters are refused naming them", "[broker][usage]") {
  World w;
  admin_test::signIn(w.f, "audrey", kPassword);
  const auto refused = [&](std::vector<std::pair<std::string, std::string>> params,
                           const std::string& named) {
    const Response r = admin_test::getWithQuery(w.f, "/api/v1/admin/usage", params);
    INFO(r.body);
    CHECK(r.status == 400);
    CHECK(r.body.find(named) != std::string::npos);
  };
  refused({{"from", "2026-02-30"}}, "from");
  refused({{"until", "yesterday"}}, "until");
  refused({{"from", "2026-11-10"}, {"until", "2026-11-01"}}, "from");
  refused({{"from", "2025-01-01"}, {"until", "2026-11-01"}}, "366");
  refused({{"outcome", "done"}}, "outcome");
  refused({{"format", "xml"}}, "format");
  refused({{"subject", "x"}}, "unknown parameter");
}
