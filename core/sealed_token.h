#pragma once
/// @file Sealed tokens: authenticated encryption (AES-256-GCM) of a small payload with an expiry,
/// so that SSO transaction state travels with the browser and any node can finish a flow.
///
/// Token = base64url( version(1) || key id(1) || nonce(12) || ciphertext || tag(16) ), the
/// plaintext being expiry (8 bytes, big-endian Unix time) || purpose || 0x00 || payload. The
/// purpose ("launch", "sso") is bound into the plaintext, so a token minted for one use is refused
/// for another.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/random.h"
#include "core/result.h"
#include "core/time.h"

struct evp_cipher_ctx_st;

namespace garde::core {

class TokenSealer {
 public:
  /// `key` must be 32 bytes (kConfigInvalid otherwise, thrown as std::invalid_argument at
  /// start-up). `key_id` names the key so that a rotation can keep the previous one for unsealing.
  TokenSealer(std::string key, std::uint8_t key_id, Random& random);

  /// Seals `payload` for `purpose`, valid until `expires`.
  std::string seal(std::string_view purpose, std::string_view payload, UnixTime expires) const;

  /// Opens a token. Errors: kLimitExceeded (over 16 KiB), kBadEncoding (not base64url / too short),
  /// kMalformedMessage (wrong version or key id, authentication failed: tampered or another key),
  /// kForbidden (other purpose), kExpired (now >= expiry).
  Result<std::string> unseal(std::string_view purpose, std::string_view token, UnixTime now) const;

 private:
  std::uint8_t key_id_;
  Random& random_;
  /// AES-256-GCM contexts keyed once (key schedule and GHASH tables): each token starts from a
  /// copy of one, given only its nonce. Only read after construction, so shared by all threads.
  std::shared_ptr<evp_cipher_ctx_st> encrypt_;
  std::shared_ptr<evp_cipher_ctx_st> decrypt_;
};

}  // namespace garde::core
