#pragma once
/// @file The HTML pages the flows show: the refusal page, the ENT discovery page and the choice
/// of a resource. Every value
/// is HTML-escaped; pages carry no script, and their own Content-Security-Policy (kPageCsp).

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/encoding.h"

namespace garde::broker::flows {

/// No script, inline style only, forms only to ourselves, no framing.
inline constexpr std::string_view kPageCsp =
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'";

using core::htmlEscape;

struct RefusalPage {
  std::string message;  ///< what happened (ErrorMapping::user_message)
  /// Further paragraphs for the peer's administrator (e.g. which algorithm was refused), each
  /// with its language tag ("fr", "en").
  std::vector<std::pair<std::string, std::string>> notes;
  std::string contact;         ///< whom to contact
  std::string correlation_id;  ///< Request::request_id
  /// When a publisher asked: the sealed return token, posted to /saml/idp/return by a button.
  std::optional<std::string> return_token;
};
std::string renderRefusal(const RefusalPage& page);

struct DiscoveryPage {
  std::string pending_token;                              ///< posted back as `t`
  std::vector<std::pair<std::string, std::string>> ents;  ///< (idENT, name)
  std::string correlation_id;
};
std::string renderDiscovery(const DiscoveryPage& page);

/// Which of the publisher's resources, when the person is entitled to several and the publisher's
/// request named none (an opaque RelayState).
struct ResourceChoicePage {
  std::string publisher_name;
  std::string choice_token;  ///< posted back to /saml/idp/choose as `t`
  std::vector<std::pair<std::string, std::string>> resources;  ///< (resource id, title)
  std::string return_token;  ///< "cancel": posted to /saml/idp/return
  std::string correlation_id;
};
std::string renderResourceChoice(const ResourceChoicePage& page);

/// The end of a single logout where not every participant could be logged out
/// (docs/single-logout.md): who was, who could not be (no single logout at that site: the person
/// should close the browser) and whose logout failed, then the way back to the site that asked.
struct LogoutEndPage {
  std::vector<std::string> logged_out;  ///< display names
  std::vector<std::string> skipped;     ///< no SingleLogoutService
  std::vector<std::string> failed;
  /// The way back: a link (Redirect binding) or a form posted by a button (POST binding, whose
  /// page then needs kLogoutEndPostCsp); neither: the site that asked cannot be answered.
  std::string continue_url;
  std::string form_action;
  std::string form_field;
  std::string form_value;
  std::string form_relay_state;
  std::string correlation_id;
};
std::string renderLogoutEnd(const LogoutEndPage& page);

/// kPageCsp without form-action: the end page's form posts to the peer's SLO endpoint.
inline constexpr std::string_view kLogoutEndPostCsp =
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'";

}  // namespace garde::broker::flows
