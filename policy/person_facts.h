#pragma once
/// @file What the directory knows of one person in one establishment: the input of the release
/// rule.

#include <string>
#include <vector>

#include "policy/profile.h"

namespace garde::policy {

/// A person as seen for one session establishment. Filled by the store from the ENT's feeds; only
/// facts of that establishment appear (classes and groups of other establishments never leak).
struct PersonFacts {
  std::string ent_id;               ///< idENT of the ENT project that fed this person
  std::string ent_person_id;        ///< GARPersonIdentifiant: the identifier at that ENT
  std::string uai;                  ///< the session's establishment
  Profile profile = Profile::kElv;  ///< the person's profile in `uai`

  std::string last_name;                      ///< NOM
  std::string first_name;                     ///< PRE
  std::string civility;                       ///< CIV: "M." or "Mme", empty when unknown
  std::vector<std::string> classes;           ///< DIV: class (division) codes in `uai`
  std::vector<std::string> groups;            ///< GRO: group codes in `uai`
  std::vector<std::string> emails;            ///< P_MEL (staff only, per the ceilings)
  std::vector<std::string> mefs;              ///< E_MEF
  std::vector<std::string> pupil_subjects;    ///< E_MAT
  std::vector<std::string> teacher_subjects;  ///< P_MAT
};

}  // namespace garde::policy
