// Sealed flow state and the one error mapping.

#include <catch2/catch.hpp>

#include "broker/flows/errors.h"
#include "broker/flows/state.h"
#include "core/random.h"

namespace {

using namespace garde;
using namespace garde::broker::flows;

const core::TokenSealer& sealer() {
  static const core::TokenSealer s(std::string(32, 'k'), 1, core::systemRandom());
  return s;
}

}  // namespace

TEST_CASE("A sealed transaction round-trips, and only for its purpose and lifetime",
          "[broker][flows][state]") {
  SsoTransaction tx;
  tx.ent_id = "ENTTEST1";
  tx.resource_id = "ark:/49591/x";
  tx.publisher_id = "123456789_0000000000000001";
  tx.publisher_request_id = "_req";
  tx.acs_url = "https://sp.test/acs";
  tx.relay_state = "https://sp.test/r?a=1&b=2";
  tx.ent_request_id = "_ours";
  tx.force_authn = true;
  auto token = sealTransaction(sealer(), purpose::kSso, tx, 1000);
  REQUIRE(token.has_value());
  auto back = unsealTransaction(sealer(), purpose::kSso, *token, 999);
  REQUIRE(back.has_value());
  CHECK(back->uai.empty());
  CHECK(back->publisher_request_id == "_req");
  CHECK(back->relay_state == tx.relay_state);
  CHECK(back->force_authn);
  CHECK_FALSE(back->is_passive);

  auto expired = unsealTransaction(sealer(), purpose::kSso, *token, 1000);
  REQUIRE_FALSE(expired.has_value());
  CHECK(expired.error().code == core::ErrorCode::kExpired);
  auto other = unsealTransaction(sealer(), purpose::kDiscovery, *token, 999);
  REQUIRE_FALSE(other.has_value());
  CHECK(other.error().code == core::ErrorCode::kForbidden);
  auto as_launch = unsealLaunch(sealer(), *token, 999);
  CHECK_FALSE(as_launch.has_value());

  tx.publisher_request_id.reset();
  auto unsolicited = unsealTransaction(sealer(), purpose::kSso,
                                       *sealTransaction(sealer(), purpose::kSso, tx, 1000), 999);
  REQUIRE(unsolicited.has_value());
  CHECK_FALSE(unsolicited->publisher_request_id.has_value());
}

TEST_CASE("A state field holding the separator is refused when sealing", "[broker][flows][state]") {
  LaunchState launch{
      "ENT\x1f"
      "X",
      "0561534N", "ark:/49591/x"};
  auto token = sealLaunch(sealer(), launch, 1000);
  REQUIRE_FALSE(token.has_value());
  CHECK(token.error().code == core::ErrorCode::kBadRequest);
}

TEST_CASE("Every error code maps to a status, a SAML status and words for the user",
          "[broker][flows][errors]") {
  for (int i = 0; i <= static_cast<int>(core::ErrorCode::kInternal); ++i) {
    const auto m = mapError(static_cast<core::ErrorCode>(i));
    CHECK(m.http_status >= 400);
    CHECK(m.saml_status.code == saml::status_code::kResponder);
    CHECK_FALSE(m.user_message.empty());
    CHECK_FALSE(m.reason.empty());
  }
  CHECK(mapError(core::ErrorCode::kUnknownUser).saml_status.sub_code ==
        saml::status_code::kUnknownPrincipal);
  CHECK(mapError(core::ErrorCode::kReplayed).saml_status.sub_code ==
        saml::status_code::kAuthnFailed);
  CHECK(mapError(core::ErrorCode::kNotEntitled).http_status == 403);
  CHECK(mapError(core::ErrorCode::kNotEntitled).saml_status.sub_code ==
        saml::status_code::kRequestDenied);
}
