#include "policy/subscription.h"

namespace garde::policy {

std::string_view assignmentTypeCode(AssignmentType t) noexcept {
  return t == AssignmentType::kEtabl ? "ETABL" : "INDIV";
}

std::optional<AssignmentType> parseAssignmentType(std::string_view code) noexcept {
  if (code == "INDIV") {
    return AssignmentType::kIndiv;
  }
  if (code == "ETABL") {
    return AssignmentType::kEtabl;
  }
  return std::nullopt;
}

std::string_view assignmentTargetKindCode(AssignmentTargetKind k) noexcept {
  switch (k) {
    case AssignmentTargetKind::kPerson:
      return "person";
    case AssignmentTargetKind::kClass:
      return "class";
    case AssignmentTargetKind::kGroup:
      return "group";
    case AssignmentTargetKind::kEstablishment:
      return "establishment";
  }
  return "";
}

std::optional<AssignmentTargetKind> parseAssignmentTargetKind(std::string_view code) noexcept {
  for (auto k : {AssignmentTargetKind::kPerson, AssignmentTargetKind::kClass,
                 AssignmentTargetKind::kGroup, AssignmentTargetKind::kEstablishment}) {
    if (assignmentTargetKindCode(k) == code) {
      return k;
    }
  }
  return std::nullopt;
}

}  // namespace garde::policy
