// The local admin accounts' API (broker/api/admin_accounts.h) over the flows world: sign-in with
// the same answer for every wrong case, roles checked by the router, TOTP good once, throttling
// per account and per address, the cap on hashes at once, sign-out with CSRF, the audit trail.

#include <boost/json.hpp>

#include "admin_test_support.h"
#include "broker/api/admin_accounts.h"
#include "core/password.h"
#include "core/totp.h"
#include "store/admin_accounts.h"
#include "store/demo_data.h"
#include "store/assignments.h"
#include "support/flows_world.h"

namespace {

namespace api = garde::broker::api;

constexpr const char* kPassword = "le mot de passe du ministère";
const std::string kSecret = "twenty bytes secret!";

void seedAccounts(store::Db& db) {
  admin_test::addAccount(db, "ministre", store::AdminRole::kMinistryAdmin, kPassword);
  admin_test::addAccount(db, "auditeur", store::AdminRole::kAuditor, kPassword);
  admin_test::addAccount(db, "double", store::AdminRole::kMinistryAdmin, kPassword, kSecret);
  REQUIRE(store::setAssignmentManager(db, store::demo::kEnt, store::demo::kTeacher,
                                      store::demo::kUai, true)
              .has_value());
}

struct World {
  Flows f{{}, 1'000'000, allFlowRoutes(), {}, seedAccounts};

  Response login(const std::string& username, const std::string& password,
                 std::optional<std::string> totp = std::nullopt,
                 const std::string& peer = "127.0.0.1", const char* type = "application/json") {
    boost::json::object body{{"username", username}, {"password", password}};
    if (totp) {
      body["totp"] = *totp;
    }
    Request req;
    req.method = "POST";
    req.target = req.path = "/api/v1/admin/login";
    req.body = boost::json::serialize(body);
    req.headers.emplace("content-type", type);
    req.peer = peer;
    return f.send(std::move(req));
  }

  Response call(const std::string& method, const std::string& target, const std::string& csrf) {
    Request req;
    req.method = method;
    req.target = req.path = target;
    if (!csrf.empty()) {
      req.headers.emplace("x-csrf-token", csrf);
    }
    return f.send(std::move(req));
  }
};

boost::json::object body(const Response& r) { return boost::json::parse(r.body).as_object(); }

}  // namespace

TEST_CASE("A local account signs in and gets a ministry session of its role",
          "[broker][admin][accounts]") {
  World w;
  const Response ok = w.login("ministre", kPassword);
  INFO(ok.body);
  REQUIRE(ok.status == 200);
  CHECK(body(ok).at("role") == "ministry_admin");
  REQUIRE(w.f.jar().count("garde_admin") == 1);
  CHECK(w.f.jar()["garde_admin"].find("ministre") == std::string::npos);  // sealed
  const std::string csrf(body(ok).at("csrf").as_string());

  const Response session = w.call("GET", "/api/v1/admin/session", "");
  REQUIRE(session.status == 200);
  CHECK(body(session).at("username") == "ministre");
  CHECK(body(session).at("csrf").as_string() == csrf);

  // Sign-out is a change: the CSRF token is needed; then the session is gone.
  CHECK(w.call("POST", "/api/v1/admin/logout", "").status == 403);
  CHECK(w.call("POST", "/api/v1/admin/logout", csrf).status == 204);
  CHECK(w.f.jar().count("garde_admin") == 0);
  CHECK(w.call("GET", "/api/v1/admin/session", "").status == 403);

  const auto rows = w.f.auditRows();
  const auto signed_in = std::count_if(rows.begin(), rows.end(), [](const auto& r) {
    return r.kind == "admin" && r.reason == "sign_in" && r.outcome == "done" && r.actor == "ministre";
  });
  const auto signed_out = std::count_if(rows.begin(), rows.end(), [](const auto& r) {
    return r.reason == "sign_out" && r.actor == "ministre";
  });
  CHECK(signed_in == 1);
  CHECK(signed_out == 1);
}

TEST_CASE("Every wrong sign-in gets the same answer; unknown names are not recorded",
          "[broker][admin][accounts][security]") {
  World w;
  const Response wrong = w.login("ministre", "not the password");
  const Response unknown = w.login("personne", kPassword);
  const Response typed = w.login("le mot de passe du ministère", "x");
  for (const Response* r : {&wrong, &unknown, &typed}) {
    CHECK(r->status == 401);
    CHECK(body(*r).at("error") == "wrong username, password or one-time code");
    CHECK(r->cookies.empty());
  }
  for (const auto& r : w.f.auditRows()) {
    CHECK(r.actor.find("personne") == std::string::npos);
    CHECK(r.actor.find("mot de passe") == std::string::npos);
  }
  // Not JSON: refused before anything (a cross-site form cannot sign a browser in).
  CHECK(w.login("ministre", kPassword, std::nullopt, "127.0.0.1", "text/plain").status == 415);
  CHECK(w.login("ministre", kPassword, std::nullopt, "127.0.0.1",
                "application/x-www-form-urlencoded")
            .status == 415);
  CHECK(w.f.jar().count("garde_admin") == 0);
}

TEST_CASE("Malformed sign-in bodies are refused naming the field", "[broker][admin][accounts]") {
  for (const char* bad : {"", "[]", "{\"username\":\"a\"}", "{\"username\":1,\"password\":\"p\"}",
                          "{\"username\":\"a\",\"password\":\"p\",\"role\":\"ministry_admin\"}",
                          "{\"username\":\"a\",\"password\":\"p\",\"totp\":123456}",
                          "{\"username\":\"\",\"password\":\"p\"}"}) {
    INFO(bad);
    CHECK(api::parseLoginRequest(bad).error().code == core::ErrorCode::kBadRequest);
  }
  const auto ok = api::parseLoginRequest(R"({"username":"a","password":"p","totp":"123456"})");
  REQUIRE(ok);
  CHECK(ok->totp == std::optional<std::string>("123456"));
}

TEST_CASE("Roles are the router's: an auditor and an assignment manager stay in their lanes",
          "[broker][admin][accounts][security]") {
  World w;
  REQUIRE(w.login("auditeur", kPassword).status == 200);
  const Response session = w.call("GET", "/api/v1/admin/session", "");
  REQUIRE(session.status == 200);
  CHECK(body(session).at("role") == "auditor");
  // An auditor's session does not open the establishment API (a manager's scope).
  CHECK(w.call("GET", "/api/v1/establishment/session", "").status == 403);

  // An assignment manager signed in through the ENT has no ministry session.
  World m;
  REQUIRE(m.f.entLeg(m.f.get("/admin/login?ent=ENTTEST1"), store::demo::kTeacher).status == 200);
  REQUIRE(m.call("GET", "/api/v1/establishment/session", "").status == 200);
  CHECK(m.call("GET", "/api/v1/admin/session", "").status == 403);
}

TEST_CASE("An account with TOTP needs its code, and each code works once",
          "[broker][admin][accounts][security]") {
  World w;
  const Response asked = w.login("double", kPassword);
  CHECK(asked.status == 401);
  CHECK(body(asked).at("totp_required") == true);
  CHECK(w.f.jar().count("garde_admin") == 0);

  const std::int64_t step = core::totpStep(w.f.clock().now());
  const std::string code = core::totpCode(kSecret, step);
  const std::string wrong = code == "000000" ? "000001" : "000000";
  CHECK(w.login("double", kPassword, wrong).status == 401);
  CHECK(w.login("double", "not the password", code).status == 401);  // the code alone is not enough
  const Response ok = w.login("double", kPassword, code);
  INFO(ok.body);
  REQUIRE(ok.status == 200);
  // The same code again (a replay, or a second node): refused.
  w.f.jar().clear();
  CHECK(w.login("double", kPassword, code).status == 401);
  // The next step's code works.
  w.f.clock().t += core::kTotpStepSeconds;
  CHECK(w.login("double", kPassword, core::totpCode(kSecret, step + 1)).status == 200);
}

TEST_CASE("Wrong passwords are throttled per account, then per address",
          "[broker][admin][accounts][security]") {
  World w;
  for (int i = 0; i < 4; ++i) {
    CHECK(w.login("ministre", "guess " + std::to_string(i)).status == 401);
  }
  const Response locked = w.login("ministre", "guess 4");
  CHECK(locked.status == 429);
  REQUIRE(locked.header("retry-after") != nullptr);
  CHECK(*locked.header("retry-after") == "60");
  // Locked: the right password is not even tried.
  CHECK(w.login("ministre", kPassword).status == 429);
  // From another address too: the account is locked, wherever the guesses come from.
  CHECK(w.login("ministre", kPassword, std::nullopt, "192.0.2.7").status == 429);
  // Another account is not locked.
  CHECK(w.login("auditeur", kPassword, std::nullopt, "192.0.2.7").status == 200);
  // After the lock, the right password works and clears the count.
  w.f.clock().t += 61;
  CHECK(w.login("ministre", kPassword).status == 200);
  CHECK(w.login("ministre", "guess again").status == 401);

  // One address guessing over many names: locked after 20 failures, for every name.
  World a;
  const std::string attacker = "203.0.113.9";
  for (int i = 0; i < 19; ++i) {
    CHECK(a.login("name" + std::to_string(i), "x", std::nullopt, attacker).status == 401);
  }
  CHECK(a.login("name19", "x", std::nullopt, attacker).status == 429);
  CHECK(a.login("ministre", kPassword, std::nullopt, attacker).status == 429);
  CHECK(a.login("ministre", kPassword, std::nullopt, "198.51.100.1").status == 200);
}

TEST_CASE("Sign-ins beyond the hashes allowed at once are told to retry",
          "[broker][admin][accounts]") {
  World w;
  auto& s = w.f.services();
  api::AdminAccountsDeps deps{s.clock, s.db, s.audit, s.admin_sessions};
  deps.max_hashing = 1;
  deps.hashing->store(1);  // one verification running
  Request req;
  req.method = "POST";
  req.target = req.path = "/api/v1/admin/login";
  req.body = R"({"username":"ministre","password":"le mot de passe du ministère"})";
  req.headers.emplace("content-type", "application/json");
  req.peer = "127.0.0.1";
  req.request_id = "corr-busy";
  const Response busy = api::handleAdminLogin(req, deps);
  CHECK(busy.status == 503);
  REQUIRE(busy.header("retry-after") != nullptr);
  deps.hashing->store(0);
  CHECK(api::handleAdminLogin(req, deps).status == 200);
  CHECK(deps.hashing->load() == 0);  // the slot is given back
}
