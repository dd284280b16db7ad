#pragma once
/// @file Pseudonyms (IDO): computed, never stored. See docs/adr/0004-pseudonyms.md.
///
/// value = <secret version> "-" encode(HMAC-SHA256(secret, scope || 0x00 || ent_id || 0x00 ||
/// ent_person_id)) where scope is the publisher id (per-publisher mode, the default) or the fixed
/// label "*" (shared mode: one pseudonym for all publishers, the GAR's weaker behaviour), and
/// encode is base64url without padding (43 characters) or lower-case hex (64 characters).

#include <string>
#include <string_view>

#include "core/crypto.h"
#include "core/result.h"

namespace garde::policy {

enum class PseudonymScope {
  kPerPublisher,  ///< default: no two publishers share an identifier for a person
  kShared,        ///< one identifier for all publishers (the GAR's behaviour); weaker, documented
};

enum class PseudonymEncoding { kBase64Url, kHex };

struct PseudonymSettings {
  std::string secret;  ///< at least 32 bytes of key material (from the config, never logged)
  std::string secret_version;  ///< 1..16 characters [A-Za-z0-9]; the visible prefix of every value
  PseudonymScope scope = PseudonymScope::kPerPublisher;
  PseudonymEncoding encoding = PseudonymEncoding::kBase64Url;
};

/// Computes pseudonyms. Immutable after construction: thread-safe.
class Pseudonymizer {
 public:
  /// Validates `settings`; throws std::invalid_argument on a short secret or a bad version
  /// (a configuration problem found at start-up).
  explicit Pseudonymizer(PseudonymSettings settings);

  /// The pseudonym of the person (ent_id, ent_person_id) for `publisher_id`. kBadRequest when an
  /// input is empty or when publisher_id/ent_id contain a NUL byte (the separator).
  core::Result<std::string> pseudonym(std::string_view publisher_id, std::string_view ent_id,
                                      std::string_view ent_person_id) const;

  PseudonymScope scope() const { return settings_.scope; }
  const std::string& secretVersion() const { return settings_.secret_version; }

 private:
  PseudonymSettings settings_;
  // HMAC-SHA256 keyed with the secret once; each pseudonym works on a copy (immutable after the
  // constructor, so copies may be taken from several threads at once).
  core::HmacSha256 keyed_mac_;
};

}  // namespace garde::policy
