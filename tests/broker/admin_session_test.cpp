// The admin session (broker/admin/session.h), the assignment managers' sign-in through their ENT
// (broker/flows/admin_sign_in.h) and the establishment's assignment API
// (broker/api/establishment.h), over the demo world: ens-0001 is made the demo establishment's
// assignment manager.

#include <boost/json.hpp>

#include "broker/admin/session.h"
#include "broker/api/establishment.h"
#include "store/assignments.h"
#include "store/demo_data.h"
#include "store/subscriptions.h"
#include "support/flows_world.h"

namespace {

using garde::broker::Caller;
namespace admin = garde::broker::admin;
namespace api = garde::broker::api;

void teacherManages(store::Db& db) {
  REQUIRE(store::setAssignmentManager(db, store::demo::kEnt, store::demo::kTeacher,
                                      store::demo::kUai, true)
              .has_value());
}

/// A Flows world whose browser signed in as the manager ens-0001 through the ENT.
struct SignedIn {
  Flows f{{}, 1'000'000, allFlowRoutes(), {}, teacherManages};
  std::string csrf;

  SignedIn() {
    const Response start = f.get("/admin/login?ent=ENTTEST1");
    REQUIRE(start.status == 302);
    const Response done = f.entLeg(start, store::demo::kTeacher);
    REQUIRE(done.status == 200);
    REQUIRE(done.body.find("http-equiv=\"refresh\"") != std::string::npos);
    REQUIRE(f.jar().count("garde_admin") == 1);
    const Response session = f.get("/api/v1/establishment/session");
    REQUIRE(session.status == 200);
    csrf = std::string(boost::json::parse(session.body).at("csrf").as_string());
  }

  Response call(const std::string& method, const std::string& target, std::string body = {},
                bool with_csrf = true) {
    Request req;
    req.method = method;
    req.target = target;
    req.path = target.substr(0, target.find('?'));
    if (const std::size_t q = target.find('?'); q != std::string::npos) {
      req.query = *broker::parseUrlEncoded(target.substr(q + 1));
    }
    req.body = std::move(body);
    if (with_csrf) {
      req.headers.emplace("x-csrf-token", csrf);
    }
    return f.send(std::move(req));
  }
};

const std::string kBaseApi = std::string("/api/v1/establishment/") + store::demo::kUai;

}  // namespace

TEST_CASE("An admin session: sealed, Strict, timed out when idle and absolutely, CSRF on changes",
          "[broker][admin][session][security]") {
  FixedClock clock;
  core::TokenSealer sealer(std::string(32, 's'), 1, core::systemRandom());
  admin::AdminSessions sessions(sealer, clock, core::systemRandom(), {600, 3600});
  Request browser;
  browser.method = "GET";
  browser.is_tls = true;
  auto [cookie, opened] =
      sessions.open(browser, Caller{"ENTTEST1 ens-0001", Caller::Kind::kAssignmentManager});
  CHECK(cookie.http_only);
  CHECK(cookie.secure);
  CHECK(cookie.same_site == broker::SameSite::kStrict);
  CHECK(cookie.max_age == 600);
  CHECK(cookie.value.find("ens-0001") == std::string::npos);  // sealed, not readable
  browser.cookies.emplace(std::string(admin::kSessionCookie), cookie.value);

  std::string why;
  auto read = sessions.read(browser, &why);
  REQUIRE(read.has_value());
  CHECK(read->caller.id == "ENTTEST1 ens-0001");
  CHECK(read->caller.kind == Caller::Kind::kAssignmentManager);
  CHECK(read->csrf == opened.csrf);

  SECTION("a change needs the CSRF token, in the header or the form") {
    Request post = browser;
    post.method = "POST";
    CHECK_FALSE(sessions.read(post, &why));
    CHECK(why == "CSRF token missing or wrong");
    post.headers.emplace("x-csrf-token", "not-it");
    CHECK_FALSE(sessions.read(post));
    Request form = browser;
    form.method = "DELETE";
    form.form.emplace("csrf", opened.csrf);
    CHECK(sessions.read(form));
  }
  SECTION("a tampered cookie, or one of another purpose, is no session") {
    Request bad = browser;
    std::string v = cookie.value;
    v[v.size() / 2] = v[v.size() / 2] == 'A' ? 'B' : 'A';
    bad.cookies.clear();
    bad.cookies.emplace(std::string(admin::kSessionCookie), v);
    CHECK_FALSE(sessions.read(bad));
    bad.cookies.clear();
    bad.cookies.emplace(std::string(admin::kSessionCookie), sealer.seal("launch",
                                                                        "manager\x1f"
                                                                        "x\x1f"
                                                                        "0\x1f"
                                                                        "c",
                                                                        test::kNow + 60));
    CHECK_FALSE(sessions.read(bad));
  }
  SECTION("idle: expired after the idle timeout, kept alive by each request") {
    clock.t += 601;
    CHECK_FALSE(sessions.read(browser, &why));
    CHECK(why == "session expired");
  }
  SECTION("refreshing moves the idle deadline, never past the absolute timeout") {
    const broker::Handler refreshed =
        sessions.refreshing([](const Request&) { return Response::text(200, "ok"); });
    Request current = browser;
    for (int i = 0; i < 6; ++i) {
      clock.t += 500;
      const Response r = refreshed(current);
      if (clock.t < test::kNow + 3600) {
        REQUIRE(r.cookies.size() == 1);
        current.cookies.clear();
        current.cookies.emplace(r.cookies[0].name, r.cookies[0].value);
        CHECK(sessions.read(current));
      }
    }
    // 3000 s of activity kept it open; at 3600 s it ends whatever the activity.
    clock.t = test::kNow + 3600;
    CHECK_FALSE(sessions.read(current));
    // The first cookie, never refreshed, died at 600 s.
    CHECK_FALSE(sessions.read(browser));
  }
}

TEST_CASE("An assignment manager signs in through the ENT; others are refused",
          "[broker][admin][flows]") {
  SECTION("the manager") {
    SignedIn s;
    const Response home = s.f.get("/api/v1/session");
    REQUIRE(home.status == 200);
    const auto who = boost::json::parse(home.body);
    CHECK(who.at("kind") == "assignment_manager");
    CHECK(who.at("establishments") == boost::json::array{store::demo::kUai});
    const auto session = boost::json::parse(s.f.get("/api/v1/establishment/session").body);
    CHECK(session.at("manager") == "ENTTEST1 ens-0001");
    CHECK(session.at("establishments").as_array().size() == 1);
    const auto rows = s.f.auditRows();
    REQUIRE_FALSE(rows.empty());
    CHECK(rows.back().kind == "admin");
    CHECK(rows.back().reason == "sign_in");
    CHECK(rows.back().outcome == "done");
    // Sign-out (CSRF in the form) ends it.
    const Response out = s.f.post("/admin/logout", {{"csrf", s.csrf}});
    CHECK(out.status == 200);
    CHECK(s.f.jar().count("garde_admin") == 0);
    CHECK(s.f.get("/api/v1/establishment/session").status == 403);
  }
  SECTION("a person who manages nothing gets a page, no session") {
    Flows f({}, 1'000'000, allFlowRoutes(), {}, teacherManages);
    const Response r = f.entLeg(f.get("/admin/login?ent=ENTTEST1"), store::demo::kPupil);
    CHECK(r.status == 403);
    CHECK(f.jar().count("garde_admin") == 0);
    CHECK(f.get("/api/v1/establishment/session").status == 403);
    CHECK(f.decisions("refused", "not_assignment_manager") == 1);
  }
  SECTION("an unknown ENT") {
    Flows f({}, 1'000'000, allFlowRoutes());
    CHECK(f.get("/admin/login?ent=NOPE").status == 404);
  }
}

TEST_CASE("A manager assigns a subscription to a class, and the pupil's launch follows",
          "[broker][admin][api]") {
  SignedIn s;
  // A new subscription of resource A for pupils, 3 licences, nobody assigned yet.
  {
    auto db = s.f.services().db.acquire();
    REQUIRE(db.has_value());
    store::SubscriptionRecord sub;
    sub.id = "NEW_PUPILS";
    sub.publisher_id = store::demo::kPublisherA;
    sub.resource_id = store::demo::kResourceA;
    sub.valid_from = *policy::Date::parse("2025-09-01");
    sub.valid_until = *policy::Date::parse("2027-08-31");
    sub.uais = {store::demo::kUai};
    sub.audiences = {policy::Audience::kEleve};
    sub.audience_licences = {{policy::Audience::kEleve, 3}};
    REQUIRE(store::createSubscription(db->db(), sub, test::kNow).has_value());
    // The demo's own subscription of A goes, so that NEW_PUPILS alone decides.
    REQUIRE(store::deleteSubscription(db->db(), "DEMO_A_0561534N").has_value());
  }
  const auto launchA = [&](const char* person) {
    s.f.get(std::string(kResourceAPath) + kTileQuery);
    std::string id;
    const Response sso = s.f.get(
        s.f.publisherAuthnRequest(kPubAEntity, kPubAAcs, std::string(kPubABase) + "/resource", id));
    const Response r = s.f.entLeg(sso, person);
    return r.status == 200 && formAction(r.body) == kPubAAcs;
  };
  CHECK_FALSE(launchA(store::demo::kPupil));

  const Response listed = s.call("GET", kBaseApi + "/subscriptions");
  REQUIRE(listed.status == 200);
  CHECK(listed.body.find("\"NEW_PUPILS\"") != std::string::npos);

  // Class 3A has three pupils: exactly the count.
  const Response made = s.call("POST", kBaseApi + "/assignments",
                               R"({"subscription":"NEW_PUPILS","kind":"class","target":"3A"})");
  REQUIRE(made.status == 201);
  const std::int64_t id = boost::json::parse(made.body).at("id").as_int64();
  CHECK(launchA(store::demo::kPupil));
  // No licence left for elv-0003.
  const Response over =
      s.call("POST", kBaseApi + "/assignments",
             R"({"subscription":"NEW_PUPILS","kind":"person","target":"elv-0003"})");
  CHECK(over.status == 409);
  CHECK(over.body.find("ELEVE 4 > 3") != std::string::npos);
  const auto subs = boost::json::parse(s.call("GET", kBaseApi + "/subscriptions").body);
  for (const auto& sub : subs.at("subscriptions").as_array()) {
    if (sub.at("id") == "NEW_PUPILS") {
      CHECK(sub.at("licences").at("used").at("ELEVE") == 3);
      CHECK(sub.at("licences").at("left").at("ELEVE") == 0);
    }
  }
  // Removing the assignment ends the pupil's access at the next launch.
  CHECK(s.call("DELETE", kBaseApi + "/assignments/" + std::to_string(id)).status == 204);
  CHECK_FALSE(launchA(store::demo::kPupil));
  // Both changes, and the refused one, are in the audit trail with the manager as actor.
  int admin_rows = 0;
  for (const auto& row : s.f.auditRows()) {
    if (row.kind == "admin" && row.reason != "sign_in") {
      ++admin_rows;
      CHECK(row.actor == "ENTTEST1 ens-0001");
    }
  }
  CHECK(admin_rows == 3);
}

TEST_CASE("The assignment API refuses what a manager may not do",
          "[broker][admin][api][security]") {
  SignedIn s;
  SECTION("a change without the CSRF token") {
    CHECK(s.call("POST", kBaseApi + "/assignments",
                 R"({"subscription":"DEMO_A_0561534N","kind":"person","target":"elv-0003"})", false)
              .status == 403);
  }
  SECTION("another establishment") {
    CHECK(s.call("GET", "/api/v1/establishment/0999999Z/subscriptions").status == 403);
    CHECK(s.call("POST", "/api/v1/establishment/0999999Z/assignments",
                 R"({"subscription":"DEMO_A_0561534N","kind":"person","target":"elv-0003"})")
              .status == 403);
  }
  SECTION("a manager removed from the directory loses access at once") {
    auto db = s.f.services().db.acquire();
    REQUIRE(store::setAssignmentManager(db->db(), store::demo::kEnt, store::demo::kTeacher,
                                        store::demo::kUai, false)
                .has_value());
    CHECK(s.call("GET", kBaseApi + "/subscriptions").status == 403);
  }
  SECTION("malformed bodies name the field") {
    for (const char* body : {"", "[]", "{", R"({"subscription":"","kind":"person","target":"x"})",
                             R"({"subscription":"S","kind":"nobody","target":"x"})",
                             R"({"subscription":"S","kind":"person"})",
                             R"({"subscription":"S","kind":"establishment","target":"x"})",
                             R"({"subscription":"S","kind":"person","target":"x","extra":1})"}) {
      INFO(body);
      const Response r = s.call("POST", kBaseApi + "/assignments", body);
      CHECK(r.status == 400);
    }
  }
  SECTION("an ETABL subscription takes no assignment; an unknown target is 404") {
    CHECK(s.call("POST", kBaseApi + "/assignments",
                 R"({"subscription":"DEMO_B_0561534N","kind":"person","target":"elv-0003"})")
              .status == 409);
    CHECK(s.call("POST", kBaseApi + "/assignments",
                 R"({"subscription":"DEMO_A_0561534N","kind":"person","target":"elv-9999"})")
              .status == 404);
  }
  SECTION("the directory search stays in the establishment") {
    const Response r = s.call("GET", kBaseApi + "/directory?q=Mart");
    REQUIRE(r.status == 200);
    CHECK(r.body.find("elv-0001") != std::string::npos);
  }
  SECTION("no session at all") {
    s.f.jar().erase("garde_admin");
    CHECK(s.call("GET", kBaseApi + "/subscriptions").status == 403);
  }
}

TEST_CASE("parseAssignmentRequest", "[broker][admin][api]") {
  auto ok = api::parseAssignmentRequest(R"({"subscription":"S1","kind":"group","target":"LATIN"})");
  REQUIRE(ok.has_value());
  CHECK(ok->kind == policy::AssignmentTargetKind::kGroup);
  CHECK(ok->target == "LATIN");
  auto whole = api::parseAssignmentRequest(R"({"subscription":"S1","kind":"establishment"})");
  REQUIRE(whole.has_value());
  CHECK(whole->target.empty());
  CHECK_FALSE(api::parseAssignmentRequest(R"({"subscription":"S1","kind":"person","target":)"
                                          R"("0123456789012345678901234567890123456789012345678)"
                                          R"(901234567890123456789"})"));
  CHECK_FALSE(api::parseAssignmentRequest(R"([[[[[[[[[[]]]]]]]]]])"));
}
