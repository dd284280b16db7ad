#pragma once
/// @file The directory: ENTs, establishments, people, classes and groups (docs/data-model.md).
/// Functions take the Db explicitly and run in the caller's transaction when there is one.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "policy/person_facts.h"
#include "policy/profile.h"
#include "store/db.h"

namespace garde::store {

struct Ent {
  std::string id;  ///< idENT, e.g. ENTTEST1
  std::string name;
  std::optional<std::string> idp_entity_id;     ///< the ENT IdP's entityID
  std::optional<std::string> idp_metadata_xml;  ///< its metadata, as onboarded
  /// Where its assertions carry the person's identifier (GARPersonIdentifiant): "name_id" (the
  /// NameID, of the format `identifier_name`, asked for as NameIDPolicy) or "attribute" (the
  /// saml:Attribute whose Name or FriendlyName is `identifier_name`).
  std::string identifier_source = "name_id";
  std::string identifier_name = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
  /// "metadata": our AuthnRequests are signed when its IdP metadata says WantAuthnRequestsSigned;
  /// "always": every one is.
  std::string sign_authn_requests = "metadata";
};

struct Establishment {
  std::string uai;
  std::string ent_id;
  std::string name;
  std::optional<std::string> academy;
  std::optional<std::string> nature_code;  ///< codeNatureUAI
};

/// A person's own row; per-establishment facts are written with the functions below.
struct Person {
  std::string ent_id;
  std::string ent_person_id;  ///< GARPersonIdentifiant
  std::string last_name;
  std::string first_name;
  std::string civility;  ///< "", "M." or "Mme"
};

enum class GroupKind { kClass, kGroup };  ///< GARGroupeStatut DIVISION | GROUPE

/// Creates or updates an ENT (kConflict when its idp_entity_id belongs to another ENT).
core::Status upsertEnt(Db& db, const Ent& ent, core::UnixTime at);
/// Every ENT, by idENT (`garde ent list`).
core::Result<std::vector<Ent>> listEnts(Db& db);
/// kUnknownPeer when there is no ENT with this idENT.
core::Result<Ent> findEnt(Db& db, std::string_view ent_id);
/// kUnknownPeer when no ENT has this IdP entityID.
core::Result<Ent> findEntByIdpEntityId(Db& db, std::string_view idp_entity_id);

core::Status upsertEstablishment(Db& db, const Establishment& establishment,
                                 std::optional<std::int64_t> feed_id = std::nullopt);
/// kNotFound when unknown.
core::Result<Establishment> findEstablishment(Db& db, std::string_view uai);

/// Every establishment (GET /etablissements for publishers), by UAI.
core::Result<std::vector<Establishment>> listEstablishments(Db& db);

/// The establishments of `ent_id` where the person (ENT, identifier at the ENT) holds a profile,
/// by UAI, in one query. kUnknownUser when the ENT has no such person.
core::Result<std::vector<std::string>> listPersonEstablishments(Db& db, std::string_view ent_id,
                                                                std::string_view ent_person_id);

/// Creates or updates a person by directory key; returns the row id. `feed_id` tags the row.
core::Result<std::int64_t> upsertPerson(Db& db, const Person& person,
                                        std::optional<std::int64_t> feed_id = std::nullopt);
/// Adds a profile in an establishment (idempotent). kConflict when the establishment is unknown.
core::Status addPersonProfile(Db& db, std::int64_t person_id, std::string_view uai,
                              policy::Profile profile,
                              std::optional<std::int64_t> feed_id = std::nullopt);
core::Status addPersonEmail(Db& db, std::int64_t person_id, std::string_view email);
core::Status addPersonMef(Db& db, std::int64_t person_id, std::string_view uai,
                          std::string_view mef);
/// role: true for a subject the person teaches (P_MAT), false for one a pupil follows (E_MAT).
core::Status addPersonSubject(Db& db, std::int64_t person_id, std::string_view uai,
                              std::string_view subject, bool taught);

/// Creates or updates a class or group of an establishment; returns its row id.
core::Result<std::int64_t> upsertGroup(Db& db, std::string_view uai, std::string_view code,
                                       GroupKind kind, std::string_view label,
                                       std::optional<std::int64_t> feed_id = std::nullopt);
core::Status addGroupMember(Db& db, std::int64_t group_id, std::int64_t person_id);

/// Removes a person's per-establishment facts (profiles, e-mails, MEFs, subjects, memberships)
/// before a feed writes them again. Assignments to the person stay (they reference the person, not
/// facts).
core::Status clearPersonFacts(Db& db, std::int64_t person_id);

/// Ends a full snapshot of an ENT (docs/domain.md section 6): deletes that ENT's people, profiles
/// and groups that `feed_id` did not write. Their memberships and assignments go with them
/// (cascade). Call inside the import's transaction, after every file of the snapshot is written.
/// @return the number of people removed.
core::Result<std::int64_t> pruneDirectory(Db& db, std::string_view ent_id, std::int64_t feed_id);

/// What a launch needs to know of a person, for one establishment of their ENT.
/// @param wanted the profile to use when the person has several in `uai` (e.g. from the ENT's
///               assertion); without it, the first in policy::kAllProfiles order.
/// @return kUnknownUser when (ent_id, ent_person_id) is not in the directory; kNotEntitled when the
///         person has no profile (or not `wanted`) in `uai`, or `uai` is not an establishment of
///         that ENT.
core::Result<policy::PersonFacts> findPersonFacts(
    Db& db, std::string_view ent_id, std::string_view ent_person_id, std::string_view uai,
    std::optional<policy::Profile> wanted = std::nullopt);

/// Feed bookkeeping: a feed import starts (status 'importing') and ends ('imported' or 'failed').
core::Result<std::int64_t> beginFeed(Db& db, std::string_view ent_id, std::string_view kind,
                                     std::string_view file_name, core::UnixTime at);
core::Status finishFeed(Db& db, std::int64_t feed_id, bool ok, std::int64_t item_count,
                        std::string_view report, core::UnixTime at);

}  // namespace garde::store
