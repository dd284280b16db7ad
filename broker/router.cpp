#include "broker/router.h"

#include <stdexcept>

#include "core/encoding.h"
#include "core/log.h"

namespace garde::broker {
namespace {

std::vector<std::string_view> splitPath(std::string_view path) {
  std::vector<std::string_view> out;
  // "/" has no segment; "/a/" has "a" and "".
  if (path.size() <= 1) {
    return out;
  }
  path.remove_prefix(1);
  while (true) {
    const std::size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) {
      break;
    }
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool isParam(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void Router::add(std::string_view method, std::string_view pattern, CallerAuth auth,
                 Handler handler) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument("route pattern must start with '/': " + std::string(pattern));
  }
  Route r;
  r.method = std::string(method);
  r.pattern = std::string(pattern);
  for (std::string_view s : splitPath(pattern)) {
    const bool braces = s.find_first_of("{}") != std::string_view::npos;
    if (braces &&
        (!isParam(s) || s.substr(1, s.size() - 2).find_first_of("{}") != std::string_view::npos)) {
      throw std::invalid_argument("malformed {param} in route pattern: " + std::string(pattern));
    }
    r.segments.emplace_back(s);
  }
  for (const Route& existing : routes_) {
    if (existing.method == r.method && existing.segments.size() == r.segments.size()) {
      bool same = true;
      for (std::size_t i = 0; i < r.segments.size() && same; ++i) {
        same = existing.segments[i] == r.segments[i] ||
               (isParam(existing.segments[i]) && isParam(r.segments[i]));
      }
      if (same) {
        throw std::invalid_argument("duplicate route: " + r.method + " " + r.pattern +
                                    " (already " + existing.pattern + ")");
      }
    }
  }
  r.auth = auth;
  r.handler = std::move(handler);
  routes_.push_back(std::move(r));
}

Response Router::refuse(const Request& req, http::Refusal refusal) const {
  core::Logger("broker.router")
      .warn("request refused", {{"request_id", req.request_id},
                                {"status", std::to_string(refusal.status)},
                                {"reason", refusal.reason},
                                {"detail", refusal.detail}});
  Response r = refusal_page_ ? refusal_page_(req, refusal) : http::defaultRefusalPage(req, refusal);
  r.status = refusal.status;
  r.log_fields.emplace_back("reason", refusal.reason);
  return r;
}

Response Router::dispatch(Request& req) const {
  const std::vector<std::string_view> segments = splitPath(req.path);
  const Route* found = nullptr;
  const Route* head_fallback = nullptr;
  std::string allow;
  // Literal segments beat parameters: among matching routes, prefer the one with the most literals.
  int best_literals = -1;
  int best_fallback_literals = -1;
  for (const Route& r : routes_) {
    if (r.segments.size() != segments.size()) {
      continue;
    }
    int literals = 0;
    bool match = true;
    for (std::size_t i = 0; i < segments.size() && match; ++i) {
      if (isParam(r.segments[i])) {
        match = !segments[i].empty();
      } else {
        match = r.segments[i] == segments[i];
        ++literals;
      }
    }
    if (!match) {
      continue;
    }
    if (allow.find(r.method) == std::string::npos) {
      allow += allow.empty() ? r.method : ", " + r.method;
    }
    if (r.method == req.method && literals > best_literals) {
      found = &r;
      best_literals = literals;
    } else if (req.method == "HEAD" && r.method == "GET" && literals > best_fallback_literals) {
      head_fallback = &r;
      best_fallback_literals = literals;
    }
  }
  if (!found) {
    found = head_fallback;
  }
  if (!found) {
    if (allow.empty()) {
      return refuse(req, {404, "not_found", "no route for this path"});
    }
    Response r = refuse(
        req, {405, "method_not_allowed", "the route does not take " + req.method.substr(0, 16)});
    r.setHeader("Allow", allow);
    return r;
  }
  req.path_params.clear();
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& p = found->segments[i];
    if (isParam(p)) {
      auto value = core::urlDecode(segments[i], /*form_mode=*/false);
      if (!value) {
        return refuse(req, {400, "malformed_path", "a malformed %-escape in a path segment"});
      }
      req.path_params.emplace(p.substr(1, p.size() - 2), std::move(value).value());
    }
  }
  req.route = found->pattern;
  req.caller.reset();
  if (auto refused = authenticate(*found, req)) {
    return std::move(refused).value();
  }
  return found->handler(req);
}

std::optional<Response> Router::authenticate(const Route& route, Request& req) const {
  switch (route.auth) {
    case CallerAuth::kNone:
      return std::nullopt;
    case CallerAuth::kClientCertificate: {
      // docs/adr/0012: a missing certificate is a 403 like an unknown one (there is no HTTP
      // challenge that would make a client present one); the log tells the two apart.
      if (!req.client_cert.present()) {
        return refuseCaller(req, nullptr,
                            {403, "client_certificate_missing", "no client certificate presented"});
      }
      std::optional<Caller> caller;
      if (authenticators_.client_certificates) {
        caller = authenticators_.client_certificates(req.client_cert);
      }
      if (!caller) {
        return refuseCaller(req, nullptr,
                            {403, "client_certificate_unregistered",
                             "the client certificate's fingerprint is not registered"});
      }
      req.caller = std::move(caller);
      return std::nullopt;
    }
    case CallerAuth::kAdminSession:
    case CallerAuth::kMinistryAdmin:
    case CallerAuth::kMinistryReader: {
      std::optional<Caller> caller;
      if (authenticators_.admin_sessions) {
        caller = authenticators_.admin_sessions(req);
      }
      if (!caller) {
        return refuseCaller(
            req, nullptr, {403, "admin_session_missing", "no admin session the verifier accepts"});
      }
      const bool admin = caller->kind == Caller::Kind::kMinistryAdmin;
      const bool reader = admin || caller->kind == Caller::Kind::kAuditor;
      if ((route.auth == CallerAuth::kMinistryAdmin && !admin) ||
          (route.auth == CallerAuth::kMinistryReader && !reader)) {
        return refuseCaller(
            req, &*caller,
            {403, "admin_role_refused", "the session's role may not use this route"});
      }
      req.caller = std::move(caller);
      return std::nullopt;
    }
  }
  return refuseCaller(req, nullptr,
                      {403, "unknown_caller_auth", "the route's CallerAuth is not known"});
}

Response Router::refuseCaller(const Request& req, const Caller* caller,
                              http::Refusal refusal) const {
  if (refusal_observer_) {
    refusal_observer_(req, caller, refusal.reason);
  }
  return refuse(req, std::move(refusal));
}

std::vector<std::string> Router::patterns() const {
  std::vector<std::string> out;
  for (const Route& r : routes_) {
    out.push_back(r.method + " " + r.pattern);
  }
  return out;
}

std::vector<Router::RouteInfo> Router::routes() const {
  std::vector<RouteInfo> out;
  out.reserve(routes_.size());
  for (const Route& r : routes_) {
    out.push_back({r.method, r.pattern, r.auth});
  }
  return out;
}

void addHealthRoutes(Router& router, std::function<bool()> ready) {
  router.get("/healthz", CallerAuth::kNone,
             [](const Request&) { return Response::text(200, "ok\n"); });
  router.get("/readyz", CallerAuth::kNone, [ready = std::move(ready)](const Request&) {
    return ready && ready() ? Response::text(200, "ready\n") : Response::text(503, "not ready\n");
  });
}

void addMetricsRoute(Router& router, std::function<std::string()> metrics_text) {
  router.get("/metrics", CallerAuth::kNone,
             [metrics_text = std::move(metrics_text)](const Request&) {
               Response r = Response::text(200, metrics_text ? metrics_text() : std::string());
               r.setHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
               return r;
             });
}

void addOperatorRoutes(Router& router, std::function<bool()> ready,
                       std::function<std::string()> metrics_text) {
  addHealthRoutes(router, std::move(ready));
  addMetricsRoute(router, std::move(metrics_text));
}

}  // namespace garde::broker
