#include "support/credentials.h"

#include <stdexcept>

#include "core/file.h"
#include "core/random.h"
#include "support/fixtures.h"

namespace garde::test {

saml::Credential makeCredential(const char* common_name, saml::KeyType type,
                                core::UnixTime issued_at) {
  auto key = type == saml::KeyType::kRsa ? saml::PrivateKey::generateRsa(2048)
                                         : saml::PrivateKey::generateEcP256();
  auto cert = saml::selfSign(key, common_name, issued_at, core::systemRandom());
  return saml::Credential{key, cert};
}

const saml::Credential& testIdpCredential() {
  static const saml::Credential cred = makeCredential("test idp");
  return cred;
}

const saml::Credential& testSpCredential() {
  static const saml::Credential cred = makeCredential("test sp");
  return cred;
}

const saml::Credential& testEcCredential() {
  static const saml::Credential cred = makeCredential("test ec idp", saml::KeyType::kEc);
  return cred;
}

const saml::Credential& attackerCredential() {
  static const saml::Credential cred = makeCredential("attacker");
  return cred;
}

core::Result<saml::Credential> readCredential(const std::string& key_file,
                                              const std::string& cert_file) {
  GARDE_ASSIGN_OR_RETURN(const std::string key_pem, core::readFile(key_file));
  GARDE_ASSIGN_OR_RETURN(const std::string cert_pem, core::readFile(cert_file));
  GARDE_ASSIGN_OR_RETURN(saml::PrivateKey key, saml::PrivateKey::fromPem(key_pem));
  GARDE_ASSIGN_OR_RETURN(saml::Certificate cert, saml::Certificate::fromPem(cert_pem));
  if (!key.matches(cert)) {
    return core::fail(core::ErrorCode::kBadRequest,
                      key_file + " does not match the certificate " + cert_file);
  }
  return saml::Credential{std::move(key), std::move(cert)};
}

namespace {

template <class T>
T valueOrThrow(core::Result<T> r, const std::string& relative) {
  if (!r) {
    throw std::runtime_error("unreadable fixture " + relative + ": " + r.error().describe());
  }
  return std::move(r).value();
}

}  // namespace

saml::PrivateKey fixtureKey(const std::string& relative) {
  return valueOrThrow(saml::PrivateKey::fromPem(loadFixture(relative)), relative);
}

saml::Certificate fixtureCertificate(const std::string& relative) {
  return valueOrThrow(saml::Certificate::fromPem(loadFixture(relative)), relative);
}

}  // namespace garde::test
