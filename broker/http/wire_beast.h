#pragma once
// Internal to broker/http/: the Beast message types and the wire conversions over them
// (wire.h has the byte-level forms the tests and the fuzz target use).

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <optional>

#include "broker/http/wire.h"

namespace garde::broker::http {

using WireRequest = boost::beast::http::request<boost::beast::http::string_body>;
using WireResponse = boost::beast::http::response<boost::beast::http::string_body>;

/// A fresh request id (96 random bits, hex).
std::string newRequestId();

/// Converts a complete Beast request (its body is moved out) into a broker::Request, or says why
/// it must be refused.
Inbound fromWire(WireRequest& msg, const ConnectionInfo& connection);

/// Converts a Response into `out`, with the server's headers (see writeResponseBytes()).
void toWire(const Request& req, Response res, const ResponseOptions& options, WireResponse& out);

/// The refusal for an error of Beast's HTTP parser (header or body over its limit, bad syntax);
/// nullopt for errors that are not the client's message (end of stream, timeout, reset, TLS).
std::optional<Refusal> refusalForReadError(const boost::beast::error_code& ec);

}  // namespace garde::broker::http
