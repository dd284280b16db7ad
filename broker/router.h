#pragma once
/// @file Method + path pattern -> Handler. Patterns are literal segments and {param} segments:
/// "/launch/{resourceId}", "/ressources/{idENT}/{UAI}/{id}". No wildcards, no regexes.
///
/// Matching is on raw (still percent-encoded) segments, so "%2F" never splits a segment; each
/// {param} value is then percent-decoded (a malformed escape is a 400). A path that matches no
/// pattern is a 404; one that matches with another method a 405 with Allow. HEAD falls back to GET.
/// Routes are added at start-up; dispatch() is then const and safe from many threads.
///
/// Each route declares how its caller is authenticated (CallerAuth), and the router enforces it
/// before the handler runs: no handler checks a certificate or a session by hand
/// (docs/adr/0012-caller-authentication-in-the-router.md).

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/http/wire.h"
#include "broker/request.h"

namespace garde::broker {

/// How the caller of a route is authenticated, checked by Router::dispatch before the handler.
enum class CallerAuth {
  kNone,               ///< anyone (browsers, peers whose messages the handler verifies itself)
  kClientCertificate,  ///< a TLS client certificate whose fingerprint is registered
  kAdminSession,       ///< any admin session (an assignment manager's, a local account's)
  kMinistryAdmin,      ///< the admin session of a ministry admin's local account
  kMinistryReader,     ///< the admin session of a ministry admin or of an auditor (read-only routes)
};

/// "Is this certificate registered, and as whom": the caller the verified client certificate
/// (its SHA-256 fingerprint) is registered as, or nullopt when it is not. Called from the I/O
/// threads: must be thread-safe.
using ClientCertificateRegistry = std::function<std::optional<Caller>(const PeerIdentity&)>;
/// Whose valid admin session the request carries, or nullopt. Called from the I/O threads.
using AdminSessionVerifier = std::function<std::optional<Caller>(const Request&)>;

/// Told of each caller the router refuses on a route that needs one, before any handler runs: the
/// request (its route matched: `req.route` is set), the caller the session named when only its role
/// was refused (else nullptr) and the refusal's reason code. Called from the I/O threads: must be
/// thread-safe. The audit trail hears of refused admin actions this way (docs/audit.md).
using CallerRefusalObserver =
    std::function<void(const Request&, const Caller* caller, std::string_view reason)>;

/// What the router asks to authenticate callers. An empty function refuses every caller of the
/// routes that need it (fail closed).
struct CallerAuthenticators {
  ClientCertificateRegistry client_certificates;
  AdminSessionVerifier admin_sessions;
};

class Router {
 public:
  explicit Router(CallerAuthenticators authenticators = {})
      : authenticators_(std::move(authenticators)) {}

  /// Sets the admin session verifier once the services that check sessions exist (before the
  /// server starts; not thread-safe with dispatch()).
  void setAdminSessionVerifier(AdminSessionVerifier verifier) {
    authenticators_.admin_sessions = std::move(verifier);
  }

  /// Sets the client certificate registry once the store it reads is open (idem).
  void setClientCertificateRegistry(ClientCertificateRegistry registry) {
    authenticators_.client_certificates = std::move(registry);
  }

  /// Sets who is told of refused callers (before the server starts; not thread-safe with
  /// dispatch()).
  void setCallerRefusalObserver(CallerRefusalObserver observer) {
    refusal_observer_ = std::move(observer);
  }

  /// Adds a route whose callers are authenticated as `auth` says. Throws std::invalid_argument on
  /// a malformed pattern (not starting with '/', empty or unbalanced {}) or on the same method +
  /// pattern twice (a programming error at start-up).
  void add(std::string_view method, std::string_view pattern, CallerAuth auth, Handler handler);
  void get(std::string_view pattern, CallerAuth auth, Handler handler) {
    add("GET", pattern, auth, std::move(handler));
  }
  void post(std::string_view pattern, CallerAuth auth, Handler handler) {
    add("POST", pattern, auth, std::move(handler));
  }

  /// Finds the route, fills `req.route` and `req.path_params`, authenticates the caller as the
  /// route declares (setting `req.caller`) and calls its handler; 404/405/400 otherwise (with
  /// `req.route` left empty). A caller the route's CallerAuth does not accept gets a 403 and the
  /// handler is not called: kClientCertificate without a client certificate, or with one that the
  /// registry does not know; kAdminSession without a session the verifier accepts. Exceptions
  /// from the handler propagate (the server answers 500 once, at the top).
  Response dispatch(Request& req) const;

  /// The patterns registered, in order (for docs and tests).
  std::vector<std::string> patterns() const;

  /// A route as registered: what docs/openapi.json is held to.
  struct RouteInfo {
    std::string method;
    std::string pattern;
    CallerAuth auth = CallerAuth::kNone;
  };
  /// The routes registered, in order.
  std::vector<RouteInfo> routes() const;

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
    CallerAuth auth = CallerAuth::kNone;
    Handler handler;
  };
  /// The caller of `route` as its CallerAuth accepts it, or the 403 that refuses it.
  std::optional<Response> authenticate(const Route& route, Request& req) const;
  /// The 403 of a caller `route` does not accept, told to the observer first.
  Response refuseCaller(const Request& req, const Caller* caller, http::Refusal refusal) const;

  CallerAuthenticators authenticators_;
  std::vector<Route> routes_;
  http::RefusalRenderer refusal_page_;
  CallerRefusalObserver refusal_observer_;
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
