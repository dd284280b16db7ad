#include "broker/flows/audit_subject.h"

#include <stdexcept>

#include "core/encoding.h"

namespace garde::broker::flows {
namespace {

std::string_view checked(std::string_view secret) {
  if (secret.size() < 32) {
    throw std::invalid_argument("the audit subject secret must have at least 32 bytes");
  }
  return secret;
}

}  // namespace

AuditSubjects::AuditSubjects(std::string_view secret) : mac_(checked(secret)) {}

std::string AuditSubjects::of(std::string_view ent_id, std::string_view person_id) const {
  // Length-prefixed, so that no two (ENT, identifier) pairs give the same message.
  std::string message = "garde audit subject v1";
  for (const std::string_view part : {ent_id, person_id}) {
    message += ':';
    message += std::to_string(part.size());
    message += ':';
    message += part;
  }
  auto mac = mac_.mac(message);
  return mac ? core::hexEncode(*mac) : std::string();
}

}  // namespace garde::broker::flows
