#pragma once
/// @file One-time codes for the local admin accounts' second factor: TOTP (RFC 6238) with
/// HMAC-SHA256, 6 digits, 30-second steps, the secret shown once as an `otpauth://` URI
/// (docs/adr/0019 says why SHA-256 rather than the SHA-1 many apps default to).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/time.h"

namespace garde::core {

inline constexpr std::int64_t kTotpStepSeconds = 30;
inline constexpr int kTotpDigits = 6;

/// RFC 4648 base32 (upper case, no padding), as authenticator apps read secrets.
std::string base32Encode(std::string_view bytes);
/// The bytes of a base32 text (case-insensitive, padding and spaces ignored); nullopt if any
/// other character.
std::optional<std::string> base32Decode(std::string_view text);

/// The step a time falls in: floor(t / 30).
std::int64_t totpStep(UnixTime t) noexcept;

/// The code of `step` under `secret` (RFC 6238 section 4 with HMAC-SHA256), `digits` long with
/// leading zeros (6 for garde; 8 for the RFC's test vectors).
std::string totpCode(std::string_view secret, std::int64_t step, int digits = kTotpDigits);

/// The step whose code `code` is, among the step of `now` and one step either side (clock drift),
/// and only if it is later than `last_used_step` (a code is good once). nullopt otherwise.
std::optional<std::int64_t> verifyTotp(std::string_view secret, std::string_view code, UnixTime now,
                                       std::int64_t last_used_step);

/// `otpauth://totp/garde:{account}?secret=..&issuer=garde&algorithm=SHA256&digits=6&period=30`.
std::string totpUri(std::string_view account, std::string_view secret);

}  // namespace garde::core
