#pragma once
/// @file The few cryptographic primitives modules other than saml/ need, so that OpenSSL stays in
/// core/ and saml/ (scripts/check-layers): SHA-256, HMAC-SHA256 keyed once, and a comparison of
/// secrets that takes the same time wherever they differ.

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

struct evp_mac_ctx_st;  // OpenSSL's EVP_MAC_CTX
struct evp_md_ctx_st;   // OpenSSL's EVP_MD_CTX

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

/// MD5, incrementally. NOT a security primitive, and never used as one: it is the integrity
/// checksum of the GAR-ENT archive format (the `.md5` file an ENT connector writes beside its
/// `.tar.gz`, docs/feeds.md), which catches a truncated or damaged transfer. Who sent the archive
/// is established by other means (the ENT's client certificate, the operator's hands), and the
/// content is validated against the schemas whatever its checksum. Not thread-safe (one per
/// stream).
class Md5 {
 public:
  /// Throws std::runtime_error when OpenSSL has no MD5 (a start-up failure).
  Md5();
  Md5(Md5&&) noexcept;
  Md5& operator=(Md5&&) noexcept;
  ~Md5();
  void update(std::string_view data);
  /// The lower-case hex digest (32 characters) of everything updated so far; ends the stream.
  std::string finalHex();

 private:
  std::unique_ptr<evp_md_ctx_st, void (*)(evp_md_ctx_st*)> ctx_;
};

/// The lower-case hex MD5 of `data` (see Md5: an integrity checksum, not security).
std::string md5Hex(std::string_view data);

}  // namespace garde::core
