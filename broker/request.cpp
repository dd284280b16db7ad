#include "broker/request.h"

#include <cctype>

#include "core/encoding.h"

namespace garde::broker {
namespace {

template <class Map>
const std::string* first(const Map& m, std::string_view key) {
  const auto it = m.find(key);
  return it == m.end() ? nullptr : &it->second;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

const std::string* Request::header(std::string_view lower_name) const {
  return first(headers, lower_name);
}
const std::string* Request::queryParam(std::string_view name) const { return first(query, name); }
const std::string* Request::formField(std::string_view name) const { return first(form, name); }
const std::string* Request::cookie(std::string_view name) const { return first(cookies, name); }
const std::string* Request::pathParam(std::string_view name) const {
  return first(path_params, name);
}

Response& Response::setHeader(std::string_view name, std::string value) {
  for (auto it = headers.begin(); it != headers.end();) {
    it = iequals(it->first, name) ? headers.erase(it) : it + 1;
  }
  headers.emplace_back(std::string(name), std::move(value));
  return *this;
}

const std::string* Response::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) {
      return &v;
    }
  }
  return nullptr;
}

namespace {

Response withContentType(int status, std::string body, const char* content_type) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.setHeader("Content-Type", content_type);
  return r;
}

}  // namespace

Response Response::text(int status, std::string body) {
  return withContentType(status, std::move(body), "text/plain; charset=utf-8");
}

Response Response::html(int status, std::string body) {
  return withContentType(status, std::move(body), "text/html; charset=utf-8");
}

Response Response::json(int status, std::string body) {
  return withContentType(status, std::move(body), "application/json");
}

Response Response::redirect(std::string location, int status) {
  Response r;
  r.status = status;
  r.setHeader("Location", std::move(location));
  return r;
}

core::Result<Params> parseUrlEncoded(std::string_view text) {
  Params out;
  while (!text.empty()) {
    const std::size_t amp = text.find('&');
    const std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
    if (pair.empty()) {
      continue;
    }
    const std::size_t eq = pair.find('=');
    auto name = core::urlDecode(pair.substr(0, eq));
    auto value =
        core::urlDecode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    if (!name || !value) {
      return core::fail(core::ErrorCode::kBadEncoding, "malformed percent-encoding in a parameter");
    }
    out.emplace(std::move(name).value(), std::move(value).value());
  }
  return out;
}

std::optional<std::string> repeatedParameter(const Request& req) {
  auto repeatedIn = [](const Params& params) -> std::optional<std::string> {
    for (auto it = params.begin(); it != params.end(); ++it) {
      const auto next = std::next(it);
      if (next != params.end() && next->first == it->first) {
        return it->first;  // a multimap keeps equal keys adjacent
      }
    }
    return std::nullopt;
  };
  if (auto name = repeatedIn(req.query)) {
    return name;
  }
  if (auto name = repeatedIn(req.form)) {
    return name;
  }
  for (const auto& [name, value] : req.form) {
    if (req.query.contains(name)) {
      return name;
    }
  }
  return std::nullopt;
}

std::optional<std::string> parseCookieHeader(std::string_view value,
                                             std::map<std::string, std::string, std::less<>>& out) {
  std::optional<std::string> repeated;
  while (!value.empty()) {
    const std::size_t semi = value.find(';');
    const std::string_view pair = trim(value.substr(0, semi));
    value = semi == std::string_view::npos ? std::string_view{} : value.substr(semi + 1);
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      continue;
    }
    std::string_view v = trim(pair.substr(eq + 1));
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
      v = v.substr(1, v.size() - 2);
    }
    // emplace keeps the first
    auto [it, inserted] = out.emplace(std::string(trim(pair.substr(0, eq))), std::string(v));
    if (!inserted && !repeated) {
      repeated = it->first;
    }
  }
  return repeated;
}

std::string formatSetCookie(const SetCookie& c, bool over_tls) {
  std::string out = c.name + "=" + c.value;
  if (!c.path.empty()) {
    out += "; Path=" + c.path;
  }
  if (c.max_age) {
    out += "; Max-Age=" + std::to_string(*c.max_age);
  }
  if ((c.secure || c.same_site == SameSite::kNone) && over_tls) {
    out += "; Secure";
  }
  if (c.http_only) {
    out += "; HttpOnly";
  }
  switch (c.same_site) {
    case SameSite::kLax:
      out += "; SameSite=Lax";
      break;
    case SameSite::kStrict:
      out += "; SameSite=Strict";
      break;
    case SameSite::kNone:
      out += "; SameSite=None";
      break;
  }
  return out;
}

std::string_view statusReason(int status) noexcept {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    default:
      return "";
  }
}

}  // namespace garde::broker
