#pragma once
/// @file The keyed digest of a person in the audit trail (docs/audit.md, ADR 0020): audit rows
/// carry HMAC-SHA256(audit secret, ENT || identifier at the ENT), never the identifier, so that a
/// subject-access request can find one person's rows while the audit alone identifies nobody.

#include <string>
#include <string_view>

#include "core/crypto.h"

namespace garde::broker::flows {

class AuditSubjects {
 public:
  /// `secret`: at least 32 bytes ([audit] subject_secret_file). Throws std::invalid_argument when
  /// shorter.
  explicit AuditSubjects(std::string_view secret);

  /// 64 lower-case hex digits naming the person `person_id` of ENT project `ent_id`; the same for
  /// the same person on every node and every day, different for every other person.
  std::string of(std::string_view ent_id, std::string_view person_id) const;

 private:
  core::HmacSha256 mac_;
};

}  // namespace garde::broker::flows
