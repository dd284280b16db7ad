#pragma once
/// @file The conversions between the wire and broker::Request / broker::Response, as plain
/// functions over bytes (Beast's handle_request model): the session calls their Beast-typed forms
/// (wire_beast.h), tests and the fuzz target call these, without sockets. No Beast here.
///
/// Reading a request decodes the query, the cookies and an application/x-www-form-urlencoded
/// body. Anything that cannot be read becomes a Refusal (status, a stable reason label for logs
/// and metrics, a detail for the log): the server answers it with the same HTML page as every
/// other refusal, with the request id, and logs it at warn.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "broker/request.h"
#include "core/result.h"

namespace garde::broker::http {

/// Why the HTTP layer refused a request before any handler ran.
struct Refusal {
  int status = 400;
  std::string reason;  ///< stable label: "malformed_query", "body_too_large", ...
  std::string detail;  ///< for the log; never personal data
};

/// What the connection knows about the client.
struct ConnectionInfo {
  std::string peer;  ///< client IP address, no port
  bool tls = false;
  PeerIdentity client_cert;  ///< empty unless TLS verified a client certificate
};

/// A request read from the wire: `request` has whatever could be read (method, target, request
/// id at least), and `refusal` is set when it must not reach a handler.
struct Inbound {
  Request request;
  std::optional<Refusal> refusal;
};

struct WireLimits {
  std::size_t header_limit = 16 * 1024;
  std::size_t body_limit = 1024 * 1024;
};

/// Parses one whole HTTP/1.1 request from `bytes` (request line, headers, body) within `limits`
/// and converts it as the server would. A truncated or malformed message, a header or body over
/// its limit, a target not in origin form or a malformed encoding is a refusal.
Inbound readRequestBytes(std::string_view bytes, const WireLimits& limits,
                         const ConnectionInfo& connection = {});

/// readRequestBytes() as a Result: the request, or kBadRequest (kLimitExceeded over a limit) with
/// the refusal's reason and detail.
core::Result<Request> parseRequestBytes(std::string_view bytes, const WireLimits& limits);

/// What the server adds to every answer.
struct ResponseOptions {
  bool keep_alive = true;
  bool tls = false;  ///< adds Strict-Transport-Security and keeps Secure on cookies
};

/// Serialises `res` as the server writes it: status line, the handler's headers (framing headers
/// dropped), Set-Cookie, default Cache-Control and Content-Security-Policy, the security headers,
/// X-Request-Id, Content-Length and Connection; no body for HEAD.
std::string writeResponseBytes(const Request& req, Response res, const ResponseOptions& options);

/// Renders the page of a refusal of the HTTP layer. The serve command gives the flows' refusal
/// page; defaultRefusalPage() is used when none is given.
using RefusalRenderer = std::function<Response(const Request&, const Refusal&)>;

/// A plain HTML page (escaped) with the status, a short sentence and the request id.
Response defaultRefusalPage(const Request& req, const Refusal& refusal);

}  // namespace garde::broker::http
