#pragma once
/// @file Entitlement inputs: an establishment's subscriptions to a resource and their assignments.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/date.h"
#include "policy/profile.h"

namespace garde::policy {

/// typeAffectation: INDIV (licences assigned one by one, to people, classes or groups) or ETABL
/// (the whole establishment, for the audiences of publicCible).
enum class AssignmentType { kIndiv, kEtabl };
std::string_view assignmentTypeCode(AssignmentType t) noexcept;  ///< "INDIV" | "ETABL"
std::optional<AssignmentType> parseAssignmentType(std::string_view code) noexcept;

enum class AssignmentTargetKind { kPerson, kClass, kGroup, kEstablishment };
std::string_view assignmentTargetKindCode(
    AssignmentTargetKind k) noexcept;  ///< person|class|group|establishment
std::optional<AssignmentTargetKind> parseAssignmentTargetKind(std::string_view code) noexcept;

/// A licence of a subscription given, in establishment `uai`, to one target.
struct Assignment {
  AssignmentTargetKind kind = AssignmentTargetKind::kPerson;
  std::string uai;
  /// kPerson: the identifier at the ENT; kClass/kGroup: the class or group code in `uai`;
  /// kEstablishment: empty (the whole establishment, for the subscription's audiences).
  std::string target;
};

/// The parts of a GAR subscription (abonnement) that decide entitlement.
struct Subscription {
  std::string id;                   ///< idAbonnement
  std::string publisher_id;         ///< idDistributeurCom
  std::string resource_id;          ///< idRessource
  Date valid_from;                  ///< debutValidite, inclusive
  Date valid_until;                 ///< finValidite (or end of anneeFinValidite), inclusive
  std::vector<std::string> uais;    ///< uaiEtab
  std::vector<Audience> audiences;  ///< publicCible; empty means no audience at all
  AssignmentType assignment_type = AssignmentType::kIndiv;
  /// Assignments relevant to the person being decided (the store may pass more; policy filters).
  std::vector<Assignment> assignments;
};

}  // namespace garde::policy
