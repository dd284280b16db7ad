#include "policy/profile.h"

#include <array>
#include <utility>

namespace garde::policy {
namespace {

constexpr std::array<std::pair<Profile, std::string_view>, 7> kProfileCodes{{
    {Profile::kElv, "National_elv"},
    {Profile::kEns, "National_ens"},
    {Profile::kDoc, "National_doc"},
    {Profile::kDir, "National_dir"},
    {Profile::kEvs, "National_evs"},
    {Profile::kEta, "National_eta"},
    {Profile::kCol, "National_col"},
}};

constexpr std::array<std::pair<Audience, std::string_view>, 4> kAudienceCodes{{
    {Audience::kEleve, "ELEVE"},
    {Audience::kEnseignant, "ENSEIGNANT"},
    {Audience::kDocumentaliste, "DOCUMENTALISTE"},
    {Audience::kAutrePersonnel, "AUTRE PERSONNEL"},
}};

}  // namespace

std::string_view profileCode(Profile profile) noexcept {
  for (const auto& [p, code] : kProfileCodes) {
    if (p == profile) {
      return code;
    }
  }
  return "";
}

std::optional<Profile> parseProfile(std::string_view code) noexcept {
  for (const auto& [p, c] : kProfileCodes) {
    if (c == code) {
      return p;
    }
  }
  return std::nullopt;
}

std::string_view audienceCode(Audience audience) noexcept {
  for (const auto& [a, code] : kAudienceCodes) {
    if (a == audience) {
      return code;
    }
  }
  return "";
}

std::optional<Audience> parseAudience(std::string_view code) noexcept {
  for (const auto& [a, c] : kAudienceCodes) {
    if (c == code) {
      return a;
    }
  }
  return std::nullopt;
}

Audience audienceOf(Profile profile) noexcept {
  switch (profile) {
    case Profile::kElv:
      return Audience::kEleve;
    case Profile::kEns:
      return Audience::kEnseignant;
    case Profile::kDoc:
      return Audience::kDocumentaliste;
    case Profile::kDir:
    case Profile::kEvs:
    case Profile::kEta:
    case Profile::kCol:
      break;
  }
  return Audience::kAutrePersonnel;
}

}  // namespace garde::policy
