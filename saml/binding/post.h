#pragma once
/// @file The HTTP-POST binding (SAML2 Bindings 3.5): the auto-submitting form, and decoding of the
/// posted fields. Pure and thread-safe.
///
/// Serving the form: send the HTML from renderPostForm() with
///   Content-Type: text/html; charset=utf-8
///   Content-Security-Policy: postFormCsp(nonce)
///   Cache-Control: no-cache, no-store   and   Pragma: no-cache   (Bindings 3.5.5.1)
/// with a fresh random nonce per response (at least 128 bits, base64).

#include <map>
#include <string>
#include <string_view>

#include "core/result.h"
#include "saml/binding/redirect.h"

namespace garde::saml {

/// An HTML page that POSTs SAMLRequest|SAMLResponse (base64 of `xml`) and RelayState (omitted when
/// empty) to `action_url`. A script carrying `csp_nonce` submits it on load; without JavaScript a
/// visible submit button inside <noscript> does. Every value is HTML-escaped, so a RelayState or
/// URL holding quotes or markup stays inert. Precondition (asserted): `csp_nonce` is non-empty and
/// made of base64/base64url characters.
std::string renderPostForm(std::string_view xml, std::string_view action_url,
                           std::string_view relay_state, bool is_request,
                           std::string_view csp_nonce);

/// The Content-Security-Policy header value for a page from renderPostForm() with the same nonce:
/// nothing may load, only the nonce-carrying script runs; no base URI, no framing.
/// (There is no form-action directive: the action is the peer's endpoint, which may redirect
/// across origins after the POST, and browsers check form-action on those redirects.)
std::string postFormCsp(std::string_view csp_nonce);

/// Form fields as the HTTP layer decoded them (application/x-www-form-urlencoded, name -> value).
using FormFields = std::map<std::string, std::string, std::less<>>;

/// Decodes a POST binding message from already-decoded form fields: exactly one of SAMLRequest and
/// SAMLResponse, base64 (no DEFLATE; whitespace from line wrapping is allowed), optional
/// RelayState. Errors: kLimitExceeded (field over `max_encoded`, decoded XML over `max_inflated`,
/// RelayState over `max_relay_state`); kBadRequest (no message, both); kBadEncoding (base64).
core::Result<InboundMessage> decodePost(const FormFields& fields, const DecodeLimits& limits = {});

/// Decodes a raw application/x-www-form-urlencoded body (rejecting duplicated SAML fields, which a
/// map would hide), then as decodePost(). Errors: as decodePost(), kBadRequest for duplicates,
/// kBadEncoding for percent escapes, kLimitExceeded for a body over 2 x `max_encoded`.
core::Result<InboundMessage> decodePostBody(std::string_view body, const DecodeLimits& limits = {});

}  // namespace garde::saml
