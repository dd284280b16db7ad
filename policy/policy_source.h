#pragma once
/// @file The ministry's policy as data: the attribute catalogue and the ceilings, under one
/// version, and the interface through which policy reads them (implemented by
/// store::SqlPolicySource).

#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "policy/profile.h"

namespace garde::policy {

/// The known attribute codes (docs/domain.md section 4). The catalogue is data: codes are strings
/// and a deployment may add more; these constants only name the ones garde knows how to fill.
namespace attr {
inline constexpr std::string_view kIdo = "IDO";
inline constexpr std::string_view kPro = "PRO";
inline constexpr std::string_view kUai = "UAI";
inline constexpr std::string_view kPre = "PRE";
inline constexpr std::string_view kNom = "NOM";
inline constexpr std::string_view kCiv = "CIV";
inline constexpr std::string_view kDiv = "DIV";
inline constexpr std::string_view kGro = "GRO";
inline constexpr std::string_view kPMel = "P_MEL";
inline constexpr std::string_view kEMef = "E_MEF";
inline constexpr std::string_view kEMat = "E_MAT";
inline constexpr std::string_view kPMat = "P_MAT";
}  // namespace attr

enum class Sensitivity {
  kTechnical,  ///< no personal meaning outside garde (a pseudonym, a profile, a UAI)
  kPersonal,   ///< identifies or describes a person (names, classes, e-mail)
  kSensitive,  ///< would need a specific ministry decision (reserved; none by default)
};
std::string_view sensitivityCode(
    Sensitivity s) noexcept;  ///< "technical" | "personal" | "sensitive"
std::optional<Sensitivity> parseSensitivity(std::string_view code) noexcept;

/// One entry of the attribute catalogue: an attribute the ministry allows to exist at all, and the
/// profiles it exists for (a pupil has no subjects taught, a teacher no MEF).
struct CatalogueEntry {
  std::string code;
  std::string meaning;
  Sensitivity sensitivity = Sensitivity::kPersonal;
  bool multi_valued = false;
  /// The profiles the attribute exists for; never released for another (docs/domain.md section
  /// 4). Every profile unless said otherwise.
  std::set<Profile> profiles{std::begin(kAllProfiles), std::end(kAllProfiles)};

  bool existsFor(Profile profile) const { return profiles.count(profile) != 0; }
};

/// Category of resource matched by a ceiling row that applies to every category of resource; an
/// exact category row wins over it.
inline constexpr std::string_view kAnyCategory = "*";

/// The ministry's ceilings: per profile and resource category, the attribute codes that may ever be
/// released. A (profile, category) pair with rows for the exact category uses only those; otherwise
/// the (profile, "*") rows apply; with neither, nothing may be released.
class Ceilings {
 public:
  /// Allows `code` for (profile, category); category may be kAnyCategory.
  void allow(Profile profile, std::string category, std::string code);
  /// True when `code` is within the ceiling of (profile, category).
  bool allows(Profile profile, std::string_view category, std::string_view code) const;
  /// The allowed codes for (profile, category) after the fallback rule above.
  const std::set<std::string>& allowed(Profile profile, std::string_view category) const;
  /// Every row, for listing and for copying into a new version.
  const std::map<std::pair<Profile, std::string>, std::set<std::string>, std::less<>>& rows()
      const {
    return rows_;
  }

 private:
  std::map<std::pair<Profile, std::string>, std::set<std::string>, std::less<>> rows_;
};

/// Everything the release rule needs from the ministry's policy, read at once so that a decision
/// sees one consistent version.
struct PolicySnapshot {
  std::string version;                    ///< the policy version recorded with each decision
  std::vector<CatalogueEntry> catalogue;  ///< in display order
  Ceilings ceilings;

  const CatalogueEntry* findInCatalogue(std::string_view code) const;
};

/// Where the current policy comes from. Implemented by store::SqlPolicySource; tests use a snapshot
/// built by hand. Implementations say whether they are thread-safe.
class PolicySource {
 public:
  virtual ~PolicySource() = default;
  /// The current policy (catalogue, ceilings, version). kStoreError when it cannot be read.
  virtual core::Result<PolicySnapshot> currentPolicy() = 0;
};

}  // namespace garde::policy
