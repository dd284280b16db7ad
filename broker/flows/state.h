#pragma once
/// @file The state that travels with the browser, sealed with core::TokenSealer (AES-256-GCM, see
/// docs/adr/0006-transaction-state.md): the launch cookie, the SSO transaction (RelayState of the
/// ENT leg), the pending publisher request during discovery, and the "return to the publisher with
/// an error" token of a refusal page. No server-side session: any node can finish any flow.
///
/// Payload: "v4" and the fields joined with U+001F (unit separator); a field holding U+001F is
/// refused when sealing (kBadRequest), so fields never shift. (v2 added the transaction's
/// ent_requested_at, v3 its browser_binding, v4 the NameID format and admin_login; an older token
/// still in flight at an upgrade is refused as bad_transaction.)

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/sealed_token.h"
#include "core/time.h"
#include "saml/messages.h"

namespace garde::broker::flows {

/// Token purposes (bound into the token: one minted for one use is refused for another).
namespace purpose {
inline constexpr std::string_view kLaunch = "launch";
inline constexpr std::string_view kSso = "sso";
inline constexpr std::string_view kDiscovery = "discovery";
inline constexpr std::string_view kReturn = "return";
inline constexpr std::string_view kChoice = "choice";
}  // namespace purpose

/// The `garde_launch` cookie: what a médiacentre tile said.
struct LaunchState {
  std::string ent_id;
  std::string uai;
  std::string resource_id;
};

/// One SSO transaction, from the start of the ENT leg to the Response to the publisher.
struct SsoTransaction {
  std::string ent_id;  ///< empty only in a pending (discovery) token
  std::string uai;     ///< empty: publisher-initiated without launch cookie (chosen at the ACS)
  /// Empty: the publisher has several resources and its RelayState names none of them (an opaque
  /// handle); the ACS resolves it from the person's entitlements (docs/flows.md).
  std::string resource_id;
  std::string publisher_id;
  std::optional<std::string> publisher_request_id;  ///< absent: unsolicited (direct launch)
  std::string acs_url;                              ///< the publisher's, from its metadata
  std::string relay_state;                          ///< to send back to the publisher
  std::string ent_request_id;                       ///< our AuthnRequest ID to the ENT
  /// When we sent that AuthnRequest: with ForceAuthn, the ENT's AuthnInstant may not be older.
  core::UnixTime ent_requested_at = 0;
  bool force_authn = false;
  bool is_passive = false;
  /// The publisher's NameID is transient (it asked for one: connectors::publisher::
  /// answerNameIdFormat); otherwise persistent, the pseudonym.
  bool transient_name_id = false;
  /// Not a launch: an assignment manager signing in to garde through their ENT (no publisher; the
  /// ACS opens an admin session instead of answering a publisher).
  bool admin_login = false;
  /// The `garde_bind` cookie of the browser that started the ENT leg: the ACS accepts the ENT's
  /// Response only from that browser (no login CSRF by posting one's own Response elsewhere).
  std::string browser_binding;
};

/// A refusal page's way back to the publisher that asked (its request, ACS and RelayState).
struct ReturnState {
  std::string publisher_id;
  std::optional<std::string> publisher_request_id;
  std::string acs_url;
  std::string relay_state;
  std::string saml_sub_status;      ///< second-level StatusCode of the refusal (errors.h)
  std::string saml_status;          ///< top-level StatusCode; empty: Responder
  std::string saml_status_message;  ///< StatusMessage; empty: none
};

core::Result<std::string> sealLaunch(const core::TokenSealer& sealer, const LaunchState& state,
                                     core::UnixTime expires);
core::Result<LaunchState> unsealLaunch(const core::TokenSealer& sealer, std::string_view token,
                                       core::UnixTime now);

/// `which` is purpose::kSso or purpose::kDiscovery.
core::Result<std::string> sealTransaction(const core::TokenSealer& sealer, std::string_view which,
                                          const SsoTransaction& tx, core::UnixTime expires);
core::Result<SsoTransaction> unsealTransaction(const core::TokenSealer& sealer,
                                               std::string_view which, std::string_view token,
                                               core::UnixTime now);

/// The resource choice page's state: the transaction whose resource the person picks, and who
/// the ENT said they are (the ENT's Response was consumed at the ACS; the choice does not need it
/// again). Sealed like the others (AES-256-GCM): the person's identifier is never readable in the
/// page.
struct ChoiceState {
  SsoTransaction tx;
  std::string person_id;
  core::UnixTime authn_instant = 0;
  std::string authn_context_class_ref;
  std::string ent_response_id;  ///< for logs
  saml::NameID ent_name_id;     ///< for the session single logout reads
  std::string ent_session_index;
};

core::Result<std::string> sealChoice(const core::TokenSealer& sealer, const ChoiceState& state,
                                     core::UnixTime expires);
core::Result<ChoiceState> unsealChoice(const core::TokenSealer& sealer, std::string_view token,
                                       core::UnixTime now);

core::Result<std::string> sealReturn(const core::TokenSealer& sealer, const ReturnState& state,
                                     core::UnixTime expires);
core::Result<ReturnState> unsealReturn(const core::TokenSealer& sealer, std::string_view token,
                                       core::UnixTime now);

}  // namespace garde::broker::flows
