#include "policy/preview.h"

#include <algorithm>

#include "policy/release.h"

namespace garde::policy {
namespace {

std::vector<std::string> releasedCodes(Profile profile, const ResourceContract& c,
                                       const PolicySnapshot& p) {
  std::vector<std::string> codes;
  for (auto& r : explain(profile, c, p).released) {
    codes.push_back(std::move(r.code));
  }
  return codes;
}

std::vector<std::string> minus(const std::vector<std::string>& a,
                               const std::vector<std::string>& b) {
  std::vector<std::string> out;
  std::copy_if(a.begin(), a.end(), std::back_inserter(out),
               [&](const std::string& x) { return std::find(b.begin(), b.end(), x) == b.end(); });
  return out;
}

}  // namespace

std::vector<PolicyImpact> previewPolicyChange(const PolicySnapshot& before,
                                              const PolicySnapshot& after,
                                              const std::vector<ResourceContract>& contracts) {
  std::vector<PolicyImpact> out;
  for (const auto& c : contracts) {
    for (const auto& [profile, declared] : c.declared) {
      const auto old_codes = releasedCodes(profile, c, before);
      const auto new_codes = releasedCodes(profile, c, after);
      PolicyImpact impact{c.resource_id, profile, c.status, minus(new_codes, old_codes),
                          minus(old_codes, new_codes)};
      if (!impact.gained.empty() || !impact.lost.empty()) {
        out.push_back(std::move(impact));
      }
    }
  }
  return out;
}

}  // namespace garde::policy
