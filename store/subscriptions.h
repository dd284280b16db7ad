#pragma once
/// @file Subscriptions (abonnements, docs/domain.md section 7) and their assignments (section 8).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "policy/person_facts.h"
#include "policy/subscription.h"
#include "store/db.h"

namespace garde::store {

/// Every field of a GAR subscription that garde keeps.
struct SubscriptionRecord {
  std::string id;            ///< idAbonnement
  std::string publisher_id;  ///< idDistributeurCom
  std::string resource_id;   ///< idRessource (typeIdRessource ark)
  std::string resource_label;
  std::string comment;
  policy::Date valid_from;  ///< debutValidite (day)
  policy::Date
      valid_until;  ///< finValidite, or the end of anneeFinValidite, computed by the caller
  std::optional<std::string> end_school_year;  ///< anneeFinValidite as sent ("2025-2026")
  std::vector<std::string> uais;               ///< uaiEtab
  std::optional<std::string> nature_code;      ///< codeNatureUAI
  std::string category = "transferable";       ///< categorieAffectation
  policy::AssignmentType assignment_type = policy::AssignmentType::kIndiv;
  std::optional<std::int64_t> licences_global;                 ///< nbLicenceGlobale as a number
  bool licences_unlimited = false;                             ///< nbLicenceGlobale = ILLIMITE
  std::vector<policy::Audience> audiences;                     ///< publicCible
  std::map<policy::Audience, std::int64_t> audience_licences;  ///< nbLicenceEleve...
  std::optional<std::string> project_code;                     ///< codeProjetRessource
};

/// Creates a subscription (PUT). kConflict when the id exists or a constraint fails (unknown
/// publisher or resource, bad dates).
core::Status createSubscription(Db& db, const SubscriptionRecord& s, core::UnixTime at);
/// Updates a subscription (POST): every field but the establishments, which cannot change.
/// kNotFound when unknown.
core::Status updateSubscription(Db& db, const SubscriptionRecord& s, core::UnixTime at);
/// kNotFound when unknown; its assignments go with it.
core::Status deleteSubscription(Db& db, std::string_view id);
core::Result<SubscriptionRecord> findSubscription(Db& db, std::string_view id);

/// Filters of the subscription API's listing (POST /abonnements); unset fields match everything.
struct SubscriptionFilter {
  std::optional<std::string> publisher_id =
      std::nullopt;  ///< idDistributeurCom (the caller's own, always set by the API)
  std::optional<std::string> id = std::nullopt;   ///< idAbonnement
  std::optional<std::string> uai = std::nullopt;  ///< uaiEtab
  std::optional<policy::Date> active_from =
      std::nullopt;  ///< subscriptions still valid on or after this day
  std::optional<policy::Date> active_until =
      std::nullopt;  ///< subscriptions starting on or before this day
};
/// Matching subscriptions, by id, at most `limit`.
core::Result<std::vector<SubscriptionRecord>> listSubscriptions(Db& db,
                                                                const SubscriptionFilter& filter,
                                                                int limit = 1000);

/// Ids of the resources that an establishment has any subscription to (whatever the dates), for the
/// médiacentre listing: the caller then checks entitlement per resource with
/// policy::checkEntitlement.
core::Result<std::vector<std::string>> listSubscribedResourceIds(Db& db, std::string_view uai);

/// Assigns a licence of `subscription_id` in `uai` (the establishment's assignment manager's act).
/// @param target kPerson: the identifier at the ENT of the establishment; kClass/kGroup: the code;
///               kEstablishment: ignored.
/// kNotFound when the person, class or group is unknown in that establishment; kConflict when
/// `uai` is not covered by the subscription.
core::Status addAssignment(Db& db, std::string_view subscription_id, std::string_view uai,
                           policy::AssignmentTargetKind kind, std::string_view target,
                           std::string_view assigned_by, core::UnixTime at);

/// Assignment report line: how many assignments of each kind a subscription has in an
/// establishment.
struct AssignmentCount {
  std::string subscription_id;
  std::string uai;
  policy::AssignmentTargetKind kind = policy::AssignmentTargetKind::kPerson;
  std::int64_t count = 0;
};
/// Assignment report of a publisher's subscriptions (docs/domain.md section 8), by subscription,
/// UAI, kind.
core::Result<std::vector<AssignmentCount>> assignmentReport(Db& db, std::string_view publisher_id);

/// The subscriptions of `person.uai` to `resource_id` whatever their dates (the release rule says
/// "expired" rather than "none"), each with only the assignments that concern the person: to them,
/// to a class or group they belong to, or to the establishment. Each one's `uais` is
/// `{person.uai}` alone, not every establishment it covers (the decision reads no other; a
/// subscription by codeNatureUAI covers thousands), so the cost does not grow with the directory.
core::Result<std::vector<policy::Subscription>> findLaunchSubscriptions(
    Db& db, std::string_view resource_id, const policy::PersonFacts& person);

/// The same for every resource at once: the subscriptions of `person.uai`, by resource id then
/// subscription id, each with only the assignments that concern the person (the médiacentre).
core::Result<std::vector<policy::Subscription>> findEstablishmentSubscriptions(
    Db& db, const policy::PersonFacts& person);

}  // namespace garde::store
