#pragma once
/// @file A resource's contract: what its publisher declared it strictly needs, per profile.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/profile.h"

namespace garde::policy {

/// How a launch reaches the resource (docs/domain.md section 5).
enum class LaunchMode {
  kBounce,  ///< 302 to the resource's login URL; its SP sends an AuthnRequest (the GAR's way)
  kDirect,  ///< the broker sends an unsolicited Response
};
std::string_view launchModeCode(LaunchMode mode) noexcept;  ///< "bounce" | "direct"
std::optional<LaunchMode> parseLaunchMode(std::string_view code) noexcept;

/// Where a contract stands. Only an approved contract lets anything be released.
enum class ContractStatus { kSubmitted, kApproved, kSuspended };
std::string_view contractStatusCode(
    ContractStatus status) noexcept;  ///< "submitted"|"approved"|"suspended"
std::optional<ContractStatus> parseContractStatus(std::string_view code) noexcept;

/// One attribute declared by the publisher, with the reason it says it needs it.
struct DeclaredAttribute {
  std::string code;
  std::string justification;
  bool operator==(const DeclaredAttribute&) const = default;
};

struct ResourceContract {
  std::string resource_id;   ///< the ARK
  std::string publisher_id;  ///< SIREN_ISNI
  std::string category;      ///< resource category, the key of the ceilings
  LaunchMode launch_mode = LaunchMode::kBounce;
  ContractStatus status = ContractStatus::kSubmitted;
  /// Declared attributes per profile. A profile absent from the map is not served by the resource.
  std::map<Profile, std::vector<DeclaredAttribute>> declared;

  /// The declarations for `profile`, or nullptr when the contract does not cover it.
  const std::vector<DeclaredAttribute>* declaredFor(Profile profile) const;
};

}  // namespace garde::policy
