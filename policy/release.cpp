#include "policy/release.h"

#include <algorithm>

namespace garde::policy {
namespace {

bool contains(const std::vector<std::string>& values, std::string_view v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

// The attribute half of the rule, shared by decide() and explain().
struct Analysis {
  std::vector<ExplainedRelease> releasable;  // declared ∩ ceiling ∩ catalogue, catalogue order
  std::vector<WithheldAttribute> withheld;
};

Analysis analyse(Profile profile, const ResourceContract& contract, const PolicySnapshot& policy) {
  Analysis out;
  static const std::vector<DeclaredAttribute> kNothing;
  const auto* declared_ptr = contract.declaredFor(profile);
  const auto& declared = declared_ptr != nullptr ? *declared_ptr : kNothing;
  auto find_declared = [&](std::string_view code) -> const DeclaredAttribute* {
    for (const auto& d : declared) {
      if (d.code == code) {
        return &d;
      }
    }
    return nullptr;
  };

  for (const auto& entry : policy.catalogue) {
    const DeclaredAttribute* d = find_declared(entry.code);
    if (d == nullptr) {
      out.withheld.push_back({entry.code, WithheldReason::kNotDeclared});
    } else if (!entry.existsFor(profile)) {
      // Before the ceiling: the ceilings cannot allow it for this profile
      // (store::checkCeilingCodes), and the catalogue's reason is the one to fix.
      out.withheld.push_back({entry.code, WithheldReason::kNotForProfile});
    } else if (!policy.ceilings.allows(profile, contract.category, entry.code)) {
      out.withheld.push_back({entry.code, WithheldReason::kAboveCeiling});
    } else {
      out.releasable.push_back({entry.code, d->justification});
    }
  }
  // A declaration the catalogue does not know (the ministry removed it, or a contract typo) is
  // never released; it is reported once.
  for (const auto& d : declared) {
    const bool reported = std::any_of(out.withheld.begin(), out.withheld.end(),
                                      [&](const WithheldAttribute& w) { return w.code == d.code; });
    if (policy.findInCatalogue(d.code) == nullptr && !reported) {
      out.withheld.push_back({d.code, WithheldReason::kNotInCatalogue});
    }
  }
  return out;
}

std::vector<std::string> one(const std::string& v) {
  return v.empty() ? std::vector<std::string>{} : std::vector<std::string>{v};
}

// The values of a releasable attribute; empty when the directory has none (or garde does not know
// how to fill a code the ministry added to the catalogue).
std::vector<std::string> valuesOf(std::string_view code, const PersonFacts& p) {
  if (code == attr::kPro) {
    return {std::string(profileCode(p.profile))};
  }
  if (code == attr::kUai) {
    return one(p.uai);
  }
  if (code == attr::kPre) {
    return one(p.first_name);
  }
  if (code == attr::kNom) {
    return one(p.last_name);
  }
  if (code == attr::kCiv) {
    return one(p.civility);
  }
  if (code == attr::kDiv) {
    return p.classes;
  }
  if (code == attr::kGro) {
    return p.groups;
  }
  if (code == attr::kPMel) {
    return p.emails;
  }
  if (code == attr::kEMef) {
    return p.mefs;
  }
  if (code == attr::kEMat) {
    return p.pupil_subjects;
  }
  if (code == attr::kPMat) {
    return p.teacher_subjects;
  }
  return {};
}

bool assigned(const PersonFacts& person, const Subscription& s) {
  if (s.assignment_type == AssignmentType::kEtabl) {
    return true;  // the whole establishment, for the audiences already checked
  }
  return std::any_of(s.assignments.begin(), s.assignments.end(), [&](const Assignment& a) {
    if (a.uai != person.uai) {
      return false;
    }
    switch (a.kind) {
      case AssignmentTargetKind::kPerson:
        return a.target == person.ent_person_id;
      case AssignmentTargetKind::kClass:
        return contains(person.classes, a.target);
      case AssignmentTargetKind::kGroup:
        return contains(person.groups, a.target);
      case AssignmentTargetKind::kEstablishment:
        return true;
    }
    return false;
  });
}

}  // namespace

std::string_view refusalCode(Refusal r) noexcept {
  switch (r) {
    case Refusal::kNone:
      return "none";
    case Refusal::kContractNotApproved:
      return "contract_not_approved";
    case Refusal::kProfileNotInContract:
      return "profile_not_in_contract";
    case Refusal::kNoSubscription:
      return "no_subscription";
    case Refusal::kSubscriptionNotYetValid:
      return "subscription_not_yet_valid";
    case Refusal::kSubscriptionExpired:
      return "subscription_expired";
    case Refusal::kAudienceNotCovered:
      return "audience_not_covered";
    case Refusal::kNotAssigned:
      return "not_assigned";
    case Refusal::kPseudonymFailed:
      return "pseudonym_failed";
  }
  return "";
}

std::string_view withheldReasonCode(WithheldReason r) noexcept {
  switch (r) {
    case WithheldReason::kNotDeclared:
      return "not_declared";
    case WithheldReason::kAboveCeiling:
      return "above_ceiling";
    case WithheldReason::kNotInCatalogue:
      return "not_in_catalogue";
    case WithheldReason::kNoValue:
      return "no_value";
    case WithheldReason::kNotForProfile:
      return "not_for_profile";
  }
  return "";
}

std::vector<std::string> Decision::releasedCodes() const {
  std::vector<std::string> codes;
  codes.reserve(released.size());
  for (const auto& r : released) {
    codes.push_back(r.code);
  }
  return codes;
}

Entitlement checkEntitlement(const PersonFacts& person, const ResourceContract& contract,
                             const std::vector<Subscription>& subscriptions, Date today) {
  if (contract.status != ContractStatus::kApproved) {
    return {Refusal::kContractNotApproved, {}};
  }
  if (contract.declaredFor(person.profile) == nullptr) {
    return {Refusal::kProfileNotInContract, {}};
  }
  // Each subscription goes through the checks in order; the refusal reported is the one of the
  // subscription that went furthest, the most useful to the user and the assignment manager.
  int best_stage = 0;
  Refusal best = Refusal::kNoSubscription;
  const Audience audience = audienceOf(person.profile);
  for (const auto& s : subscriptions) {
    if (s.resource_id != contract.resource_id || !contains(s.uais, person.uai)) {
      continue;
    }
    if (today < s.valid_from || s.valid_until < today) {
      if (best_stage < 1) {
        best_stage = 1;
        best = today < s.valid_from ? Refusal::kSubscriptionNotYetValid
                                    : Refusal::kSubscriptionExpired;
      }
      continue;
    }
    if (std::find(s.audiences.begin(), s.audiences.end(), audience) == s.audiences.end()) {
      if (best_stage < 2) {
        best_stage = 2;
        best = Refusal::kAudienceNotCovered;
      }
      continue;
    }
    if (!assigned(person, s)) {
      if (best_stage < 3) {
        best_stage = 3;
        best = Refusal::kNotAssigned;
      }
      continue;
    }
    return {Refusal::kNone, s.id};
  }
  return {best, {}};
}

Decision decide(const PersonFacts& person, const ResourceContract& contract,
                const std::vector<Subscription>& subscriptions, const PolicySnapshot& policy,
                const Pseudonymizer& pseudonyms, Date today) {
  Decision d;
  d.policy_version = policy.version;
  const Entitlement e = checkEntitlement(person, contract, subscriptions, today);
  if (e.refusal != Refusal::kNone) {
    d.refusal = e.refusal;
    return d;
  }
  Analysis a = analyse(person.profile, contract, policy);
  d.withheld = std::move(a.withheld);
  for (const auto& r : a.releasable) {
    std::vector<std::string> values;
    if (r.code == attr::kIdo) {
      auto p = pseudonyms.pseudonym(contract.publisher_id, person.ent_id, person.ent_person_id);
      if (!p) {
        // Without its identifier a publisher cannot serve the user: refuse rather than send less.
        Decision refused;
        refused.policy_version = policy.version;
        refused.refusal = Refusal::kPseudonymFailed;
        return refused;
      }
      values.push_back(std::move(p).value());
    } else {
      values = valuesOf(r.code, person);
    }
    if (values.empty()) {
      d.withheld.push_back({r.code, WithheldReason::kNoValue});
    } else {
      d.released.push_back({r.code, std::move(values)});
    }
  }
  d.entitled = true;
  d.subscription_id = e.subscription_id;
  return d;
}

Explanation explain(Profile profile, const ResourceContract& contract,
                    const PolicySnapshot& policy) {
  Explanation x;
  x.policy_version = policy.version;
  x.contract_status = contract.status;
  x.profile_in_contract = contract.declaredFor(profile) != nullptr;
  Analysis a = analyse(profile, contract, policy);
  x.released = std::move(a.releasable);
  x.withheld = std::move(a.withheld);
  return x;
}

}  // namespace garde::policy
