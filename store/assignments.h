#pragma once
/// @file What an establishment's assignment managers do (docs/assignments.md): who they are, the
/// licences a subscription has used and left, assigning and removing licences, with the
/// subscription's rules (ETABL needs no assignment, licence counts, non-transferable licences stay
/// where they were given).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "policy/profile.h"
#include "policy/subscription.h"
#include "store/db.h"

namespace garde::store {

/// The establishments where (ENT, identifier at the ENT) assigns licences, by UAI.
core::Result<std::vector<std::string>> managedEstablishments(Db& db, std::string_view ent_id,
                                                             std::string_view ent_person_id);
/// Makes (or with `manages` false, unmakes) a person an assignment manager of `uai` (an
/// operator's act; the RespAff feed replaces an ENT's managers with each snapshot, ADR 0015).
/// kConflict when the establishment is unknown.
core::Status setAssignmentManager(Db& db, std::string_view ent_id, std::string_view ent_person_id,
                                  std::string_view uai, bool manages);

/// How many people a subscription's assignments cover, per audience (across its establishments;
/// a person counts once per audience however many assignments cover them), and what is left.
struct LicenceUsage {
  std::map<policy::Audience, std::int64_t> used;
  std::int64_t used_total = 0;  ///< over the subscription's audiences (publicCible)
  bool unlimited = false;
  std::optional<std::int64_t> global;                     ///< nbLicenceGlobale
  std::map<policy::Audience, std::int64_t> per_audience;  ///< nbLicenceEleve...
  /// The first count exceeded ("ELEVE 31 > 30", "global 12 > 10"), or empty.
  std::string exceeded() const;
};
core::Result<LicenceUsage> licenceUsage(Db& db, std::string_view subscription_id);

/// One assignment as the establishment sees it.
struct AssignmentRow {
  std::int64_t id = 0;
  std::string subscription_id;
  std::string uai;
  policy::AssignmentTargetKind kind = policy::AssignmentTargetKind::kPerson;
  std::string target;  ///< identifier at the ENT, class or group code, "" for the establishment
  std::string assigned_by;
  std::string assigned_at;  ///< ISO 8601
};
/// The assignments in `uai`, of `subscription_id` only when it is not empty, by id.
core::Result<std::vector<AssignmentRow>> listAssignments(Db& db, std::string_view uai,
                                                         std::string_view subscription_id = {});

/// Assigns a licence (its own immediate transaction, so that two managers cannot both take the
/// last licence). Returns the assignment's id (the existing one when the same target was already
/// assigned). Errors: kNotFound (unknown subscription, person, class or group in `uai`),
/// kConflict (establishment not covered, an ETABL subscription, licences exhausted: the detail
/// says which count).
core::Result<std::int64_t> assignLicence(Db& db, std::string_view subscription_id,
                                         std::string_view uai, policy::AssignmentTargetKind kind,
                                         std::string_view target, std::string_view actor,
                                         core::UnixTime at);

/// Removes assignment `id` of establishment `uai`. kNotFound when there is none there; kConflict
/// when its subscription's licences are not transferable.
core::Status removeAssignment(Db& db, std::int64_t id, std::string_view uai);

/// A person or a class or group of an establishment, as a manager searches them.
struct DirectoryEntry {
  std::string kind;     ///< "person", "class", "group"
  std::string id;       ///< identifier at the ENT, or class/group code
  std::string label;    ///< "Last First" or the group's label
  std::string profile;  ///< person: National_* code in that establishment
};
/// People, classes and groups of `uai` whose name, code or identifier contains `query`
/// (case-insensitive for ASCII), at most `limit`, by kind then label.
core::Result<std::vector<DirectoryEntry>> searchEstablishmentDirectory(Db& db, std::string_view uai,
                                                                       std::string_view query,
                                                                       int limit = 50);

}  // namespace garde::store
