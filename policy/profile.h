#pragma once
/// @file Profiles (docs/domain.md section 3) and the subscription API's audience words. Pure.

#include <optional>
#include <string_view>

namespace garde::policy {

/// A person's profile in one establishment: the GAR's National_* codes.
enum class Profile {
  kElv,  ///< National_elv, pupil
  kEns,  ///< National_ens, teacher
  kDoc,  ///< National_doc, teacher-librarian
  kDir,  ///< National_dir, head
  kEvs,  ///< National_evs, school life
  kEta,  ///< National_eta, other staff
  kCol,  ///< National_col, local authority
};

/// Every profile, in the order used for listings and for picking a default (pupil first).
inline constexpr Profile kAllProfiles[] = {Profile::kElv, Profile::kEns, Profile::kDoc,
                                           Profile::kDir, Profile::kEvs, Profile::kEta,
                                           Profile::kCol};

/// "National_elv"... The value released as PRO.
std::string_view profileCode(Profile profile) noexcept;
/// Parses a National_* code (exact, case-sensitive); nullopt when unknown.
std::optional<Profile> parseProfile(std::string_view code) noexcept;

/// The subscription API's audience words (publicCible, docs/domain.md section 7).
enum class Audience { kEleve, kEnseignant, kDocumentaliste, kAutrePersonnel };

/// "ELEVE", "ENSEIGNANT", "DOCUMENTALISTE", "AUTRE PERSONNEL".
std::string_view audienceCode(Audience audience) noexcept;
std::optional<Audience> parseAudience(std::string_view code) noexcept;

/// The audience a profile belongs to: elv -> ELEVE, ens -> ENSEIGNANT, doc -> DOCUMENTALISTE, every
/// other profile (dir, evs, eta, col) -> AUTRE PERSONNEL.
Audience audienceOf(Profile profile) noexcept;

}  // namespace garde::policy
