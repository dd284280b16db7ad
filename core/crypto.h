#pragma once
/// @file The few cryptographic primitives modules other than saml/ need, so that OpenSSL stays in
/// core/ and saml/ (scripts/check-layers): SHA-256, HMAC-SHA256 keyed once, and a comparison of
/// secrets that takes the same time wherever they differ.

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

struct evp_mac_ctx_st;  // OpenSSL's EVP_MAC_CTX

namespace garde::core {

/// SHA-256 of `data`: 32 raw bytes. kInternal when OpenSSL fails (not expected). Thread-safe.
Result<std::string> sha256(std::string_view data);

/// HMAC-SHA256 (RFC 2104) under one key, set once. Immutable after construction: each MAC works
/// on a copy of the keyed context, so one object serves several threads at once.
class HmacSha256 {
 public:
  /// Keys the MAC with `key` (any length; callers enforce their own minimum). Throws
  /// std::runtime_error when OpenSSL has no HMAC-SHA256 (a start-up failure).
  explicit HmacSha256(std::string_view key);

  /// The 32-byte MAC of `message`. kInternal when OpenSSL fails (not expected).
  Result<std::string> mac(std::string_view message) const;

 private:
  std::shared_ptr<evp_mac_ctx_st> keyed_;
};

/// Whether `a` and `b` hold the same bytes, in a time that depends on their length only (for
/// secrets presented by a peer: cookies, tokens). Lengths are not secret: different lengths
/// compare unequal at once.
bool constantTimeEqual(std::string_view a, std::string_view b) noexcept;

}  // namespace garde::core
