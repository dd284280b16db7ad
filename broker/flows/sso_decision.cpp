#include "broker/flows/sso_decision.h"

#include <algorithm>

namespace garde::broker::flows {

SsoRoute decideSsoRoute(const SsoRouteInputs& in) {
  SsoRoute out;
  if (in.launch) {
    // The tile already said who and where: no discovery.
    out.ent_id = in.launch->ent_id;
    out.uai = in.launch->uai;
  } else if (in.hint) {
    out.ent_id = *in.hint;
  } else if (in.remembered) {
    out.ent_id = *in.remembered;
  }
  const auto known = [&in](const std::string& ent) {
    return std::find(in.known_ents.begin(), in.known_ents.end(), ent) != in.known_ents.end();
  };
  if (!out.ent_id.empty() && !known(out.ent_id)) {
    if (in.launch) {
      out.next = SsoRoute::Next::kRefuse;
      out.error = core::Error{core::ErrorCode::kUnknownPeer, "launch cookie names an unknown ENT"};
      out.reason = "unknown_ent";
      return out;
    }
    out.ent_id.clear();  // a stale hint or remembered choice: ask again
  }
  if (out.ent_id.empty()) {
    if (in.known_ents.size() == 1) {
      out.ent_id = in.known_ents.front();
    } else if (in.is_passive) {
      // SAML2 Core 3.4.1: with IsPassive we must not take control of the user interface, and the
      // discovery page would.
      out.next = SsoRoute::Next::kNoPassive;
      out.why = "IsPassive request needs the ENT choice";
      return out;
    } else {
      out.next = SsoRoute::Next::kDiscovery;
      return out;
    }
  }
  out.next = SsoRoute::Next::kEntLeg;
  return out;
}

}  // namespace garde::broker::flows
