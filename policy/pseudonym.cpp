#include "policy/pseudonym.h"

#include <algorithm>
#include <stdexcept>

#include "core/encoding.h"

namespace garde::policy {
namespace {

// Not a valid SIREN_ISNI, so the shared scope can never equal a publisher's.
constexpr std::string_view kSharedScope = "*";
constexpr std::size_t kMinSecretBytes = 32;

bool validVersion(std::string_view v) {
  return !v.empty() && v.size() <= 16 && std::all_of(v.begin(), v.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  });
}

// The secret, once the settings are known to be valid (so the MAC is keyed only then).
std::string_view checkedSecret(const PseudonymSettings& settings) {
  if (settings.secret.size() < kMinSecretBytes) {
    throw std::invalid_argument("pseudonym secret must hold at least 32 bytes");
  }
  if (!validVersion(settings.secret_version)) {
    throw std::invalid_argument("pseudonym secret version must be 1..16 characters [A-Za-z0-9]");
  }
  return settings.secret;
}

}  // namespace

Pseudonymizer::Pseudonymizer(PseudonymSettings settings)
    : settings_(std::move(settings)), keyed_mac_(checkedSecret(settings_)) {}

core::Result<std::string> Pseudonymizer::pseudonym(std::string_view publisher_id,
                                                   std::string_view ent_id,
                                                   std::string_view ent_person_id) const {
  if (ent_id.empty() || ent_person_id.empty() ||
      (settings_.scope == PseudonymScope::kPerPublisher && publisher_id.empty())) {
    return core::fail(core::ErrorCode::kBadRequest, "pseudonym input is empty");
  }
  if (publisher_id.find('\0') != std::string_view::npos ||
      ent_id.find('\0') != std::string_view::npos) {
    return core::fail(core::ErrorCode::kBadRequest, "pseudonym input holds a NUL byte");
  }
  const std::string_view scope =
      settings_.scope == PseudonymScope::kShared ? kSharedScope : publisher_id;
  // The two NUL separators make the message injective: scope and ent_id hold no NUL, and the
  // identifier at the ENT, which may hold anything, comes last.
  std::string message;
  message.reserve(scope.size() + ent_id.size() + ent_person_id.size() + 2);
  message.append(scope).push_back('\0');
  message.append(ent_id).push_back('\0');
  message.append(ent_person_id);

  GARDE_ASSIGN_OR_RETURN(const std::string mac, keyed_mac_.mac(message));
  std::string out = settings_.secret_version;
  out.push_back('-');
  out += settings_.encoding == PseudonymEncoding::kHex ? core::hexEncode(mac)
                                                       : core::base64UrlEncode(mac);
  return out;
}

}  // namespace garde::policy
