#pragma once
/// @file Method + path pattern -> Handler. Patterns are literal segments and {param} segments:
/// "/launch/{resourceId}", "/ressources/{idENT}/{UAI}/{id}". No wildcards, no regexes.
///
/// Matching is on raw (still percent-encoded) segments, so "%2F" never splits a segment; each
/// {param} value is then percent-decoded (a malformed escape is a 400). A path that matches no
/// pattern is a 404; one that matches with another method a 405 with Allow. HEAD falls back to GET.
/// Routes are added at start-up; dispatch() is then const and safe from many threads.

#include <string>
#include <string_view>
#include <vector>

#include "broker/http/wire.h"
#include "broker/request.h"

namespace garde::broker {

class Router {
 public:
  /// Adds a route. Throws std::invalid_argument on a malformed pattern (not starting with '/',
  /// empty or unbalanced {}) or on the same method + pattern twice (a programming error at
  /// start-up).
  void add(std::string_view method, std::string_view pattern, Handler handler);
  void get(std::string_view pattern, Handler handler) { add("GET", pattern, std::move(handler)); }
  void post(std::string_view pattern, Handler handler) { add("POST", pattern, std::move(handler)); }

  /// Finds the route, fills `req.route` and `req.path_params` and calls its handler; 404/405/400
  /// otherwise (with `req.route` left empty). Exceptions from the handler propagate (the server
  /// answers 500 once, at the top).
  Response dispatch(Request& req) const;

  /// The patterns registered, in order (for docs and tests).
  std::vector<std::string> patterns() const;

  /// How the router's own refusals (404 not_found, 405 method_not_allowed, 400 malformed_path)
  /// are answered: given the request and the refusal, returns the page (the status and, for 405,
  /// Allow are set on it afterwards). The router logs each at warn with its reason first. Unset:
  /// http::defaultRefusalPage. Set once at start-up, before dispatch() is called.
  void setRefusalPage(http::RefusalRenderer page) { refusal_page_ = std::move(page); }

 private:
  Response refuse(const Request& req, http::Refusal refusal) const;

  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;  ///< "{name}" for parameters
    Handler handler;
  };
  std::vector<Route> routes_;
  http::RefusalRenderer refusal_page_;
};

/// The operator endpoints every deployment has: GET /healthz (200 "ok" while the process serves),
/// GET /readyz (200 "ready" when `ready()` says so, else 503), GET /metrics (Prometheus text).
/// `ready` and `metrics_text` are called from I/O threads: they must be thread-safe.
void addOperatorRoutes(Router& router, std::function<bool()> ready,
                       std::function<std::string()> metrics_text);
/// GET /healthz and GET /readyz only (the public listener when metrics are served elsewhere).
void addHealthRoutes(Router& router, std::function<bool()> ready);
/// GET /metrics only (the metrics listener, or the public one with metrics.listener = "public").
void addMetricsRoute(Router& router, std::function<std::string()> metrics_text);

}  // namespace garde::broker
