#pragma once
// Hand-built policy inputs shared by the policy tests.

#include <string>

#include "policy/release.h"

namespace garde::test {

inline policy::PolicySnapshot ministryPolicy() {
  using policy::Profile;
  using policy::Sensitivity;
  policy::PolicySnapshot p;
  p.version = "2025-1";
  p.catalogue = {
      {"IDO", "pseudonym", Sensitivity::kTechnical, false},
      {"PRO", "profile", Sensitivity::kTechnical, false},
      {"UAI", "establishment", Sensitivity::kTechnical, false},
      {"PRE", "first name", Sensitivity::kPersonal, false},
      {"NOM", "last name", Sensitivity::kPersonal, false},
      {"CIV", "civility", Sensitivity::kPersonal, false},
      {"DIV", "classes", Sensitivity::kPersonal, true},
      {"GRO", "groups", Sensitivity::kPersonal, true},
      {"P_MEL", "staff e-mail", Sensitivity::kPersonal, true},
      {"E_MEF", "pupil level", Sensitivity::kPersonal, true},
  };
  for (const char* code : {"IDO", "PRO", "UAI", "PRE", "NOM", "DIV", "GRO", "E_MEF"}) {
    p.ceilings.allow(Profile::kElv, "*", code);
  }
  for (const char* code : {"IDO", "PRO", "UAI", "PRE", "NOM", "CIV", "DIV", "GRO", "P_MEL"}) {
    p.ceilings.allow(Profile::kEns, "*", code);
  }
  // A stricter category: tools get no names from pupils.
  for (const char* code : {"IDO", "PRO", "UAI"}) {
    p.ceilings.allow(Profile::kElv, "outil", code);
  }
  return p;
}

inline policy::PersonFacts pupil() {
  policy::PersonFacts f;
  f.ent_id = "ENTTEST1";
  f.ent_person_id = "elv-0001";
  f.uai = "0561534N";
  f.profile = policy::Profile::kElv;
  f.last_name = "Martin";
  f.first_name = "Léa";
  f.classes = {"3A"};
  f.groups = {"LATIN"};
  f.emails = {"lea@example.test"};
  return f;
}

inline policy::PersonFacts teacher() {
  policy::PersonFacts f;
  f.ent_id = "ENTTEST1";
  f.ent_person_id = "ens-0001";
  f.uai = "0561534N";
  f.profile = policy::Profile::kEns;
  f.last_name = "Durand";
  f.first_name = "Paul";
  f.civility = "M.";
  f.classes = {"3A", "4B"};
  f.emails = {"paul.durand@example.test"};
  return f;
}

inline policy::ResourceContract contractA() {
  using policy::Profile;
  policy::ResourceContract c;
  c.resource_id = "ark:/49591/resA";
  c.publisher_id = "123456789_0000000000000001";
  c.category = "manuel";
  c.status = policy::ContractStatus::kApproved;
  c.declared[Profile::kElv] = {{"IDO", "account"},
                               {"PRO", "adapt UI"},
                               {"UAI", "licences"},
                               {"DIV", "class workspace"},
                               {"P_MEL", "notifications"}};
  c.declared[Profile::kEns] = {{"IDO", "account"}, {"PRO", "adapt UI"}, {"UAI", "licences"},
                               {"NOM", "display"}, {"PRE", "display"},  {"P_MEL", "notifications"}};
  return c;
}

inline policy::Subscription subscription() {
  policy::Subscription s;
  s.id = "ABO_A_0561534N";
  s.publisher_id = "123456789_0000000000000001";
  s.resource_id = "ark:/49591/resA";
  s.valid_from = *policy::Date::parse("2025-09-01");
  s.valid_until = *policy::Date::parse("2026-07-14");
  s.uais = {"0561534N"};
  s.audiences = {policy::Audience::kEleve, policy::Audience::kEnseignant};
  s.assignment_type = policy::AssignmentType::kIndiv;
  s.assignments = {{policy::AssignmentTargetKind::kClass, "0561534N", "3A"}};
  return s;
}

inline policy::Pseudonymizer pseudonymizer(
    policy::PseudonymScope scope = policy::PseudonymScope::kPerPublisher,
    std::string version = "k1", std::string secret = std::string(32, 's')) {
  return policy::Pseudonymizer(
      {std::move(secret), std::move(version), scope, policy::PseudonymEncoding::kBase64Url});
}

}  // namespace garde::test
