#include "policy/preview.h"

#include <algorithm>
#include <iterator>

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

std::vector<PolicyImpact> previewContractChange(const PolicySnapshot& policy,
                                                const std::vector<ResourceContract>& before,
                                                const std::vector<ResourceContract>& after) {
  const auto flowing = [&](const ResourceContract* c, Profile profile) {
    return c != nullptr && c->status == ContractStatus::kApproved && c->declaredFor(profile)
               ? releasedCodes(profile, *c, policy)
               : std::vector<std::string>();
  };
  const auto find = [](const std::vector<ResourceContract>& in, const std::string& id) {
    const auto it = std::find_if(in.begin(), in.end(),
                                 [&](const ResourceContract& c) { return c.resource_id == id; });
    return it == in.end() ? nullptr : &*it;
  };
  std::vector<std::string> ids;
  for (const auto* list : {&after, &before}) {
    for (const auto& c : *list) {
      if (std::find(ids.begin(), ids.end(), c.resource_id) == ids.end()) {
        ids.push_back(c.resource_id);
      }
    }
  }
  std::vector<PolicyImpact> out;
  for (const auto& id : ids) {
    const ResourceContract* b = find(before, id);
    const ResourceContract* a = find(after, id);
    for (const Profile profile : kAllProfiles) {
      const auto old_codes = flowing(b, profile);
      const auto new_codes = flowing(a, profile);
      PolicyImpact impact{id, profile, a != nullptr ? a->status : ContractStatus::kSuspended,
                          minus(new_codes, old_codes), minus(old_codes, new_codes)};
      if (!impact.gained.empty() || !impact.lost.empty()) {
        out.push_back(std::move(impact));
      }
    }
  }
  return out;
}

std::vector<CeilingChange> diffCeilings(const Ceilings& before, const Ceilings& after,
                                        const std::set<std::string>& categories) {
  std::set<std::string> all = categories;
  all.insert(std::string(kAnyCategory));
  for (const Ceilings* c : {&before, &after}) {
    for (const auto& [key, codes] : c->rows()) {
      all.insert(key.second);
    }
  }
  std::vector<CeilingChange> out;
  for (const Profile profile : kAllProfiles) {
    for (const auto& category : all) {
      const std::set<std::string>& b = before.allowed(profile, category);
      const std::set<std::string>& a = after.allowed(profile, category);
      CeilingChange change{profile, category, {}, {}};
      std::set_difference(a.begin(), a.end(), b.begin(), b.end(),
                          std::back_inserter(change.gained));
      std::set_difference(b.begin(), b.end(), a.begin(), a.end(),
                          std::back_inserter(change.lost));
      if (!change.gained.empty() || !change.lost.empty()) {
        out.push_back(std::move(change));
      }
    }
  }
  return out;
}

bool widens(const std::vector<CeilingChange>& changes) {
  return std::any_of(changes.begin(), changes.end(),
                     [](const CeilingChange& c) { return !c.gained.empty(); });
}

}  // namespace garde::policy
