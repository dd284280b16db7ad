#pragma once
/// @file The state single logout keeps in the browser (docs/single-logout.md), sealed like the
/// flows' other state (broker/flows/state.h, AES-256-GCM, bound to its purpose):
///
/// - the session cookie `garde_session`: the ENT that authenticated the person in this browser,
///   the NameID and SessionIndex it gave, and each publisher that received an assertion since,
///   with the NameID and SessionIndex we gave it. Written at every release, read when a logout
///   begins, cleared then.
/// - the logout cookie `garde_logout`: one logout in progress, from the LogoutRequest that began
///   it to the LogoutResponse that ends it: who asked, who is still to be logged out, whose answer
///   is awaited, and how each participant ended.
///
/// No server-side session: any node can carry on any logout.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/sealed_token.h"
#include "core/time.h"
#include "saml/messages.h"

namespace garde::broker::flows {

namespace purpose {
inline constexpr std::string_view kSession = "session";
inline constexpr std::string_view kLogout = "logout";
}  // namespace purpose

/// A publisher that received an assertion in this browser session.
struct SessionPublisher {
  std::string publisher_id;
  saml::NameID name_id;       ///< as we sent it
  std::string session_index;  ///< as we sent it
  bool operator==(const SessionPublisher&) const = default;
};

/// What `garde_session` holds.
struct LoginSession {
  std::string ent_id;
  saml::NameID ent_name_id;  ///< as the ENT sent it (value empty when it sent none)
  std::string ent_session_index;
  std::vector<SessionPublisher> publishers;  ///< oldest first, one entry per publisher
  bool operator==(const LoginSession&) const = default;
};

/// The most publishers a session remembers (a cookie holds about 4 KB): past it, the oldest
/// entry is dropped (and not logged out: docs/single-logout.md says so).
inline constexpr std::size_t kMaxSessionPublishers = 12;

/// Adds (or refreshes, moving it last) `publisher` in `session`, dropping the oldest entry past
/// kMaxSessionPublishers.
void rememberPublisher(LoginSession& session, SessionPublisher publisher);

/// How one participant of a logout ended.
enum class LogoutOutcome {
  kLoggedOut,  ///< it answered Success
  kFailed,     ///< it answered another status, or its answer could not be read, or sending failed
  kSkipped,    ///< its metadata has no SingleLogoutService we can use
};

std::string_view outcomeName(LogoutOutcome outcome) noexcept;

struct LogoutResult {
  std::string publisher_id;  ///< empty: the ENT
  LogoutOutcome outcome = LogoutOutcome::kLoggedOut;
  bool operator==(const LogoutResult&) const = default;
};

/// What `garde_logout` holds.
struct LogoutRun {
  bool from_ent = false;   ///< the ENT asked (else a publisher)
  std::string initiator;   ///< its ent_id or publisher_id
  std::string initiator_request_id;
  bool has_relay_state = false;
  std::string relay_state;  ///< the initiator's, echoed in our LogoutResponse
  std::string ent_id;       ///< the session's ENT (empty: no session in this browser)
  saml::NameID ent_name_id;
  std::string ent_session_index;
  bool ent_pending = false;  ///< a publisher asked: the ENT is still to be told
  std::vector<SessionPublisher> pending;  ///< publishers still to be logged out, in order
  /// Whose LogoutResponse is awaited: a publisher_id, or the ENT when `awaiting_ent`; empty none.
  std::string awaiting;
  bool awaiting_ent = false;
  std::string awaiting_request_id;  ///< our LogoutRequest's ID: its InResponseTo
  std::vector<LogoutResult> results;
  bool operator==(const LogoutRun&) const = default;
};

core::Result<std::string> sealSession(const core::TokenSealer& sealer, const LoginSession& session,
                                      core::UnixTime expires);
core::Result<LoginSession> unsealSession(const core::TokenSealer& sealer, std::string_view token,
                                         core::UnixTime now);
core::Result<std::string> sealLogout(const core::TokenSealer& sealer, const LogoutRun& run,
                                     core::UnixTime expires);
core::Result<LogoutRun> unsealLogout(const core::TokenSealer& sealer, std::string_view token,
                                     core::UnixTime now);

}  // namespace garde::broker::flows
