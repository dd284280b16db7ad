#pragma once
/// @file What GET, POST /saml/idp/sso decides once the publisher's AuthnRequest is verified and
/// its resource known, as data: which ENT the browser goes to, or the discovery page, or an
/// immediate NoPassive. A pure function of its inputs (no Request, no Response, no I/O), tested on
/// its own (tests/broker/sso_decision_test.cpp). handleIdpSso (idp_sso.cpp) parses, calls it,
/// then renders.

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "broker/flows/state.h"
#include "core/result.h"

namespace garde::broker::flows {

/// Where the ENT may come from, in the order they are tried.
struct SsoRouteInputs {
  /// The launch cookie, when it was minted for one of this publisher's resources (a cookie of
  /// another publisher's tile is dropped before).
  std::optional<LaunchState> launch;
  std::optional<std::string> hint;          ///< `ent=` or `idENT=` (decoded) in the query
  std::optional<std::string> remembered;    ///< the garde_ent cookie, decoded
  bool is_passive = false;                  ///< the publisher's IsPassive
  std::span<const std::string> known_ents;  ///< the ENT registry's idENTs
};

struct SsoRoute {
  enum class Next {
    kEntLeg,     ///< to `ent_id` (and `uai`, from the launch cookie, else empty)
    kDiscovery,  ///< the user chooses the ENT
    kNoPassive,  ///< IsPassive, but the ENT choice needs a page (SAML2 Core 3.4.1)
    kRefuse,     ///< `error`, `reason`
  };
  Next next = Next::kEntLeg;
  std::string ent_id;
  std::string uai;
  std::optional<core::Error> error;
  std::string_view reason;
  std::string_view why;  ///< kNoPassive: for the log
};

/// The launch cookie names the ENT and the establishment (no discovery); else the hint, else the
/// remembered choice; a hint or remembered choice of an ENT we do not know is dropped, a launch
/// cookie's is refused (`unknown_ent`). Without an ENT: the only one when there is one, else
/// NoPassive for a passive request, else the discovery page.
SsoRoute decideSsoRoute(const SsoRouteInputs& in);

}  // namespace garde::broker::flows
