#include "broker/http/wire.h"

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/write.hpp>
#include <cctype>
#include <sstream>

#include "broker/http/wire_beast.h"
#include "core/encoding.h"
#include "core/random.h"

namespace garde::broker::http {
namespace {

namespace bhttp = boost::beast::http;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

/// Header names a handler may not set: the server owns framing.
bool isFramingHeader(std::string_view name) {
  const std::string n = lower(name);
  return n == "content-length" || n == "transfer-encoding" || n == "connection" ||
         n == "keep-alive" || n == "upgrade";
}

bool isFormBody(const Request& req) {
  const std::string* ct = req.header("content-type");
  if (ct == nullptr) {
    return false;
  }
  const std::string media = lower(std::string_view(*ct).substr(0, ct->find(';')));
  const auto end = media.find_last_not_of(" \t");
  return media.substr(0, end == std::string::npos ? 0 : end + 1) ==
         "application/x-www-form-urlencoded";
}

Refusal refusal(int status, std::string reason, std::string detail) {
  return Refusal{status, std::move(reason), std::move(detail)};
}

/// The cookies garde sets all begin so; a repeated one is refused, anyone else's is let be.
constexpr std::string_view kOwnCookiePrefix = "garde_";

/// A client-chosen name for a log detail: at most 40 characters, printable ASCII, the rest '?'.
std::string printableName(std::string_view name) {
  std::string out(name.substr(0, 40));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) {
      c = '?';
    }
  }
  return name.size() > 40 ? out + "..." : out;
}

}  // namespace

std::string newRequestId() { return core::hexEncode(core::systemRandom().bytes(12)); }

Inbound fromWire(WireRequest& msg, const ConnectionInfo& connection) {
  Inbound in;
  Request& req = in.request;
  req.request_id = newRequestId();
  req.is_tls = connection.tls;
  req.peer = connection.peer;
  req.client_cert = connection.client_cert;
  std::optional<std::string> repeated_cookie;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  for (const auto& field : msg) {
    std::string name = lower(field.name_string());
    if (name == "cookie") {
      if (auto again = parseCookieHeader(field.value(), req.cookies);
          again && again->starts_with(kOwnCookiePrefix) && !repeated_cookie) {
        repeated_cookie = std::move(again);
      }
    }
    req.headers.emplace(std::move(name), std::string(field.value()));
  }
  req.body = std::move(msg.body());
  if (req.target.empty() || req.target.front() != '/') {
    in.refusal = refusal(400, "bad_target", "the request target is not in origin form");
    return in;
  }
  const std::size_t q = req.target.find('?');
  req.path = req.target.substr(0, q);
  if (q != std::string::npos) {
    auto query = parseUrlEncoded(std::string_view(req.target).substr(q + 1));
    if (!query) {
      in.refusal = refusal(400, "malformed_query", query.error().detail);
      return in;
    }
    req.query = std::move(query).value();
  }
  if (isFormBody(req)) {
    auto form = parseUrlEncoded(req.body);
    if (!form) {
      in.refusal = refusal(400, "malformed_form", form.error().detail);
      return in;
    }
    req.form = std::move(form).value();
  }
  if (auto name = repeatedParameter(req)) {
    in.refusal = refusal(400, "repeated_parameter",
                         "parameter '" + printableName(*name) + "' given more than once");
    return in;
  }
  if (repeated_cookie) {
    // One of our cookies twice: a sibling domain may have tossed its own; we read neither.
    in.refusal = refusal(400, "repeated_cookie",
                         "cookie '" + printableName(*repeated_cookie) + "' sent more than once");
    return in;
  }
  return in;
}

void toWire(const Request& req, Response res, const ResponseOptions& options, WireResponse& out) {
  out.version(11);
  out.result(static_cast<unsigned>(res.status >= 100 && res.status <= 999 ? res.status : 500));
  for (auto& [name, value] : res.headers) {
    if (!isFramingHeader(name)) {
      out.insert(name, value);
    }
  }
  for (const SetCookie& c : res.cookies) {
    out.insert(bhttp::field::set_cookie, formatSetCookie(c, options.tls));
  }
  const auto setDefault = [&](std::string_view name, std::string_view v) {
    if (out.find(name) == out.end()) {
      out.set(name, v);
    }
  };
  setDefault("Cache-Control", "no-store");
  setDefault("Content-Security-Policy", "frame-ancestors 'none'");
  out.set("X-Content-Type-Options", "nosniff");
  out.set("Referrer-Policy", "no-referrer");
  out.set("X-Frame-Options", "DENY");
  if (options.tls) {
    out.set(bhttp::field::strict_transport_security, "max-age=31536000");
  }
  out.set(bhttp::field::server, "garde");
  out.set("X-Request-Id", req.request_id);
  const std::size_t body_size = res.body.size();
  out.body() = std::move(res.body);
  out.keep_alive(options.keep_alive);
  out.prepare_payload();
  if (req.method == "HEAD") {
    out.body().clear();
    out.content_length(body_size);
  }
}

std::optional<Refusal> refusalForReadError(const boost::beast::error_code& ec) {
  if (ec == bhttp::error::body_limit) {
    return refusal(413, "body_too_large", "the request body is over server.body_limit");
  }
  if (ec == bhttp::error::header_limit) {
    return refusal(431, "header_too_large", "the request header is over server.header_limit");
  }
  if (ec.category() == boost::beast::error_code(bhttp::error::bad_target).category() &&
      ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
    return refusal(400, "malformed_http", ec.message());
  }
  return std::nullopt;
}

Inbound readRequestBytes(std::string_view bytes, const WireLimits& limits,
                         const ConnectionInfo& connection) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.eager(true);
  parser.body_limit(limits.body_limit);
  parser.header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(limits.header_limit, std::numeric_limits<std::uint32_t>::max())));
  boost::beast::error_code ec;
  std::string_view rest = bytes;
  while (!rest.empty() && !parser.is_done()) {
    const std::size_t used = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
    if (ec == bhttp::error::need_more) {
      ec = {};
      break;
    }
    if (ec) {
      break;
    }
    if (used == 0) {
      break;
    }
    rest.remove_prefix(used);
  }
  if (!ec && !parser.is_done() && parser.is_header_done() && parser.need_eof()) {
    parser.put_eof(ec);
  }
  auto unread = [&](Refusal r) {
    Inbound in;
    in.request.request_id = newRequestId();
    in.request.is_tls = connection.tls;
    in.request.peer = connection.peer;
    if (parser.is_header_done()) {
      in.request.method = std::string(parser.get().method_string());
    }
    in.refusal = std::move(r);
    return in;
  };
  if (ec) {
    if (auto r = refusalForReadError(ec)) {
      return unread(std::move(*r));
    }
    return unread(refusal(400, "malformed_http", ec.message()));
  }
  if (!parser.is_done()) {
    return unread(refusal(400, "incomplete_request", "the request ends before its end"));
  }
  WireRequest msg = parser.release();
  return fromWire(msg, connection);
}

core::Result<Request> parseRequestBytes(std::string_view bytes, const WireLimits& limits) {
  Inbound in = readRequestBytes(bytes, limits);
  if (in.refusal) {
    const auto code = in.refusal->status == 413 || in.refusal->status == 431
                          ? core::ErrorCode::kLimitExceeded
                          : core::ErrorCode::kBadRequest;
    return core::fail(code, in.refusal->reason + ": " + in.refusal->detail);
  }
  return std::move(in.request);
}

std::string writeResponseBytes(const Request& req, Response res, const ResponseOptions& options) {
  WireResponse out;
  toWire(req, std::move(res), options, out);
  std::ostringstream os;
  os << out;
  return os.str();
}

Response defaultRefusalPage(const Request& req, const Refusal& refusal) {
  const std::string reason(statusReason(refusal.status));
  std::string body = "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>" +
                     core::htmlEscape(reason) +
                     "</title></head><body><h1>La demande n'a pas pu être traitée</h1><p>" +
                     core::htmlEscape(std::to_string(refusal.status) + " " + reason) +
                     "</p><p>Référence : <code>" + core::htmlEscape(req.request_id) +
                     "</code></p></body></html>\n";
  Response r = Response::html(refusal.status, std::move(body));
  r.setHeader("Content-Security-Policy",
              "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
  return r;
}

}  // namespace garde::broker::http
