#pragma once
/// @file The typed records of a GAR-ENT directory feed (docs/feeds.md): what the parser
/// (connectors/feed/) reads from the files and the import (store/feed_import.h) stages and applies.
/// Plain values; the parser fills them, nothing here reads XML. Only the fields garde stores are
/// kept (docs/data-model.md, "Not stored").

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace garde::store {

/// GAREtab: an establishment of the ENT project.
struct FeedEstablishment {
  std::string uai;
  std::string name;  ///< GARStructureNomCourant
};

/// GARMEF (second degree): a MEF taught in an establishment, with its label.
struct FeedEstablishmentMef {
  std::string uai;
  std::string code;
  std::string label;
};

/// GARMatiere (second degree): a subject of an establishment, with its label.
struct FeedEstablishmentSubject {
  std::string uai;
  std::string code;
  std::string label;
};

/// GAREleve or GAREnseignant: a person with a profile per establishment.
struct FeedPerson {
  bool teacher = false;  ///< from a GAR-ENT-Enseignant file
  std::string id;        ///< GARPersonIdentifiant
  std::string last_name;
  std::string first_name;
  std::string civility;                                       ///< "", "M." or "Mme"
  std::vector<std::pair<std::string, std::string>> profiles;  ///< (UAI, profile code)
  std::vector<std::string> establishments;                    ///< GARPersonEtab
  std::vector<std::string> emails;                            ///< GARPersonMail
};

/// GARPersonMEF (second degree) or GARPersonMEFSTAT4 (primary): a MEF of a person in an
/// establishment.
struct FeedPersonMef {
  std::string uai;
  std::string person_id;
  std::string code;
};

/// GAREleveEnseignement: a subject a pupil follows in an establishment.
struct FeedPupilSubject {
  std::string uai;
  std::string person_id;
  std::string code;
};

/// GARGroupe: a class (status DIVISION) or a group (GROUPE) of an establishment.
struct FeedGroup {
  std::string uai;
  std::string code;
  std::string label;
  bool division = false;  ///< GARGroupeStatut DIVISION; GROUPE otherwise
};

/// GARPersonGroupe: a person is a member of a class or group.
struct FeedMembership {
  std::string uai;
  std::string person_id;
  std::string group_code;
};

/// GAREnsClasseMatiere or GAREnsGroupeMatiere: the subjects a teacher teaches in a class or group.
struct FeedTeacherSubjects {
  std::string uai;
  std::string person_id;
  std::string group_code;
  std::vector<std::string> subjects;
};

/// GARRespAff: an assignment manager and the establishments where they assign licences.
struct FeedManager {
  std::string id;
  std::string last_name;
  std::string first_name;
  std::string civility;
  std::vector<std::string> emails;
  std::vector<std::string> establishments;  ///< GARRespAffEtab
};

using FeedRecord = std::variant<FeedEstablishment, FeedEstablishmentMef, FeedEstablishmentSubject,
                                FeedPerson, FeedPersonMef, FeedPupilSubject, FeedGroup,
                                FeedMembership, FeedTeacherSubjects, FeedManager>;

/// Where a record or a problem comes from: the index of the file in the import's file list and
/// the line of the record's element (1-based; 0 when not known).
struct FeedPosition {
  std::uint32_t file = 0;
  std::uint32_t line = 0;
};

/// Something wrong with the feed, where it is. `code` is a core::errorCodeName word.
struct FeedProblem {
  FeedPosition at;
  std::string code;
  std::string message;
};

}  // namespace garde::store
