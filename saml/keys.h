#pragma once
/// @file X.509 certificates and private keys (RSA, ECDSA), as used by signatures, encryption and
/// metadata. OpenSSL types stay behind forward declarations; copies share the underlying handle
/// (OpenSSL keys and certificates are immutable once loaded, so sharing across threads is safe).

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/random.h"
#include "core/result.h"
#include "core/time.h"

struct evp_pkey_st;
struct x509_st;

namespace garde::saml {

enum class KeyType { kRsa, kEc };

/// An X.509 certificate, typically from a KeyDescriptor in metadata or from the config.
class Certificate {
 public:
  /// PEM ("-----BEGIN CERTIFICATE-----"). kMalformedMessage if unreadable.
  static core::Result<Certificate> fromPem(std::string_view pem);
  /// Base64 DER, as in ds:X509Certificate (whitespace allowed).
  static core::Result<Certificate> fromBase64Der(std::string_view b64);
  static core::Result<Certificate> fromDer(std::string_view der);

  const std::string& der() const noexcept { return der_; }
  std::string base64Der() const;  ///< no line breaks
  std::string pem() const;
  /// Public key; owned by the certificate.
  evp_pkey_st* publicKey() const noexcept;
  x509_st* x509() const noexcept { return cert_.get(); }
  KeyType keyType() const noexcept;
  std::string subject() const;
  core::UnixTime notBefore() const noexcept;
  core::UnixTime notAfter() const noexcept;
  /// SHA-256 fingerprint, lower-case hex.
  std::string fingerprint() const;
  bool operator==(const Certificate& other) const noexcept { return der_ == other.der_; }

 private:
  std::shared_ptr<x509_st> cert_;
  std::string der_;
};

/// The certificates of a PEM bundle (one or more CERTIFICATE blocks). kBadRequest when it holds
/// none or one does not parse.
core::Result<std::vector<Certificate>> certificatesFromPemBundle(std::string_view pem);

/// A private key (RSA >= 2048 bits or EC P-256/P-384/P-521).
class PrivateKey {
 public:
  /// PEM (PKCS#8 or traditional). kMalformedMessage if unreadable, kAlgorithmForbidden if too weak.
  static core::Result<PrivateKey> fromPem(std::string_view pem);
  /// New keys for the demo and tests. OpenSSL's key generation draws from its own CSPRNG (its API
  /// takes no source of randomness). Throws std::runtime_error if generation fails.
  static PrivateKey generateRsa(int bits = 2048);
  static PrivateKey generateEcP256();

  evp_pkey_st* get() const noexcept { return key_.get(); }
  KeyType keyType() const noexcept;
  /// PKCS#8 PEM, unencrypted (for tests and the demo's generated keys).
  std::string pem() const;
  /// True if `cert` carries this key's public half.
  bool matches(const Certificate& cert) const noexcept;

 private:
  std::shared_ptr<evp_pkey_st> key_;
};

/// A key with its certificate: what garde signs with and what peers decrypt for.
struct Credential {
  PrivateKey key;
  Certificate cert;
};

/// Makes a self-signed certificate for `key` (SHA-256, `days` validity from `now`, a 127-bit
/// serial number drawn from `random`), for the demo and tests. Throws std::runtime_error if
/// OpenSSL fails.
Certificate selfSign(const PrivateKey& key, std::string_view common_name, core::UnixTime now,
                     core::Random& random, int days = 3650);

}  // namespace garde::saml
