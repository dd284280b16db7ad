#include "broker/router.h"

#include <catch2/catch.hpp>
#include <stdexcept>

#include "broker/metrics.h"
#include "broker/request.h"
#include "support/log_capture.h"

using garde::broker::CallerAuth;
using garde::broker::Metrics;
using garde::broker::Request;
using garde::broker::Response;
using garde::broker::Router;

namespace {

Request makeRequest(std::string method, std::string path) {
  Request r;
  r.method = std::move(method);
  r.path = path;
  r.target = std::move(path);
  return r;
}

Response echoRoute(const Request& req) {
  std::string body = req.route;
  for (const auto& [k, v] : req.path_params) {
    body += " " + k + "=" + v;
  }
  return Response::text(200, body);
}

}  // namespace

TEST_CASE("Router matches literal and {param} segments", "[broker][router]") {
  Router router;
  router.get("/launch/{resourceId}", CallerAuth::kNone, echoRoute);
  router.get("/ressources/{idENT}/{UAI}/{id}", CallerAuth::kNone, echoRoute);
  router.get("/saml/idp/metadata", CallerAuth::kNone, echoRoute);
  router.post("/saml/sp/acs", CallerAuth::kNone, echoRoute);

  SECTION("a {param} is percent-decoded") {
    Request req = makeRequest("GET", "/launch/ark%3A%2F12345");
    const Response res = router.dispatch(req);
    CHECK(res.status == 200);
    CHECK(res.body == "/launch/{resourceId} resourceId=ark:/12345");
    CHECK(req.route == "/launch/{resourceId}");
    REQUIRE(req.pathParam("resourceId") != nullptr);
    CHECK(*req.pathParam("resourceId") == "ark:/12345");
  }
  SECTION("several params") {
    Request req = makeRequest("GET", "/ressources/ent1/0750001A/r42");
    CHECK(router.dispatch(req).body ==
          "/ressources/{idENT}/{UAI}/{id} UAI=0750001A id=r42 idENT=ent1");
  }
  SECTION("an encoded slash does not split a segment") {
    Request req = makeRequest("GET", "/launch/a%2Fb");
    CHECK(router.dispatch(req).status == 200);
    Request two = makeRequest("GET", "/launch/a/b");
    CHECK(router.dispatch(two).status == 404);
  }
  SECTION("an empty param does not match") {
    Request req = makeRequest("GET", "/launch/");
    CHECK(router.dispatch(req).status == 404);
  }
  SECTION("unknown path is 404 and leaves route empty") {
    Request req = makeRequest("GET", "/nope");
    const Response res = router.dispatch(req);
    CHECK(res.status == 404);
    CHECK(req.route.empty());
  }
  SECTION("known path, wrong method is 405 with Allow") {
    Request req = makeRequest("GET", "/saml/sp/acs");
    const Response res = router.dispatch(req);
    CHECK(res.status == 405);
    REQUIRE(res.header("allow") != nullptr);
    CHECK(*res.header("Allow") == "POST");
  }
  SECTION("HEAD falls back to GET") {
    Request req = makeRequest("HEAD", "/saml/idp/metadata");
    CHECK(router.dispatch(req).status == 200);
  }
  SECTION("a malformed escape in a param is 400") {
    Request req = makeRequest("GET", "/launch/%zz");
    CHECK(router.dispatch(req).status == 400);
  }
}

TEST_CASE("Router prefers literal segments over params", "[broker][router]") {
  Router router;
  router.get("/api/{x}", CallerAuth::kNone, echoRoute);
  router.get("/api/status", CallerAuth::kNone, echoRoute);
  Request req = makeRequest("GET", "/api/status");
  CHECK(router.dispatch(req).body == "/api/status");
  Request other = makeRequest("GET", "/api/other");
  CHECK(router.dispatch(other).body == "/api/{x} x=other");
}

TEST_CASE("Router refuses malformed and duplicate patterns", "[broker][router]") {
  Router router;
  router.get("/a/{id}", CallerAuth::kNone, echoRoute);
  CHECK_THROWS_AS(router.get("/a/{other}", CallerAuth::kNone, echoRoute), std::invalid_argument);
  CHECK_THROWS_AS(router.get("no-slash", CallerAuth::kNone, echoRoute), std::invalid_argument);
  CHECK_THROWS_AS(router.get("/a/{unclosed", CallerAuth::kNone, echoRoute), std::invalid_argument);
  CHECK_THROWS_AS(router.get("/a/x{y}", CallerAuth::kNone, echoRoute), std::invalid_argument);
  CHECK_NOTHROW(router.post("/a/{id}", CallerAuth::kNone, echoRoute));
  CHECK(router.patterns() == std::vector<std::string>{"GET /a/{id}", "POST /a/{id}"});
}

TEST_CASE("Handler exceptions propagate out of the router", "[broker][router]") {
  Router router;
  router.get("/boom", CallerAuth::kNone,
             [](const Request&) -> Response { throw std::runtime_error("boom"); });
  Request req = makeRequest("GET", "/boom");
  CHECK_THROWS_WITH(router.dispatch(req), "boom");
}

TEST_CASE("Operator routes: healthz, readyz, metrics", "[broker][router]") {
  Router router;
  bool ready = false;
  garde::broker::addOperatorRoutes(
      router, [&] { return ready; }, [] { return std::string("m 1\n"); });
  Request health = makeRequest("GET", "/healthz");
  const Response h = router.dispatch(health);
  CHECK(h.status == 200);
  CHECK(h.body == "ok\n");
  Request r1 = makeRequest("GET", "/readyz");
  CHECK(router.dispatch(r1).status == 503);
  ready = true;
  Request r2 = makeRequest("GET", "/readyz");
  CHECK(router.dispatch(r2).status == 200);
  Request m = makeRequest("GET", "/metrics");
  const Response mr = router.dispatch(m);
  CHECK(mr.body == "m 1\n");
  CHECK(mr.header("content-type")->find("version=0.0.4") != std::string::npos);
}

TEST_CASE("Query and form decoding", "[broker][request]") {
  auto p = garde::broker::parseUrlEncoded("SAMLRequest=a%2Bb%3D&RelayState=x+y&flag&=v&a=1&a=2");
  REQUIRE(p.has_value());
  CHECK(p->find("SAMLRequest")->second == "a+b=");
  CHECK(p->find("RelayState")->second == "x y");
  CHECK(p->find("flag")->second.empty());
  CHECK(p->count("a") == 2);
  CHECK(p->begin()->first.empty());  // "=v" keeps an empty name; a flow ignores it
  auto bad = garde::broker::parseUrlEncoded("a=%G1");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code == garde::core::ErrorCode::kBadEncoding);
}

TEST_CASE("Cookie parsing and Set-Cookie formatting", "[broker][request]") {
  std::map<std::string, std::string, std::less<>> cookies;
  CHECK(garde::broker::parseCookieHeader("a=1; b=\"two\";c=3; a=ignored; broken; =x", cookies) ==
        "a");  // the first name seen again
  CHECK(cookies ==
        std::map<std::string, std::string, std::less<>>{{"a", "1"}, {"b", "two"}, {"c", "3"}});

  garde::broker::SetCookie c;
  c.name = "garde_tx";
  c.value = "abc";
  c.max_age = 300;
  c.same_site = garde::broker::SameSite::kNone;
  CHECK(garde::broker::formatSetCookie(c, true) ==
        "garde_tx=abc; Path=/; Max-Age=300; Secure; HttpOnly; SameSite=None");
  c.same_site = garde::broker::SameSite::kLax;
  c.max_age.reset();
  CHECK(garde::broker::formatSetCookie(c, false) == "garde_tx=abc; Path=/; HttpOnly; SameSite=Lax");
}

TEST_CASE("Metrics expose counts by route pattern and status class, histograms and decisions",
          "[broker][metrics]") {
  Metrics m;
  m.observeRequest("/launch/{resourceId}", 302, 0.003);
  m.observeRequest("/launch/{resourceId}", 302, 0.2);
  m.observeRequest("/launch/{resourceId}", 403, 20.0);
  m.observeRequest("", 404, 0.0001);
  m.decision("refused", "not_entitled");
  m.decision("refused", "not_entitled");
  m.decision("released", "ok");
  const std::string text = m.exposition();
  CAPTURE(text);
  CHECK_THAT(text,
             Catch::Contains(
                 "garde_http_requests_total{route=\"/launch/{resourceId}\",code=\"3xx\"} 2\n"));
  CHECK_THAT(text,
             Catch::Contains(
                 "garde_http_requests_total{route=\"/launch/{resourceId}\",code=\"4xx\"} 1\n"));
  CHECK_THAT(text,
             Catch::Contains("garde_http_requests_total{route=\"unmatched\",code=\"4xx\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("garde_http_request_duration_seconds_bucket{route=\"/launch/"
                                   "{resourceId}\",le=\"0.005\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("garde_http_request_duration_seconds_bucket{route=\"/launch/"
                                   "{resourceId}\",le=\"0.25\"} 2\n"));
  CHECK_THAT(text, Catch::Contains("garde_http_request_duration_seconds_bucket{route=\"/launch/"
                                   "{resourceId}\",le=\"10\"} 2\n"));
  CHECK_THAT(text, Catch::Contains("garde_http_request_duration_seconds_bucket{route=\"/launch/"
                                   "{resourceId}\",le=\"+Inf\"} 3\n"));
  CHECK_THAT(text,
             Catch::Contains(
                 "garde_http_request_duration_seconds_count{route=\"/launch/{resourceId}\"} 3\n"));
  CHECK_THAT(text, Catch::Contains(
                       "garde_decisions_total{outcome=\"refused\",reason=\"not_entitled\"} 2\n"));
  CHECK_THAT(text,
             Catch::Contains("garde_decisions_total{outcome=\"released\",reason=\"ok\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("# TYPE garde_http_request_duration_seconds histogram\n"));
}

TEST_CASE("Metrics escape label values", "[broker][metrics]") {
  Metrics m;
  m.decision("a\"b", "c\\d\ne");
  CHECK_THAT(m.exposition(), Catch::Contains("outcome=\"a\\\"b\",reason=\"c\\\\d\\ne\""));
}

TEST_CASE("The router's own refusals get the refusal page and a warn line with their reason",
          "[broker][router][refusal]") {
  garde::test::LogCapture log;
  Router router;
  router.post("/saml/sp/acs", CallerAuth::kNone,
              [](const Request&) { return Response::text(200, "acs"); });
  router.get("/launch/{resourceId}", CallerAuth::kNone,
             [](const Request&) { return Response::text(200, "l"); });
  const auto refused = [&](const char* method, const char* path) {
    Request req = makeRequest(method, path);
    req.request_id = "rid-router-1";
    return router.dispatch(req);
  };
  SECTION("default page") {
    const Response r404 = refused("GET", "/nope");
    CHECK(r404.status == 404);
    CHECK_THAT(*r404.header("Content-Type"), Catch::Contains("text/html"));
    CHECK_THAT(r404.body, Catch::Contains("rid-router-1"));
    CHECK(log.has({"\"warn\"", "request refused", "\"reason\":\"not_found\"", "rid-router-1"}));

    const Response r405 = refused("GET", "/saml/sp/acs");
    CHECK(r405.status == 405);
    CHECK(*r405.header("Allow") == "POST");
    CHECK_THAT(r405.body, Catch::Contains("rid-router-1"));
    CHECK(log.has({"\"warn\"", "\"reason\":\"method_not_allowed\""}));

    const Response r400 = refused("GET", "/launch/a%ZZ");
    CHECK(r400.status == 400);
    CHECK_THAT(*r400.header("Content-Type"), Catch::Contains("text/html"));
    CHECK(log.has({"\"warn\"", "\"reason\":\"malformed_path\""}));
  }
  SECTION("the page given at start-up") {
    router.setRefusalPage([](const Request& req, const garde::broker::http::Refusal& refusal) {
      return Response::html(200, "<p>custom " + refusal.reason + " " + req.request_id + "</p>");
    });
    const Response r = refused("DELETE", "/launch/x");
    CHECK(r.status == 405);  // the router's status, whatever the renderer said
    CHECK(r.body == "<p>custom method_not_allowed rid-router-1</p>");
  }
}

namespace {

using garde::broker::Caller;
using garde::broker::CallerAuthenticators;
using garde::broker::PeerIdentity;

constexpr const char* kRegistered = "ab12";

PeerIdentity certificate(std::string fingerprint) {
  PeerIdentity p;
  p.chain_der = {"leaf DER"};
  p.sha256_fingerprint = std::move(fingerprint);
  p.subject = "CN=partner";
  return p;
}

/// A registry that knows one fingerprint, as the partner "ent-42".
CallerAuthenticators oneRegisteredCertificate() {
  CallerAuthenticators a;
  a.client_certificates = [](const PeerIdentity& p) -> std::optional<Caller> {
    if (p.sha256_fingerprint == kRegistered) {
      return Caller{"ent-42"};
    }
    return std::nullopt;
  };
  return a;
}

}  // namespace

TEST_CASE("A kNone route is called without any caller check", "[broker][router][caller]") {
  Router router;
  int calls = 0;
  router.get("/open", CallerAuth::kNone, [&calls](const Request& req) {
    ++calls;
    CHECK_FALSE(req.caller.has_value());
    return Response::text(200, "ok");
  });
  Request req = makeRequest("GET", "/open");
  CHECK(router.dispatch(req).status == 200);
  CHECK(calls == 1);
}

TEST_CASE("A kClientCertificate route admits only a registered certificate, as whom it is",
          "[broker][router][caller]") {
  int calls = 0;
  std::string seen_caller;
  const auto handler = [&](const Request& req) {
    ++calls;
    REQUIRE(req.caller.has_value());
    seen_caller = req.caller->id;
    return Response::text(200, "ok");
  };

  SECTION("a registered fingerprint: the handler runs with the resolved caller") {
    Router router(oneRegisteredCertificate());
    router.get("/partner", CallerAuth::kClientCertificate, handler);
    Request req = makeRequest("GET", "/partner");
    req.client_cert = certificate(kRegistered);
    CHECK(router.dispatch(req).status == 200);
    CHECK(calls == 1);
    CHECK(seen_caller == "ent-42");
    REQUIRE(req.caller.has_value());
    CHECK(req.caller->id == "ent-42");
  }
  SECTION("no certificate: 403, the handler is never called") {
    Router router(oneRegisteredCertificate());
    router.get("/partner", CallerAuth::kClientCertificate, handler);
    Request req = makeRequest("GET", "/partner");
    CHECK(router.dispatch(req).status == 403);
    CHECK(calls == 0);
    CHECK_FALSE(req.caller.has_value());
  }
  SECTION("a verified certificate that is not registered: 403, the handler is never called") {
    Router router(oneRegisteredCertificate());
    router.post("/partner", CallerAuth::kClientCertificate, handler);
    Request req = makeRequest("POST", "/partner");
    req.client_cert = certificate("cd34");
    CHECK(router.dispatch(req).status == 403);
    CHECK(calls == 0);
    CHECK_FALSE(req.caller.has_value());
  }
  SECTION("no registry configured: every certificate is refused (fail closed)") {
    Router router;
    router.get("/partner", CallerAuth::kClientCertificate, handler);
    Request req = makeRequest("GET", "/partner");
    req.client_cert = certificate(kRegistered);
    CHECK(router.dispatch(req).status == 403);
    CHECK(calls == 0);
  }
  SECTION("a caller set by whoever built the request is not trusted on a kNone route") {
    Router router(oneRegisteredCertificate());
    router.get("/open", CallerAuth::kNone, [&calls](const Request& req) {
      ++calls;
      CHECK_FALSE(req.caller.has_value());
      return Response::text(200, "ok");
    });
    Request req = makeRequest("GET", "/open");
    req.caller = Caller{"forged"};
    CHECK(router.dispatch(req).status == 200);
    CHECK(calls == 1);
  }
  SECTION("HEAD falling back to GET is authenticated like the GET") {
    Router router(oneRegisteredCertificate());
    router.get("/partner", CallerAuth::kClientCertificate, handler);
    Request req = makeRequest("HEAD", "/partner");
    CHECK(router.dispatch(req).status == 403);
    CHECK(calls == 0);
  }
}

TEST_CASE("A kAdminSession route is refused unless the session verifier says yes",
          "[broker][router][caller]") {
  int calls = 0;
  const auto handler = [&calls](const Request& req) {
    ++calls;
    REQUIRE(req.caller.has_value());
    return Response::text(200, req.caller->id);
  };

  SECTION("no verifier (no admin session exists yet): 403, the handler is never called") {
    Router router;
    router.get("/admin", CallerAuth::kAdminSession, handler);
    Request req = makeRequest("GET", "/admin");
    req.client_cert = certificate(kRegistered);  // a certificate is not a session
    CHECK(router.dispatch(req).status == 403);
    CHECK(calls == 0);
  }
  SECTION("a verifier that refuses: 403, the handler is never called") {
    CallerAuthenticators a;
    a.admin_sessions = [](const Request&) -> std::optional<Caller> { return std::nullopt; };
    Router router(a);
    router.get("/admin", CallerAuth::kAdminSession, handler);
    Request req = makeRequest("GET", "/admin");
    CHECK(router.dispatch(req).status == 403);
    CHECK(calls == 0);
  }
  SECTION("a verifier that accepts: the handler runs as the session's operator") {
    CallerAuthenticators a;
    a.admin_sessions = [](const Request& req) -> std::optional<Caller> {
      const std::string* c = req.cookie("admin");
      return c && *c == "valid" ? std::optional<Caller>(Caller{"operator-1"}) : std::nullopt;
    };
    Router router(a);
    router.get("/admin", CallerAuth::kAdminSession, handler);
    Request req = makeRequest("GET", "/admin");
    req.cookies.emplace("admin", "valid");
    const Response res = router.dispatch(req);
    CHECK(res.status == 200);
    CHECK(res.body == "operator-1");
    CHECK(calls == 1);
  }
  SECTION("a registered client certificate does not open an admin route") {
    Router router(oneRegisteredCertificate());
    router.get("/admin", CallerAuth::kAdminSession, handler);
    Request req = makeRequest("GET", "/admin");
    req.client_cert = certificate(kRegistered);
    CHECK(router.dispatch(req).status == 403);
    CHECK(calls == 0);
  }
}

TEST_CASE("Ministry routes admit only the roles they declare", "[broker][router][caller]") {
  using Kind = Caller::Kind;
  int calls = 0;
  CallerAuthenticators a;
  a.admin_sessions = [](const Request& req) -> std::optional<Caller> {
    const std::string* c = req.cookie("as");
    if (c == nullptr) return std::nullopt;
    if (*c == "admin") return Caller{"a", Kind::kMinistryAdmin};
    if (*c == "auditor") return Caller{"b", Kind::kAuditor};
    if (*c == "manager") return Caller{"ENTTEST1 ens-0001", Kind::kAssignmentManager};
    return Caller{"c", Kind::kUnspecified};
  };
  Router router(a);
  const auto handler = [&calls](const Request&) {
    ++calls;
    return Response::text(200, "ok");
  };
  router.get("/govern", CallerAuth::kMinistryAdmin, handler);
  router.get("/read", CallerAuth::kMinistryReader, handler);
  router.get("/any", CallerAuth::kAdminSession, handler);
  const auto status = [&](const char* path, const char* session) {
    Request req = makeRequest("GET", path);
    req.cookies.emplace("as", session);
    return router.dispatch(req).status;
  };
  CHECK(status("/govern", "admin") == 200);
  CHECK(status("/govern", "auditor") == 403);
  CHECK(status("/govern", "manager") == 403);
  CHECK(status("/govern", "other") == 403);
  CHECK(status("/read", "admin") == 200);
  CHECK(status("/read", "auditor") == 200);
  CHECK(status("/read", "manager") == 403);
  CHECK(status("/read", "other") == 403);
  CHECK(status("/any", "manager") == 200);
  CHECK(calls == 4);
}

TEST_CASE("A refused caller gets the refusal page and a warn line with the reason",
          "[broker][router][caller][refusal]") {
  garde::test::LogCapture log;
  Router router(oneRegisteredCertificate());
  router.get("/partner", CallerAuth::kClientCertificate,
             [](const Request&) { return Response::text(200, "ok"); });
  router.get("/admin", CallerAuth::kAdminSession,
             [](const Request&) { return Response::text(200, "ok"); });
  const auto refused = [&](const char* path, std::string fingerprint) {
    Request req = makeRequest("GET", path);
    req.request_id = "rid-caller-1";
    if (!fingerprint.empty()) {
      req.client_cert = certificate(std::move(fingerprint));
    }
    return router.dispatch(req);
  };
  const Response missing = refused("/partner", "");
  CHECK(missing.status == 403);
  CHECK_THAT(*missing.header("Content-Type"), Catch::Contains("text/html"));
  CHECK_THAT(missing.body, Catch::Contains("rid-caller-1"));
  CHECK(log.has({"\"warn\"", "request refused", "\"reason\":\"client_certificate_missing\"",
                 "rid-caller-1"}));
  CHECK(refused("/partner", "ffff").status == 403);
  CHECK(log.has({"\"warn\"", "\"reason\":\"client_certificate_unregistered\""}));
  CHECK(refused("/admin", kRegistered).status == 403);
  CHECK(log.has({"\"warn\"", "\"reason\":\"admin_session_missing\""}));
}
