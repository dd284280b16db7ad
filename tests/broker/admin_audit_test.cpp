// The audit trail's API (broker/api/admin_audit.h) over the flows world: searches with every
// filter, paging, CSV without formulas, the subject-access export finding exactly one person's
// launches, roles, and the retention purge.

#include <boost/json.hpp>

#include <thread>

#include "broker/api/admin_audit.h"
#include "admin_test_support.h"
#include "broker/flows/services.h"
#include "core/password.h"
#include "store/admin_accounts.h"
#include "store/audit.h"
#include "store/demo_data.h"
#include "support/flows_world.h"

namespace {

constexpr const char* kPassword = "le mot de passe de l'auditeur";

void seed(store::Db& db) {
  admin_test::addAccount(db, "auditeur", store::AdminRole::kAuditor, kPassword);
  admin_test::addAccount(db, "ministre", store::AdminRole::kMinistryAdmin, kPassword);
}

struct World {
  Flows f{{}, 1'000'000, allFlowRoutes(), {}, seed};

  /// A launch of resource B (direct) by `person`: released for the demo's pupils and teachers.
  void launchB(const char* person) {
    f.jar().erase("garde_admin");
    const Response form = f.entLeg(f.get(std::string(kResourceBPath) + kTileQuery), person);
    REQUIRE(form.status == 200);
  }

  void signIn(const char* user) { admin_test::signIn(f, user, kPassword); }

  Response get(const std::string& target) {
    Request req;
    req.method = "GET";
    req.target = target;
    req.path = target.substr(0, target.find('?'));
    if (const std::size_t q = target.find('?'); q != std::string::npos) {
      req.query = *broker::parseUrlEncoded(target.substr(q + 1));
    }
    return f.send(std::move(req));
  }
};

boost::json::array records(const Response& r) {
  return boost::json::parse(r.body).at("records").as_array();
}

}  // namespace

TEST_CASE("Audit searches through the API: filters, paging, CSV, roles",
          "[broker][admin][audit]") {
  World w;
  w.launchB(store::demo::kPupil);
  w.launchB(store::demo::kPupil);
  w.launchB(store::demo::kTeacher);
  w.f.auditRows();  // flush the writer

  // No session, or an assignment manager's: refused by the router.
  CHECK(w.get("/api/v1/admin/audit").status == 403);

  w.signIn("auditeur");
  const Response all = w.get("/api/v1/admin/audit?kind=launch&publisher=" +
                             std::string(store::demo::kPublisherB));
  INFO(all.body);
  REQUIRE(all.status == 200);
  REQUIRE(records(all).size() == 3);
  for (const auto& r : records(all)) {
    CHECK(r.at("outcome") == "released");
    CHECK(r.at("subject").as_string().size() == 64);
    CHECK(boost::json::serialize(r).find(store::demo::kPupil) == std::string::npos);
  }
  CHECK(boost::json::parse(all.body).at("next_after").is_null());

  const Response pupils = w.get("/api/v1/admin/audit?kind=launch&profile=National_elv");
  CHECK(records(pupils).size() == 2);
  const Response with_ido = w.get("/api/v1/admin/audit?attribute=IDO");
  CHECK(records(with_ido).size() == 3);
  CHECK(records(w.get("/api/v1/admin/audit?attribute=NOM")).empty());

  // Paging: a page of 2, then the rest after the last id.
  const Response first = w.get("/api/v1/admin/audit?kind=launch&limit=2");
  REQUIRE(records(first).size() == 2);
  const std::string after = std::to_string(boost::json::parse(first.body).at("next_after").as_int64());
  CHECK(first.header("x-next-after") != nullptr);
  CHECK(records(w.get("/api/v1/admin/audit?kind=launch&limit=2&after=" + after)).size() == 1);

  // CSV: a header, one line per row.
  const Response csv = w.get("/api/v1/admin/audit?kind=launch&format=csv");
  REQUIRE(csv.status == 200);
  CHECK(csv.header("content-type")->rfind("text/csv", 0) == 0);
  CHECK(csv.body.rfind("at,kind,correlation_id,", 0) == 0);
  CHECK(std::count(csv.body.begin(), csv.body.end(), '\n') == 4);

  // Bad searches name their parameter.
  for (const char* bad : {"?limit=0", "?limit=1001", "?from=yesterday", "?after=-1", "?who=me",
                          "?format=xml", "?publisher="}) {
    INFO(bad);
    CHECK(w.get(std::string("/api/v1/admin/audit") + bad).status == 400);
  }

  // Every search is itself in the trail, with who made it.
  w.f.auditRows();
  store::AuditQuery q;
  q.reason = "audit_query";
  auto lease = w.f.services().db.acquire();
  REQUIRE(lease);
  const auto searches = store::queryAudit(lease->db(), q);
  REQUIRE(searches);
  CHECK(searches->size() >= 6);
  CHECK(searches->front().actor == "auditeur");
}

TEST_CASE("A subject-access export finds exactly that person's launches",
          "[broker][admin][audit]") {
  World w;
  w.launchB(store::demo::kPupil);
  w.launchB(store::demo::kTeacher);
  w.launchB(store::demo::kPupil);
  w.f.auditRows();
  w.signIn("auditeur");
  const Response out = w.get(std::string("/api/v1/admin/audit/subject?ent=") + store::demo::kEnt +
                             "&person=" + store::demo::kPupil);
  INFO(out.body);
  REQUIRE(out.status == 200);
  CHECK(out.header("content-disposition")->find("attachment") != std::string::npos);
  const auto doc = boost::json::parse(out.body).as_object();
  CHECK(doc.at("person") == store::demo::kPupil);
  CHECK(doc.at("generated_by") == "auditeur");
  const auto& rows = doc.at("records").as_array();
  REQUIRE(rows.size() == 2);
  for (const auto& r : rows) {
    CHECK(r.at("profile") == "National_elv");
    CHECK(r.at("publisher") == store::demo::kPublisherB);
  }
  // The teacher's export has the teacher's launch only; an unknown person's is empty.
  const Response teacher = w.get(std::string("/api/v1/admin/audit/subject?ent=") +
                                 store::demo::kEnt + "&person=" + store::demo::kTeacher);
  CHECK(boost::json::parse(teacher.body).at("records").as_array().size() == 1);
  const Response nobody = w.get(std::string("/api/v1/admin/audit/subject?ent=") +
                                store::demo::kEnt + "&person=elv-9999");
  CHECK(boost::json::parse(nobody.body).at("records").as_array().empty());
  // The export is itself about the pupil: the next export shows it.
  w.f.auditRows();
  const Response again = w.get(std::string("/api/v1/admin/audit/subject?ent=") +
                               store::demo::kEnt + "&person=" + store::demo::kPupil);
  const boost::json::value again_doc = boost::json::parse(again.body);
  const auto& later = again_doc.at("records").as_array();
  REQUIRE(later.size() == 3);
  CHECK(later.back().at("reason") == "subject_export");
  CHECK(later.back().at("actor") == "auditeur");
  // Missing or extra parameters.
  CHECK(w.get("/api/v1/admin/audit/subject?ent=ENTTEST1").status == 400);
  CHECK(w.get("/api/v1/admin/audit/subject?ent=ENTTEST1&person=x&uai=y").status == 400);
}

TEST_CASE("Audit rows past their retention are purged by themselves", "[broker][audit]") {
  Flows f({}, 1'000'000, {FlowRoute::kLaunch});
  {
    auto lease = f.services().db.acquire();
    REQUIRE(lease);
    for (const core::UnixTime at : {f.clock().now() - 40 * 86400, f.clock().now() - 86400}) {
      store::AuditRecord r;
      r.at = at;
      r.kind = "admin";
      r.correlation_id = "c";
      r.outcome = "done";
      REQUIRE(store::writeAudit(lease->db(), r).has_value());
    }
  }
  broker::flows::AuditPurger purger(f.clock(), 30, f.services().db.path(), std::chrono::hours(1));
  std::size_t left = 2;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (left != 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    auto lease = f.services().db.acquire();
    REQUIRE(lease);
    left = store::listAudit(lease->db(), 0).value().size();
  }
  CHECK(left == 1);
}

TEST_CASE("CSV cells never start a formula", "[store][audit]") {
  store::AuditRecord r;
  r.kind = "admin";
  r.reason = "=HYPERLINK(\"http://x\")";
  r.actor = "@sum";
  r.resource_id = "a\"b";
  const std::string line = store::auditCsvLine(r);
  CHECK(line.find("\"'=HYPERLINK(\"\"http://x\"\")\"") != std::string::npos);
  CHECK(line.find("\"'@sum\"") != std::string::npos);
  CHECK(line.find("\"a\"\"b\"") != std::string::npos);
  CHECK(line.substr(line.size() - 2) == "\r\n");
}
