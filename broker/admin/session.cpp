#include "broker/admin/session.h"

#include <algorithm>
#include <charconv>

#include "core/crypto.h"
#include "core/encoding.h"

namespace garde::broker::admin {
namespace {

constexpr std::string_view kPurpose = "admin";
constexpr char kSep = '\x1f';

std::string_view kindCode(Caller::Kind k) {
  switch (k) {
    case Caller::Kind::kEntProject:
      return "ent";
    case Caller::Kind::kPublisher:
      return "publisher";
    case Caller::Kind::kOperator:
      return "operator";
    case Caller::Kind::kAssignmentManager:
      return "manager";
    case Caller::Kind::kMinistryAdmin:
      return "ministry_admin";
    case Caller::Kind::kAuditor:
      return "auditor";
    case Caller::Kind::kUnspecified:
      break;
  }
  return "unspecified";
}

std::optional<Caller::Kind> parseKind(std::string_view code) {
  for (Caller::Kind k : {Caller::Kind::kEntProject, Caller::Kind::kPublisher,
                         Caller::Kind::kOperator, Caller::Kind::kAssignmentManager,
                         Caller::Kind::kMinistryAdmin, Caller::Kind::kAuditor}) {
    if (code == kindCode(k)) {
      return k;
    }
  }
  return std::nullopt;
}

bool changes(const Request& req) { return req.method != "GET" && req.method != "HEAD"; }

}  // namespace

AdminSessions::AdminSessions(const core::TokenSealer& sealer, const core::Clock& clock,
                             core::Random& random, SessionSettings settings)
    : sealer_(sealer), clock_(clock), random_(random), settings_(settings) {}

SetCookie AdminSessions::cookie(const Request& req, const Session& s, core::UnixTime now) const {
  std::string payload;
  payload += kindCode(s.caller.kind);
  payload += kSep;
  payload += s.caller.id;
  payload += kSep;
  payload += std::to_string(s.issued_at);
  payload += kSep;
  payload += s.csrf;
  const core::UnixTime expires =
      std::min(now + settings_.idle_seconds, s.issued_at + settings_.absolute_seconds);
  SetCookie c;
  c.name = std::string(kSessionCookie);
  c.value = sealer_.seal(kPurpose, payload, expires);
  c.path = "/";
  c.max_age = std::max<std::int64_t>(0, expires - now);
  c.http_only = true;
  c.secure = req.is_tls;
  c.same_site = SameSite::kStrict;
  return c;
}

std::pair<SetCookie, Session> AdminSessions::open(const Request& req, Caller caller) const {
  const core::UnixTime now = clock_.now();
  Session s;
  s.caller = std::move(caller);
  s.issued_at = now;
  s.csrf = core::base64UrlEncode(random_.bytes(16));
  s.expires_at = std::min(now + settings_.idle_seconds, now + settings_.absolute_seconds);
  return {cookie(req, s, now), s};
}

SetCookie AdminSessions::closing(const Request& req) const {
  SetCookie c;
  c.name = std::string(kSessionCookie);
  c.value = "";
  c.path = "/";
  c.max_age = 0;
  c.http_only = true;
  c.secure = req.is_tls;
  c.same_site = SameSite::kStrict;
  return c;
}

std::optional<Session> AdminSessions::read(const Request& req, std::string* why) const {
  const auto fail = [&](const char* reason) -> std::optional<Session> {
    if (why != nullptr) {
      *why = reason;
    }
    return std::nullopt;
  };
  const std::string* token = req.cookie(kSessionCookie);
  if (token == nullptr || token->empty()) {
    return fail("no session cookie");
  }
  const core::UnixTime now = clock_.now();
  auto payload = sealer_.unseal(kPurpose, *token, now);
  if (!payload) {
    return fail(payload.error().code == core::ErrorCode::kExpired ? "session expired"
                                                                  : "session cookie unreadable");
  }
  std::vector<std::string_view> f;
  std::string_view rest = *payload;
  for (std::size_t at; (at = rest.find(kSep)) != std::string_view::npos;) {
    f.push_back(rest.substr(0, at));
    rest.remove_prefix(at + 1);
  }
  f.push_back(rest);
  if (f.size() != 4) {
    return fail("session cookie of an unknown layout");
  }
  Session s;
  const auto kind = parseKind(f[0]);
  const auto [end, ec] = std::from_chars(f[2].data(), f[2].data() + f[2].size(), s.issued_at);
  if (!kind || ec != std::errc() || end != f[2].data() + f[2].size()) {
    return fail("session cookie of an unknown layout");
  }
  if (now >= s.issued_at + settings_.absolute_seconds) {
    return fail("session past its absolute timeout");
  }
  s.caller = Caller{std::string(f[1]), *kind};
  s.csrf = std::string(f[3]);
  s.expires_at = std::min(now + settings_.idle_seconds, s.issued_at + settings_.absolute_seconds);
  if (changes(req)) {
    const std::string* sent = req.header("x-csrf-token");
    if (sent == nullptr) {
      sent = req.formField("csrf");
    }
    if (sent == nullptr || !core::constantTimeEqual(*sent, s.csrf)) {
      return fail("CSRF token missing or wrong");
    }
  }
  return s;
}

AdminSessionVerifier AdminSessions::verifier() const {
  return [this](const Request& req) -> std::optional<Caller> {
    auto s = read(req);
    if (!s) {
      return std::nullopt;
    }
    return std::move(s->caller);
  };
}

Handler AdminSessions::refreshing(Handler handler) const {
  return [this, handler = std::move(handler)](const Request& req) {
    Response r = handler(req);
    const bool set_by_handler =
        std::any_of(r.cookies.begin(), r.cookies.end(),
                    [](const SetCookie& c) { return c.name == kSessionCookie; });
    if (!set_by_handler) {
      if (auto s = read(req)) {
        r.cookies.push_back(cookie(req, *s, clock_.now()));
      }
    }
    return r;
  };
}

}  // namespace garde::broker::admin
