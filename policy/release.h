#pragma once
/// @file The release rule (docs/domain.md section 9):
///   released(user, resource) = declared(resource, profile(user)) ∩ ceiling(profile(user),
///   category) only if entitled(user, resource, today); otherwise nothing is released and the
///   access is refused.
/// Pure: no SQL, no SAML, no clock; `today` is a parameter.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/contract.h"
#include "policy/date.h"
#include "policy/person_facts.h"
#include "policy/policy_source.h"
#include "policy/pseudonym.h"
#include "policy/subscription.h"

namespace garde::policy {

/// Why an access was refused. kNone when entitled. Values are stable: they appear in audit rows.
enum class Refusal {
  kNone,
  kContractNotApproved,      ///< the resource's contract is submitted or suspended
  kProfileNotInContract,     ///< the contract declares nothing for the person's profile
  kNoSubscription,           ///< no subscription of the establishment for this resource
  kSubscriptionNotYetValid,  ///< the best subscription starts after today
  kSubscriptionExpired,      ///< the best subscription ended before today
  kAudienceNotCovered,       ///< publicCible does not include the person's audience
  kNotAssigned,      ///< INDIV subscription not assigned to the person, their class/group or the
                     ///< establishment
  kPseudonymFailed,  ///< the person's pseudonym could not be computed (bad directory key)
};
/// "none", "contract_not_approved", ... (snake_case, for audit rows and metrics labels).
std::string_view refusalCode(Refusal r) noexcept;

/// Why a catalogue or declared attribute was not released.
enum class WithheldReason {
  kNotDeclared,     ///< the contract does not declare it for the profile
  kAboveCeiling,    ///< declared, but above the ministry's ceiling for (profile, category)
  kNotInCatalogue,  ///< declared, but not (or no longer) in the ministry's catalogue
  kNoValue,         ///< allowed, but the directory holds no value for this person
  kNotForProfile,   ///< declared, but the catalogue does not define it for the profile
};
/// "not_declared", "above_ceiling", "not_in_catalogue", "no_value", "not_for_profile": stable, they
/// appear in the explain API and in tests.
std::string_view withheldReasonCode(WithheldReason r) noexcept;

struct ReleasedAttribute {
  std::string code;
  std::vector<std::string> values;  ///< one AttributeValue each; never logged
};

struct WithheldAttribute {
  std::string code;
  WithheldReason reason = WithheldReason::kNotDeclared;
};

struct Decision {
  bool entitled = false;
  Refusal refusal = Refusal::kNone;
  std::string subscription_id;  ///< the subscription that entitled the person (empty when refused)
  std::vector<ReleasedAttribute> released;  ///< in catalogue order; empty when refused
  /// Every catalogue attribute not released and every declared code outside the catalogue, each
  /// with the first rule that left it out. Empty when refused (nothing is evaluated further).
  std::vector<WithheldAttribute> withheld;
  std::string policy_version;

  /// The released codes (names only), for the audit record.
  std::vector<std::string> releasedCodes() const;
};

/// The entitlement half of the rule: is `person` entitled to `contract`'s resource on `today`
/// through one of `subscriptions`? Returns the subscription id that entitles, or the most specific
/// refusal (from the subscription that passed the most checks: resource and establishment, dates,
/// audience, assignment). Contract status and profile coverage are checked first.
struct Entitlement {
  Refusal refusal = Refusal::kNone;
  std::string subscription_id;
};
Entitlement checkEntitlement(const PersonFacts& person, const ResourceContract& contract,
                             const std::vector<Subscription>& subscriptions, Date today);

/// The whole rule for one person and one resource.
/// @param person        the directory's facts for the person in the session's establishment
/// @param contract      the resource's contract
/// @param subscriptions the establishment's subscriptions to the resource, with their assignments
/// @param policy        the current catalogue, ceilings and version
/// @param pseudonyms    computes IDO for contract.publisher_id
/// @param today         the civil day of the access
Decision decide(const PersonFacts& person, const ResourceContract& contract,
                const std::vector<Subscription>& subscriptions, const PolicySnapshot& policy,
                const Pseudonymizer& pseudonyms, Date today);

/// One attribute that would be released by explain(), with the contract's justification.
struct ExplainedRelease {
  std::string code;
  std::string justification;
};

/// What a profile would receive from a resource, without a person (no values, no entitlement).
struct Explanation {
  bool profile_in_contract = false;
  ContractStatus contract_status = ContractStatus::kSubmitted;
  std::vector<ExplainedRelease> released;  ///< declared ∩ ceiling ∩ catalogue, in catalogue order
  std::vector<WithheldAttribute> withheld;  ///< never kNoValue here
  std::string policy_version;
};

Explanation explain(Profile profile, const ResourceContract& contract,
                    const PolicySnapshot& policy);

}  // namespace garde::policy
