#include "policy/policy_source.h"

#include <algorithm>

namespace garde::policy {

std::string_view sensitivityCode(Sensitivity s) noexcept {
  switch (s) {
    case Sensitivity::kTechnical:
      return "technical";
    case Sensitivity::kPersonal:
      return "personal";
    case Sensitivity::kSensitive:
      return "sensitive";
  }
  return "";
}

std::optional<Sensitivity> parseSensitivity(std::string_view code) noexcept {
  for (Sensitivity s : {Sensitivity::kTechnical, Sensitivity::kPersonal, Sensitivity::kSensitive}) {
    if (sensitivityCode(s) == code) {
      return s;
    }
  }
  return std::nullopt;
}

void Ceilings::allow(Profile profile, std::string category, std::string code) {
  rows_[{profile, std::move(category)}].insert(std::move(code));
}

const std::set<std::string>& Ceilings::allowed(Profile profile, std::string_view category) const {
  static const std::set<std::string> kNone;
  // Heterogeneous lookup would need a custom comparator over pairs; categories are short strings.
  if (auto it = rows_.find(std::pair<Profile, std::string>{profile, std::string(category)});
      it != rows_.end()) {
    return it->second;
  }
  if (auto it = rows_.find(std::pair<Profile, std::string>{profile, std::string(kAnyCategory)});
      it != rows_.end()) {
    return it->second;
  }
  return kNone;
}

bool Ceilings::allows(Profile profile, std::string_view category, std::string_view code) const {
  const auto& codes = allowed(profile, category);
  return std::any_of(codes.begin(), codes.end(), [&](const std::string& c) { return c == code; });
}

const CatalogueEntry* PolicySnapshot::findInCatalogue(std::string_view code) const {
  for (const auto& entry : catalogue) {
    if (entry.code == code) {
      return &entry;
    }
  }
  return nullptr;
}

}  // namespace garde::policy
