#pragma once
/// @file X.509 certificates for the HTTPS listener: self-signed or CA-issued certificates for the
/// demo and the tests, and what the HTTP layer records about a client certificate (its DER, its
/// SHA-256 fingerprint, its subject). The only place outside saml/ that builds certificates.

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"

struct x509_st;  // OpenSSL's X509

namespace garde::core {

/// A certificate and its private key, PEM.
struct CertificatePem {
  std::string cert;
  std::string key;
};

/// What to put in a generated certificate (ECDSA P-256, SHA-256).
struct CertificateSpec {
  std::string common_name = "localhost";
  /// subjectAltName entries, e.g. {"DNS:localhost", "IP:127.0.0.1"}; none when empty.
  std::vector<std::string> subject_alt_names;
  bool is_ca = false;                    ///< basicConstraints CA:TRUE and keyUsage keyCertSign
  std::string ext_key_usage;             ///< "serverAuth", "clientAuth", or "" (none)
  long not_before_offset = -300;         ///< seconds from now
  long not_after_offset = 365L * 86400;  ///< seconds from now (negative: already expired)
};

/// Generates a key and a certificate per `spec`, signed by `issuer` (its cert and key PEM) or
/// self-signed when `issuer` is null. Throws std::runtime_error on failure (tests, demo start-up).
CertificatePem generateCertificate(const CertificateSpec& spec,
                                   const CertificatePem* issuer = nullptr);

/// A self-signed server certificate with subjectAltName DNS:localhost, IP:127.0.0.1 and IP:::1
/// (and DNS:`common_name` when it is not localhost), for the demo and the tests.
CertificatePem generateSelfSignedTls(const std::string& common_name = "localhost", int days = 365);

/// The DER encoding of `cert`; "" when it cannot be encoded.
std::string certificateDer(const x509_st* cert);
/// The subject of `cert` in RFC 2253 form (for logs); "" when it cannot be printed.
std::string certificateSubject(const x509_st* cert);
/// Lower-case hex SHA-256 of `bytes` (a certificate fingerprint when `bytes` is its DER).
std::string sha256Hex(std::string_view bytes);
/// The SHA-256 fingerprint (lower-case hex of the DER) of the first certificate of a PEM text.
/// kMalformedMessage when there is none.
Result<std::string> pemCertificateFingerprint(std::string_view pem);

/// What `garde ent|publisher add --cert` records of a certificate.
struct CertificateInfo {
  std::string der;
  std::string sha256_fingerprint;  ///< lower-case hex SHA-256 of `der`
  std::string subject;             ///< RFC 2253
  UnixTime not_before = 0;
  UnixTime not_after = 0;
};
/// Every certificate of a PEM text, in order. kMalformedMessage when there is none or one cannot
/// be read.
Result<std::vector<CertificateInfo>> pemCertificates(std::string_view pem);

}  // namespace garde::core
