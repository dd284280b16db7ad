#include "store/demo_data.h"

#include <set>
#include <vector>

#include "policy/contract.h"
#include "policy/policy_source.h"
#include "store/directory.h"
#include "store/policy_store.h"
#include "store/publishers.h"
#include "store/subscriptions.h"
#include "store/util.h"

namespace garde::store {
namespace {

using policy::Profile;

// docs/domain.md section 4, with the profiles each attribute exists for: a pupil has a level
// (MEF) and subjects followed, a teacher (and a teacher-librarian, who teaches too) subjects
// taught; classes and groups are the pupils' and their teachers'; e-mail is the staff's.
policy::CatalogueEntry entry(const char* code, const char* meaning, policy::Sensitivity sensitivity,
                             bool multi_valued, std::set<Profile> profiles = {}) {
  policy::CatalogueEntry e{code, meaning, sensitivity, multi_valued};
  if (!profiles.empty()) {
    e.profiles = std::move(profiles);
  }
  return e;
}

std::vector<policy::CatalogueEntry> ministryCatalogue() {
  using policy::Sensitivity;
  const std::set<Profile> staff = {Profile::kEns, Profile::kDoc, Profile::kDir,
                                   Profile::kEvs, Profile::kEta, Profile::kCol};
  const std::set<Profile> classroom = {Profile::kElv, Profile::kEns, Profile::kDoc};
  return {
      entry("IDO", "pseudonym for this publisher", Sensitivity::kTechnical, false),
      entry("PRO", "profile in the session's establishment", Sensitivity::kTechnical, false),
      entry("UAI", "establishment of the session", Sensitivity::kTechnical, false),
      entry("PRE", "first name", Sensitivity::kPersonal, false),
      entry("NOM", "last name", Sensitivity::kPersonal, false),
      entry("CIV", "civility", Sensitivity::kPersonal, false),
      entry("DIV", "classes (divisions) in the establishment", Sensitivity::kPersonal, true,
            classroom),
      entry("GRO", "groups in the establishment", Sensitivity::kPersonal, true, classroom),
      entry("P_MEL", "staff e-mail", Sensitivity::kPersonal, true, staff),
      entry("E_MEF", "pupil's level (MEF)", Sensitivity::kPersonal, true, {Profile::kElv}),
      entry("E_MAT", "subjects a pupil follows", Sensitivity::kPersonal, true, {Profile::kElv}),
      entry("P_MAT", "subjects a teacher teaches", Sensitivity::kPersonal, true,
            {Profile::kEns, Profile::kDoc}),
  };
}

// Default ceilings, for every category: pupils never get an e-mail or a civility; staff outside
// teaching get names and e-mail but no classes; local authority staff get no names.
policy::Ceilings defaultCeilings() {
  policy::Ceilings c;
  const std::string any(policy::kAnyCategory);
  for (const char* code : {"IDO", "PRO", "UAI", "PRE", "NOM", "DIV", "GRO", "E_MEF", "E_MAT"}) {
    c.allow(Profile::kElv, any, code);
  }
  for (Profile p : {Profile::kEns, Profile::kDoc}) {
    for (const char* code :
         {"IDO", "PRO", "UAI", "PRE", "NOM", "CIV", "DIV", "GRO", "P_MEL", "P_MAT"}) {
      c.allow(p, any, code);
    }
  }
  for (Profile p : {Profile::kDir, Profile::kEvs, Profile::kEta}) {
    for (const char* code : {"IDO", "PRO", "UAI", "PRE", "NOM", "CIV", "P_MEL"}) {
      c.allow(p, any, code);
    }
  }
  for (const char* code : {"IDO", "PRO", "UAI"}) {
    c.allow(Profile::kCol, any, code);
  }
  return c;
}

core::Result<bool> anyPolicy(Db& db) {
  GARDE_STORE_PREPARE(stmt, db, "SELECT 1 FROM policy_versions LIMIT 1");
  GARDE_STORE_STEP(found, stmt);
  return found;
}

core::Status seed(Db& db, const DemoPeers& peers) {
  const core::UnixTime at = peers.at;
  GARDE_TRY(loadMinistryDefaults(db, demo::kPolicyVersion, "demo", at));
  GARDE_TRY(upsertEnt(
      db,
      {demo::kEnt, "ENT de démonstration", peers.ent_idp_entity_id, peers.ent_idp_metadata_xml,
       peers.ent_identifier_source, peers.ent_identifier_name, peers.ent_sign_authn_requests},
      at));
  GARDE_TRY(upsertEstablishment(
      db, {demo::kUai, demo::kEnt, "Collège de démonstration", "RENNES", "340"}));

  GARDE_TRY(
      upsertPublisher(db, {demo::kPublisherA, "Éditions Démo A", peers.publisher_a_sp_entity_id,
                           peers.publisher_a_sp_metadata_xml, std::nullopt}));
  GARDE_TRY(upsertPublisher(db, {demo::kPublisherB, "Outils Démo B", peers.publisher_b_sp_entity_id,
                                 peers.publisher_b_sp_metadata_xml, std::nullopt}));
  GARDE_TRY(upsertResource(
      db, {demo::kResourceA, demo::kPublisherA, "Manuel de démonstration A",
           peers.publisher_a_base_url + "/resource", peers.publisher_a_base_url + "/login",
           "manuel", policy::LaunchMode::kBounce}));
  GARDE_TRY(upsertResource(
      db, {demo::kResourceA2, demo::kPublisherA, "Cahier d'exercices A",
           peers.publisher_a_base_url + "/cahier", peers.publisher_a_base_url + "/login",
           "exercices", policy::LaunchMode::kBounce}));
  GARDE_TRY(upsertResource(db, {demo::kResourceB, demo::kPublisherB, "Outil de démonstration B",
                                peers.publisher_b_base_url + "/resource", std::nullopt, "outil",
                                policy::LaunchMode::kDirect}));

  policy::ResourceContract a;
  a.resource_id = demo::kResourceA;
  a.publisher_id = demo::kPublisherA;
  a.category = "manuel";
  a.status = policy::ContractStatus::kApproved;
  a.declared[Profile::kElv] = {{"IDO", "user account and saved work"},
                               {"PRO", "pupil or teacher view"},
                               {"UAI", "licence accounting per establishment"},
                               {"DIV", "shared class workspace"}};
  a.declared[Profile::kEns] = {{"IDO", "user account and saved work"},
                               {"PRO", "pupil or teacher view"},
                               {"UAI", "licence accounting per establishment"},
                               {"NOM", "name shown to the teacher's pupils"},
                               {"PRE", "name shown to the teacher's pupils"},
                               {"P_MEL", "notice when pupils hand in work"}};
  GARDE_TRY(saveContract(db, a, "demo", "demo contract", at));

  // The exercise book shows the pupil's name on their work to their teacher.
  policy::ResourceContract a2;
  a2.resource_id = demo::kResourceA2;
  a2.publisher_id = demo::kPublisherA;
  a2.category = "exercices";
  a2.status = policy::ContractStatus::kApproved;
  a2.declared[Profile::kElv] = {{"IDO", "user account and saved work"},
                                {"PRO", "pupil view"},
                                {"UAI", "licence accounting per establishment"},
                                {"NOM", "name on the work handed in to the teacher"},
                                {"PRE", "name on the work handed in to the teacher"}};
  GARDE_TRY(saveContract(db, a2, "demo", "demo contract", at));

  policy::ResourceContract b;
  b.resource_id = demo::kResourceB;
  b.publisher_id = demo::kPublisherB;
  b.category = "outil";
  b.status = policy::ContractStatus::kApproved;
  for (Profile p : {Profile::kElv, Profile::kEns, Profile::kDoc}) {
    b.declared[p] = {{"IDO", "user account"}, {"PRO", "pupil or teacher view"}};
  }
  GARDE_TRY(saveContract(db, b, "demo", "demo contract", at));

  return saveContract(db, b, "demo", "demo contract", at);
}

}  // namespace

core::Status loadMinistryDefaults(Db& db, std::string_view version, std::string_view author,
                                  core::UnixTime at) {
  return detail::inTransaction(db, [&]() -> core::Status {
    // Only the entries missing: an entry the ministry changed through the admin API stays as
    // it is (store/catalogue.h), and adding one never widens a release (ADR 0023).
    int position = 0;
    for (const auto& e : ministryCatalogue()) {
      ++position;
      GARDE_STORE_PREPARE(known, db, "SELECT 1 FROM attribute_catalogue WHERE code = ?1");
      known.bind(1, e.code);
      GARDE_STORE_STEP(exists, known);
      if (!exists) {
        GARDE_TRY(upsertCatalogueEntry(db, e, position));
      }
    }
    GARDE_ASSIGN_OR_RETURN(const bool exists, anyPolicy(db));
    if (exists) {
      return {};
    }
    return publishPolicy(
        db, {std::string(version), std::string(author), "default ceilings", at, defaultCeilings()});
  });
}

core::Status loadDemoPartners(Db& db, const DemoPeers& peers) {
  return detail::inTransaction(db, [&] { return seed(db, peers); });
}

core::Status loadDemoAssignments(Db& db, core::UnixTime at) {
  // The assignment managers' work in a real deployment (docs/assignments.md); the demo has none.
  return detail::inTransaction(db, [&]() -> core::Status {
    GARDE_TRY(addAssignment(db, "DEMO_A_0561534N", demo::kUai, policy::AssignmentTargetKind::kClass,
                            "3A", "demo", at));
    GARDE_TRY(addAssignment(db, "DEMO_A_0561534N", demo::kUai,
                            policy::AssignmentTargetKind::kPerson, demo::kTeacher, "demo", at));
    return addAssignment(db, "DEMO_A2_0561534N", demo::kUai, policy::AssignmentTargetKind::kClass,
                         "3A", "demo", at);
  });
}

}  // namespace garde::store
