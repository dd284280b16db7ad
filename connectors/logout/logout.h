#pragma once
/// @file Single logout messages, both faces of the broker (SAML2 Profiles 4.4, front channel):
/// reading a LogoutRequest or LogoutResponse that a browser brought (HTTP-Redirect or HTTP-POST),
/// checked against the sender's metadata keys, and sending ours, signed, to a peer's
/// SingleLogoutService. The flows (broker/flows/logout.cpp) decide whom to send what; this file
/// only reads and writes the messages. docs/single-logout.md.
///
/// Pure: no clock reads (`now` is a parameter), no file or database access. Reentrant.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "saml/binding/redirect.h"
#include "saml/keys.h"
#include "saml/messages.h"
#include "saml/metadata.h"

namespace garde::connectors::logout {

/// Form fields as decoded by the HTTP layer (SAMLRequest|SAMLResponse, RelayState).
using FormFields = std::map<std::string, std::string, std::less<>>;

/// The signing certificates of the peer whose entityID is `issuer`, or nullopt when it is not a
/// peer of this endpoint (an ENT at /saml/sp/slo, a publisher at /saml/idp/slo).
using KeysFor =
    std::function<std::optional<std::vector<saml::Certificate>>(std::string_view issuer)>;

/// What an endpoint checks an inbound logout message against.
struct Expectation {
  std::string destination;  ///< our SLO URL: Destination must be it
  KeysFor keys_for;
  std::int64_t skew_seconds = 180;
  std::int64_t max_age_seconds = 300;  ///< IssueInstant not older than this (+ skew)
  saml::DecodeLimits limits;
};

/// An inbound logout message, checked: exactly one of `request` and `response` is set, read from
/// the element whose signature verified.
struct Inbound {
  std::optional<saml::LogoutRequest> request;
  std::optional<saml::LogoutResponse> response;
  std::optional<std::string> relay_state;
  saml::BindingType binding = saml::BindingType::kRedirect;
};

/// The longest message ID accepted (IDs are 20 to 50 characters in practice).
inline constexpr std::size_t kMaxIdLength = 256;

/// Decodes and checks a logout message arriving at one of our SLO endpoints.
/// @param method "GET" (Redirect: `raw_query` is the query string exactly as received) or "POST"
///        (`form` holds the decoded fields).
/// Checks, in order: the binding's decode limits and encodings; parseUntrusted (no DOCTYPE, no
/// entity...); the root is samlp:LogoutRequest or samlp:LogoutResponse (and matches the parameter
/// that carried it); an Issuer that `keys_for` knows (kUnknownPeer); a signature, always required
/// (the front channel authenticates nothing else, SAML2 Profiles 4.4.4.1): an enveloped XML
/// signature, if present, must verify, a Redirect query signature, if present, must verify, and
/// one of them must be there (kSignatureMissing); no SHA-1, no exception (logout is not covered by
/// algorithm exceptions); everything read again from the verified element; Destination present
/// and == `destination` (kDestinationMismatch); IssueInstant within the skew of `now` and not
/// older than max_age (kNotYetValid, kExpired); a LogoutRequest's NotOnOrAfter not passed
/// (kExpired) and its NameID present; IDs and InResponseTo within kMaxIdLength
/// (kMalformedMessage). Every error's detail names what was wrong, never a NameID value.
core::Result<Inbound> readLogoutMessage(std::string_view method, std::string_view raw_query,
                                        const FormFields& form, const Expectation& expect,
                                        core::UnixTime now);

/// The SingleLogoutService we send to in `role`: the first with the HTTP-Redirect binding, else
/// the first with HTTP-POST, whose URL (ResponseLocation for a response, when there is one) is
/// HTTPS or loopback HTTP. nullptr when there is none: the peer does not take part in single
/// logout.
const saml::Endpoint* logoutEndpoint(const saml::SsoDescriptor& role);

/// The URL a message goes to at `endpoint`: ResponseLocation for a response when present, else
/// Location.
const std::string& endpointUrl(const saml::Endpoint& endpoint, bool is_response);

/// A message on its way through the browser: a 302 to `location` (Redirect binding) or the page
/// `html` that posts it (POST binding), with its CSP.
struct Outbound {
  std::string location;  ///< non-empty: Redirect
  std::string html;      ///< non-empty: POST (posts itself by script, a button without)
  std::string content_security_policy;
  std::string message_id;
  /// POST only, for a page of our own that posts it on a click: the form's action, the field
  /// (SAMLRequest or SAMLResponse) and its value (base64), the RelayState (empty: none).
  std::string form_action;
  std::string form_field;
  std::string form_value;
  std::string form_relay_state;
};

/// Signs `request` (its Destination set to the endpoint's URL) with `signer` and encodes it for
/// `endpoint`: in the query (Redirect, SigAlg RSA-SHA256 or ECDSA-SHA256 by the key) or enveloped
/// (POST, the page's script nonce `csp_nonce`). `relay_state` may be empty. Errors: kBadRequest
/// (an endpoint of another binding, or not acceptable), kMalformedMessage, kInternal.
core::Result<Outbound> encodeLogoutRequest(saml::LogoutRequest request,
                                           const saml::Endpoint& endpoint,
                                           const saml::Credential& signer,
                                           std::string_view relay_state,
                                           std::string_view csp_nonce);

/// The same for a LogoutResponse, to the endpoint's ResponseLocation when it has one.
core::Result<Outbound> encodeLogoutResponse(saml::LogoutResponse response,
                                            const saml::Endpoint& endpoint,
                                            const saml::Credential& signer,
                                            std::string_view relay_state,
                                            std::string_view csp_nonce);

}  // namespace garde::connectors::logout
