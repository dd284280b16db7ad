#include "policy/contract.h"

namespace garde::policy {

std::string_view launchModeCode(LaunchMode mode) noexcept {
  return mode == LaunchMode::kDirect ? "direct" : "bounce";
}

std::optional<LaunchMode> parseLaunchMode(std::string_view code) noexcept {
  if (code == "bounce") {
    return LaunchMode::kBounce;
  }
  if (code == "direct") {
    return LaunchMode::kDirect;
  }
  return std::nullopt;
}

std::string_view contractStatusCode(ContractStatus status) noexcept {
  switch (status) {
    case ContractStatus::kSubmitted:
      return "submitted";
    case ContractStatus::kApproved:
      return "approved";
    case ContractStatus::kSuspended:
      return "suspended";
  }
  return "";
}

std::optional<ContractStatus> parseContractStatus(std::string_view code) noexcept {
  for (auto s :
       {ContractStatus::kSubmitted, ContractStatus::kApproved, ContractStatus::kSuspended}) {
    if (contractStatusCode(s) == code) {
      return s;
    }
  }
  return std::nullopt;
}

const std::vector<DeclaredAttribute>* ResourceContract::declaredFor(Profile profile) const {
  auto it = declared.find(profile);
  return it == declared.end() ? nullptr : &it->second;
}

}  // namespace garde::policy
