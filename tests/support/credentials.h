#pragma once
// Keys and certificates for tests and benchmarks: generated ones (made once per process, after
// main() has built the saml::LibraryGuard) and committed ones read from files.

#include <string>

#include "core/result.h"
#include "core/time.h"
#include "saml/keys.h"
#include "support/constants.h"

namespace garde::test {

/// A fresh key (RSA-2048 or ECDSA P-256) with a certificate self-signed for `common_name` at
/// `issued_at` (saml::selfSign: ten years of validity).
saml::Credential makeCredential(const char* common_name, saml::KeyType type = saml::KeyType::kRsa,
                                core::UnixTime issued_at = kNow - 86400);

/// The ENT IdP's RSA signing credential ("test idp").
const saml::Credential& testIdpCredential();
/// garde's SP credential, RSA ("test sp"): the decryption key for EncryptedAssertion.
const saml::Credential& testSpCredential();
/// An ECDSA P-256 IdP credential ("test ec idp").
const saml::Credential& testEcCredential();
/// A key nobody trusts ("attacker").
const saml::Credential& attackerCredential();

/// A key and its certificate from PEM files; kNotFound / kMalformedMessage as core::readFile and
/// fromPem say, kBadRequest if the key does not match the certificate.
core::Result<saml::Credential> readCredential(const std::string& key_file,
                                              const std::string& cert_file);

/// A committed key or certificate under tests/data (e.g.
/// "saml/encryption/recipient.key.pem"); throws std::runtime_error if missing or unreadable (a
/// broken test, not a result).
saml::PrivateKey fixtureKey(const std::string& relative);
saml::Certificate fixtureCertificate(const std::string& relative);

}  // namespace garde::test
