#pragma once
/// @file Plain HTTP request and response values: what flows take and return. No Beast here.
///
/// broker/http/ builds a Request from the wire (decoding the query, the cookies and an
/// application/x-www-form-urlencoded body) and turns the returned Response back into bytes, adding
/// the security headers. Flows are tested with hand-made Request values.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/log.h"
#include "core/result.h"

namespace garde::broker {

/// Ordered multi-valued parameters (query, form). Transparent comparator: lookup by string_view.
using Params = std::multimap<std::string, std::string, std::less<>>;

/// What the TLS layer verified about the client: the certificate chain it presented (leaf first,
/// DER) after the handshake verified it against the listener's client CA files, and the SHA-256
/// fingerprint of the leaf (lower-case hex of the DER). Empty on plain HTTP, on a listener that
/// asks for no client certificate, and when the client presented none. Callers are identified by
/// the fingerprint of a registered certificate, never by the subject alone.
struct PeerIdentity {
  std::vector<std::string> chain_der;  ///< leaf first; empty when no certificate was presented
  std::string sha256_fingerprint;      ///< hex of SHA-256(leaf DER); "" when none
  std::string subject;                 ///< the leaf's subject (RFC 2253), for logs only

  bool present() const noexcept { return !sha256_fingerprint.empty(); }
};

/// Who the router authenticated the caller of a route as (broker/router.h, CallerAuth): a
/// registered client certificate's owner, or an admin session's operator.
struct Caller {
  std::string id;  ///< as the registry or the session names the caller (logs, authorisation)
  /// What kind of caller `id` names. A handler checks it: a publisher's certificate must not
  /// reach an ENT project's API, whatever its id.
  enum class Kind {
    kUnspecified,  ///< not said (tests of the router alone)
    kEntProject,   ///< id = idENT (a registered ENT project's client certificate)
    kPublisher,    ///< id = SIREN_ISNI (a registered publisher's client certificate)
    kOperator,     ///< id = the admin account (an admin session)
    kAssignmentManager,  ///< id = idENT + ' ' + identifier at the ENT (an admin session via the ENT)
    kMinistryAdmin,  ///< id = the local account's username (an admin session; governs)
    kAuditor,        ///< id = the local account's username (an admin session; reads only)
  };
  Kind kind = Kind::kUnspecified;
};

/// An inbound HTTP request, fully read and decoded.
struct Request {
  std::string method;  ///< "GET", "POST", ... as sent (upper-case by convention)
  std::string target;  ///< request-target as sent: "/saml/sp/acs?x=1"
  std::string path;  ///< target without the query, NOT percent-decoded (routing is on raw segments)
  Params query;      ///< decoded query parameters ('+' is a space)
  Params headers;    ///< lower-cased names; repeated headers keep each value
  std::map<std::string, std::string, std::less<>>
      cookies;       ///< from Cookie; first wins on duplicates
  Params form;       ///< decoded fields of an application/x-www-form-urlencoded body
  std::string body;  ///< raw body (also for form posts)
  std::string peer;  ///< client IP address (no port)
  bool is_tls = false;
  PeerIdentity client_cert;  ///< set by broker/http/ from the TLS session; see PeerIdentity
  std::string request_id;  ///< fresh per request, echoed as X-Request-Id; put it in every log line
  std::string route;       ///< set by Router: the matched pattern ("/launch/{resourceId}") or ""
  std::map<std::string, std::string, std::less<>> path_params;  ///< set by Router, percent-decoded
  /// Set by Router on a route whose CallerAuth is not kNone, once the caller is authenticated;
  /// nullopt on kNone routes.
  std::optional<Caller> caller;

  /// First value of a header (name in lower case), or nullptr.
  const std::string* header(std::string_view lower_name) const;
  /// First value of a query parameter, or nullptr.
  const std::string* queryParam(std::string_view name) const;
  /// First value of a form field, or nullptr.
  const std::string* formField(std::string_view name) const;
  const std::string* cookie(std::string_view name) const;
  /// A {param} of the matched route; nullptr if the route has none of that name.
  const std::string* pathParam(std::string_view name) const;
};

enum class SameSite { kLax, kStrict, kNone };

/// A cookie to set. Secure is sent only over TLS (plain HTTP exists only on loopback, for
/// development).
struct SetCookie {
  std::string name;
  std::string value;  ///< must already be cookie-safe (e.g. base64url)
  std::string path = "/";
  std::optional<std::int64_t> max_age;  ///< seconds; 0 deletes; nullopt = session cookie
  bool http_only = true;
  bool secure = true;
  SameSite same_site = SameSite::kLax;  ///< kNone forces Secure (the SAML POST back needs it)
};

/// An outbound response. The server adds Content-Length, the security headers and X-Request-Id;
/// a handler may override Cache-Control and Content-Security-Policy by setting them.
struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  ///< in order; names as written
  std::string body;
  std::vector<SetCookie> cookies;
  /// What the handler adds to the request's log line (ids, entity and resource names; never
  /// personal data): one line per request says what it did.
  core::OwnedLogFields log_fields;

  /// Sets (replaces) a header, case-insensitively.
  Response& setHeader(std::string_view name, std::string value);
  /// First value of a header (case-insensitive), or nullptr.
  const std::string* header(std::string_view name) const;

  static Response text(int status, std::string body);  ///< text/plain; charset=utf-8
  static Response html(int status, std::string body);  ///< text/html; charset=utf-8
  static Response json(int status, std::string body);  ///< application/json
  /// 303 See Other to `location` (or another 3xx via `status`).
  static Response redirect(std::string location, int status = 303);
};

/// A flow or endpoint: takes a Request, returns a Response. May throw only for the truly
/// exceptional (answered 500 at the top). Called concurrently from the I/O threads.
using Handler = std::function<Response(const Request&)>;

/// Decodes "a=1&b=x+y" (form mode: '+' is a space). kBadEncoding on a malformed %-escape.
core::Result<Params> parseUrlEncoded(std::string_view text);

/// Parses Cookie header values ("a=1; b=2"). Malformed pairs are skipped; the first of a name wins.
/// Returns the first name seen again (in this header or already in `out`), if any: the caller
/// decides whether a repeated cookie is an attack (cookie tossing from a sibling domain).
std::optional<std::string> parseCookieHeader(std::string_view value,
                                             std::map<std::string, std::string, std::less<>>& out);

/// The first parameter name given more than once in the query, more than once in the form body,
/// or in both, if any. Parameter pollution: two values of one name are read differently by
/// different layers (the first, the last, both), so garde refuses them on every endpoint.
std::optional<std::string> repeatedParameter(const Request& req);

/// Serialises a Set-Cookie header value. `over_tls` false drops Secure (loopback development only).
std::string formatSetCookie(const SetCookie& cookie, bool over_tls);

/// The reason phrase for a status ("Not Found"), or "" when unknown.
std::string_view statusReason(int status) noexcept;

}  // namespace garde::broker
