#pragma once
/// @file The admin session, for every admin surface (establishment assignment managers now; the
/// ministry's admins and auditors later): a sealed cookie, no server-side state, so any node
/// checks it (docs/assignments.md "The admin session", ADR 0018).
///
/// The cookie `garde_admin` holds {caller kind, caller id, issued at, CSRF token}, sealed with the
/// [state] key (AES-256-GCM, purpose "admin"), HttpOnly, SameSite=Strict, Secure over TLS. The
/// token expires at the earlier of now + idle timeout and issued at + absolute timeout, and every
/// authenticated request gets it again with its idle deadline moved (refreshing()). A request
/// that changes something (any method but GET and HEAD) must also carry the session's CSRF token,
/// in the `X-CSRF-Token` header or a `csrf` form field.

#include <optional>
#include <string>

#include "broker/request.h"
#include "broker/router.h"
#include "core/random.h"
#include "core/sealed_token.h"
#include "core/time.h"

namespace garde::broker::admin {

inline constexpr std::string_view kSessionCookie = "garde_admin";

struct SessionSettings {
  std::int64_t idle_seconds = 15 * 60;
  std::int64_t absolute_seconds = 8 * 3600;
};

/// An open session, as read from its cookie.
struct Session {
  Caller caller;
  core::UnixTime issued_at = 0;
  std::string csrf;               ///< base64url, 128 bits
  core::UnixTime expires_at = 0;  ///< when this cookie's token ends (idle or absolute)
};

class AdminSessions {
 public:
  /// All three must outlive the object. Thread-safe (read-only after construction).
  AdminSessions(const core::TokenSealer& sealer, const core::Clock& clock, core::Random& random,
                SessionSettings settings = {});

  /// A new session for `caller`: its cookie (to set on the response) and the session itself.
  std::pair<SetCookie, Session> open(const Request& req, Caller caller) const;
  /// The cookie that ends the session in the browser (sign-out).
  SetCookie closing(const Request& req) const;

  /// The request's session: a cookie that unseals, within both timeouts, and for a changing
  /// method the CSRF token. nullopt otherwise; `why` (when given) says which check failed.
  std::optional<Session> read(const Request& req, std::string* why = nullptr) const;

  /// The router's verifier (CallerAuth::kAdminSession): read()'s caller.
  AdminSessionVerifier verifier() const;

  /// `handler` whose responses to a request with a valid session carry the cookie again with
  /// its idle deadline moved (unless the handler set the session cookie itself, e.g. sign-out).
  Handler refreshing(Handler handler) const;

  const SessionSettings& settings() const noexcept { return settings_; }

 private:
  SetCookie cookie(const Request& req, const Session& session, core::UnixTime now) const;

  const core::TokenSealer& sealer_;
  const core::Clock& clock_;
  core::Random& random_;
  SessionSettings settings_;
};

}  // namespace garde::broker::admin
