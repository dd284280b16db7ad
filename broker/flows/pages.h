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

}  // namespace garde::broker::flows
