#pragma once
/// @file Small HTML helpers for the demo peers' pages: escaping, one page layout with an inline
/// style carrying a CSP nonce, and the responses that carry the SAML POST forms.

#include <string>
#include <string_view>

#include "broker/request.h"
#include "core/encoding.h"

namespace garde::broker::demo {

using core::htmlEscape;

/// Which demo site a page belongs to: sets the banner's colour and label, so a newcomer always
/// sees whose page they are on.
enum class Site { kLanding, kEnt, kPublisherA, kPublisherB };

/// A whole page: `body_html` is trusted markup (callers escape every value they put in it).
/// The response carries its own Content-Security-Policy: nothing loads, no script runs, only the
/// nonce-carrying style applies, forms post to this origin only.
Response htmlPage(int status, Site site, std::string_view title, std::string_view body_html);

/// The auto-submitting SAML POST form (saml::renderPostForm) with its CSP and no-cache headers
/// (SAML2 Bindings 3.5.5.1).
Response postFormResponse(std::string_view xml, std::string_view action_url,
                          std::string_view relay_state, bool is_request);

/// A fresh CSP nonce (128 random bits, base64url).
std::string newNonce();

}  // namespace garde::broker::demo
