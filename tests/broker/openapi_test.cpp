// docs/openapi.json held to the router that `garde serve` mounts (broker::mountRoutes on the demo
// config): every route under /api/ is documented with the caller its CallerAuth accepts and the
// security that says so, every documented operation is served (the router routes it: no 404 or
// 405), and the document itself is sound (unique operation ids, declared path parameters, a 2xx
// answer each, every $ref resolved).
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "broker/commands/serve.h"
#include "broker/flows/services.h"
#include "broker/metrics.h"
#include "broker/router.h"
#include "config/config.h"
#include "core/file.h"
#include "core/log.h"
#include "core/random.h"
#include "store/db.h"
#include "store/migrations.h"
#include "support/credentials.h"
#include "support/temp_dir.h"

using namespace garde;
namespace json = boost::json;

namespace {

const char* callerName(broker::CallerAuth auth) {
  switch (auth) {
    case broker::CallerAuth::kNone: return "none";
    case broker::CallerAuth::kClientCertificate: return "client-certificate";
    case broker::CallerAuth::kAdminSession: return "admin-session";
    case broker::CallerAuth::kMinistryAdmin: return "ministry-admin";
    case broker::CallerAuth::kMinistryReader: return "ministry-reader";
  }
  return "?";
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

json::value loadSpec() {
  const std::filesystem::path file = std::filesystem::path(GARDE_SOURCE_DIR) / "docs/openapi.json";
  auto text = core::readFile(file.string());
  REQUIRE(text.has_value());
  return json::parse(*text);
}

/// The object a "#/a/b/c" reference names, or nullptr.
const json::value* resolve(const json::value& spec, std::string_view ref) {
  if (!ref.starts_with("#/")) return nullptr;
  const json::value* at = &spec;
  std::string_view rest = ref.substr(2);
  while (!rest.empty()) {
    const auto slash = rest.find('/');
    const std::string key(rest.substr(0, slash));
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (!at->is_object() || !at->as_object().contains(key)) return nullptr;
    at = &at->as_object().at(key);
  }
  return at;
}

/// Every "$ref" under `v` that does not resolve.
void unresolved(const json::value& spec, const json::value& v, std::set<std::string>& out) {
  if (v.is_object()) {
    for (const auto& [k, child] : v.as_object()) {
      if (k == "$ref" && child.is_string() && resolve(spec, child.as_string()) == nullptr) {
        out.insert(std::string(child.as_string()));
      }
      unresolved(spec, child, out);
    }
  } else if (v.is_array()) {
    for (const auto& child : v.as_array()) unresolved(spec, child, out);
  }
}

/// The names of the security schemes an operation requires (its only requirement object).
std::set<std::string> securityOf(const json::object& op) {
  std::set<std::string> out;
  for (const auto& requirement : op.at("security").as_array()) {
    for (const auto& [scheme, scopes] : requirement.as_object()) out.insert(std::string(scheme));
  }
  return out;
}

struct Served {
  test::TempDir dir{"garde-openapi"};
  config::Config cfg = config::demoConfig(dir.path() / "demo", 8443);
  broker::Metrics metrics;
  core::SystemClock clock;
  std::unique_ptr<broker::Services> services;
  broker::Router router;

  Served() {
    core::setLogLevel(core::LogLevel::kError);
    broker::commands::prepareDemoFiles(cfg);
    auto db = store::Db::open(cfg.store.database);
    REQUIRE(db.has_value());
    REQUIRE(store::migrate(*db).has_value());
    services.reset(new broker::Services{cfg, metrics, clock, core::systemRandom(),
                                        test::makeCredential("garde openapi test"),
                                        std::string(32, 'k')});
    services->flows = broker::flows::makeFlowServices(cfg, metrics, clock, services->random,
                                                      services->signing, services->state_key);
    broker::mountRoutes(router, *services, cfg.metrics);
  }
};

}  // namespace

TEST_CASE("docs/openapi.json documents exactly the /api/ routes garde serves, with their callers",
          "[broker][openapi][docs]") {
  const json::value spec = loadSpec();
  Served served;

  std::map<std::string, std::string> routed;  // "METHOD /pattern" -> caller
  for (const auto& r : served.router.routes()) {
    if (r.pattern.starts_with("/api/")) {
      routed.emplace(r.method + " " + r.pattern, callerName(r.auth));
    }
  }
  REQUIRE(routed.size() > 30);

  std::map<std::string, std::string> documented;
  for (const auto& [path, item] : spec.at("paths").as_object()) {
    for (const auto& [method, op] : item.as_object()) {
      documented.emplace(upper(std::string(method)) + " " + std::string(path),
                         std::string(op.at("x-garde-caller").as_string()));
    }
  }
  for (const auto& [route, caller] : routed) {
    INFO(route);
    REQUIRE(documented.count(route) == 1);  // every route documented
    CHECK(documented.at(route) == caller);  // with the caller the router accepts
  }
  for (const auto& [route, caller] : documented) {
    INFO(route);
    CHECK(routed.count(route) == 1);  // every documented route served
  }
}

TEST_CASE("Every documented operation reaches its route", "[broker][openapi][docs]") {
  const json::value spec = loadSpec();
  Served served;
  for (const auto& [path, item] : spec.at("paths").as_object()) {
    for (const auto& [method, op] : item.as_object()) {
      // The path with each {param} filled in.
      std::string target;
      std::string_view rest = path;
      while (!rest.empty()) {
        const auto open = rest.find('{');
        if (open == std::string_view::npos) {
          target += rest;
          break;
        }
        target += rest.substr(0, open);
        target += "1";
        rest = rest.substr(rest.find('}', open) + 1);
      }
      broker::Request req;
      req.method = upper(std::string(method));
      req.target = target;
      req.path = target;
      req.request_id = "openapi-test";
      const broker::Response r = served.router.dispatch(req);
      INFO(req.method << " " << target << " -> " << r.status << " " << r.body.substr(0, 200));
      CHECK(r.status != 404);
      CHECK(r.status != 405);
      CHECK(req.route == std::string(path));
      // Without credentials, an authenticated route refuses before its handler: in JSON.
      if (op.at("x-garde-caller") != "none") {
        CHECK(r.status == 403);
        const std::string* type = r.header("Content-Type");
        CHECK((type != nullptr && type->starts_with("application/json")));
      }
    }
  }
}

TEST_CASE("docs/openapi.json is a sound OpenAPI 3.1 document", "[broker][openapi][docs]") {
  const json::value spec = loadSpec();
  CHECK(std::string(spec.at("openapi").as_string()).starts_with("3.1"));
  CHECK(spec.at("info").as_object().contains("title"));
  std::set<std::string> missing;
  unresolved(spec, spec, missing);
  CHECK(missing.empty());

  std::set<std::string> ids;
  for (const auto& [path, item] : spec.at("paths").as_object()) {
    std::set<std::string> templated;
    for (std::size_t at = path.find('{'); at != std::string::npos; at = path.find('{', at + 1)) {
      templated.insert(std::string(path.substr(at + 1, path.find('}', at) - at - 1)));
    }
    for (const auto& [method, op_value] : item.as_object()) {
      const json::object& op = op_value.as_object();
      const std::string id(op.at("operationId").as_string());
      INFO(method << " " << path << " (" << id << ")");
      CHECK(ids.insert(id).second);
      CHECK_FALSE(op.at("summary").as_string().empty());

      std::set<std::string> declared;
      if (const auto* params = op.if_contains("parameters")) {
        for (const auto& p : params->as_array()) {
          const json::value* param = &p;
          if (const auto* ref = p.as_object().if_contains("$ref")) {
            param = resolve(spec, ref->as_string());
          }
          REQUIRE(param != nullptr);
          if (param->at("in") == "path") {
            CHECK(param->at("required") == true);
            declared.insert(std::string(param->at("name").as_string()));
          }
        }
      }
      CHECK(declared == templated);

      bool success = false;
      for (const auto& [status, answer] : op.at("responses").as_object()) {
        success = success || status.starts_with("2");
      }
      CHECK(success);

      // The security says what x-garde-caller says: no scheme for none, the certificate for a
      // partner, the session (and the CSRF token on a change) for an admin.
      const std::string caller(op.at("x-garde-caller").as_string());
      const std::set<std::string> security = securityOf(op);
      if (caller == "none") {
        CHECK(security.empty());
      } else if (caller == "client-certificate") {
        CHECK(security == std::set<std::string>{"clientCertificate"});
      } else {
        CHECK((caller == "admin-session" || caller == "ministry-admin" ||
               caller == "ministry-reader"));
        const std::set<std::string> expected =
            method == "get" ? std::set<std::string>{"adminSession"}
                            : std::set<std::string>{"adminSession", "csrfToken"};
        CHECK(security == expected);
      }
      for (const auto& scheme : security) {
        CHECK(resolve(spec, "#/components/securitySchemes/" + scheme) != nullptr);
      }
    }
  }
}
