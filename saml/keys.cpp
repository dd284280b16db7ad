#include "saml/keys.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/c_handle.h"
#include "core/encoding.h"

namespace garde::saml {
namespace {

using core::ErrorCode;
using core::fail;
using Bio = core::CHandle<BIO, BIO_free_all>;

Bio memBio(std::string_view data) {
  return Bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

std::string bioString(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

std::shared_ptr<x509_st> shareCert(X509* cert) { return {cert, X509_free}; }
std::shared_ptr<evp_pkey_st> shareKey(EVP_PKEY* key) { return {key, EVP_PKEY_free}; }

KeyType typeOf(const EVP_PKEY* key) {
  return EVP_PKEY_get_base_id(key) == EVP_PKEY_EC ? KeyType::kEc : KeyType::kRsa;
}

core::Status checkStrength(const EVP_PKEY* key) {
  const int id = EVP_PKEY_get_base_id(key);
  if (id == EVP_PKEY_RSA) {
    if (EVP_PKEY_get_bits(key) < 2048) {
      return fail(ErrorCode::kAlgorithmForbidden,
                  "RSA key of " + std::to_string(EVP_PKEY_get_bits(key)) + " bits (minimum 2048)");
    }
    return {};
  }
  if (id == EVP_PKEY_EC) {
    if (EVP_PKEY_get_bits(key) < 256) {
      return fail(ErrorCode::kAlgorithmForbidden, "EC key below 256 bits");
    }
    return {};
  }
  return fail(ErrorCode::kAlgorithmForbidden, "key type is neither RSA nor EC");
}

}  // namespace

core::Result<Certificate> Certificate::fromDer(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509* x = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  if (x == nullptr || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    X509_free(x);
    return fail(ErrorCode::kMalformedMessage, "certificate is not valid DER X.509");
  }
  Certificate c;
  c.cert_ = shareCert(x);
  c.der_ = std::string(der);
  if (X509_get0_pubkey(x) == nullptr) {
    return fail(ErrorCode::kMalformedMessage, "certificate has no usable public key");
  }
  return c;
}

core::Result<Certificate> Certificate::fromBase64Der(std::string_view b64) {
  auto der = core::base64Decode(b64, 64 * 1024);
  if (!der) {
    return fail(ErrorCode::kMalformedMessage, "certificate: " + der.error().detail);
  }
  return fromDer(der.value());
}

core::Result<Certificate> Certificate::fromPem(std::string_view pem) {
  Bio bio = memBio(pem);
  X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  if (x == nullptr) {
    return fail(ErrorCode::kMalformedMessage, "no PEM certificate found");
  }
  unsigned char* buf = nullptr;
  const int n = i2d_X509(x, &buf);
  std::string der(reinterpret_cast<char*>(buf), n > 0 ? static_cast<std::size_t>(n) : 0);
  OPENSSL_free(buf);
  X509_free(x);
  return fromDer(der);
}

std::string Certificate::base64Der() const { return core::base64Encode(der_); }

std::string Certificate::pem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert_.get());
  return bioString(bio.get());
}

evp_pkey_st* Certificate::publicKey() const noexcept { return X509_get0_pubkey(cert_.get()); }

KeyType Certificate::keyType() const noexcept { return typeOf(publicKey()); }

std::string Certificate::subject() const {
  Bio bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert_.get()), 0, XN_FLAG_RFC2253);
  return bioString(bio.get());
}

core::UnixTime Certificate::notAfter() const noexcept {
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert_.get()), &tm) != 1) {
    return 0;
  }
  return timegm(&tm);
}

std::string Certificate::fingerprint() const {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  X509_digest(cert_.get(), EVP_sha256(), md, &len);
  return core::hexEncode(std::string_view(reinterpret_cast<char*>(md), len));
}

core::Result<PrivateKey> PrivateKey::fromPem(std::string_view pem) {
  Bio bio = memBio(pem);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) {
    return fail(ErrorCode::kMalformedMessage, "no unencrypted PEM private key found");
  }
  PrivateKey k;
  k.key_ = shareKey(key);
  GARDE_TRY(checkStrength(key));
  return k;
}

PrivateKey PrivateKey::generateRsa(int bits) {
  PrivateKey k;
  k.key_ = shareKey(EVP_RSA_gen(static_cast<unsigned>(bits)));
  if (!k.key_) {
    throw std::runtime_error("RSA key generation failed");
  }
  return k;
}

PrivateKey PrivateKey::generateEcP256() {
  PrivateKey k;
  k.key_ = shareKey(EVP_EC_gen("P-256"));
  if (!k.key_) {
    throw std::runtime_error("EC key generation failed");
  }
  return k;
}

KeyType PrivateKey::keyType() const noexcept { return typeOf(key_.get()); }

std::string PrivateKey::pem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return bioString(bio.get());
}

bool PrivateKey::matches(const Certificate& cert) const noexcept {
  return EVP_PKEY_eq(key_.get(), cert.publicKey()) == 1;
}

Certificate selfSign(const PrivateKey& key, std::string_view common_name, core::UnixTime now,
                     int days) {
  core::CHandle<X509, X509_free> x(X509_new());
  X509_set_version(x.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  core::CHandle<BIGNUM, BN_free> bn(BN_bin2bn(serial, sizeof serial, nullptr));
  BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x.get()));
  ASN1_TIME_set(X509_getm_notBefore(x.get()), static_cast<time_t>(now - 60));
  ASN1_TIME_set(X509_getm_notAfter(x.get()),
                static_cast<time_t>(now + static_cast<core::UnixTime>(days) * 86400));
  X509_NAME* name = X509_get_subject_name(x.get());
  const std::string cn(common_name);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(x.get(), name);
  X509_set_pubkey(x.get(), key.get());
  if (X509_sign(x.get(), key.get(), EVP_sha256()) <= 0) {
    throw std::runtime_error("self-signing the certificate failed");
  }
  unsigned char* buf = nullptr;
  const int n = i2d_X509(x.get(), &buf);
  std::string der(reinterpret_cast<char*>(buf), static_cast<std::size_t>(n));
  OPENSSL_free(buf);
  return Certificate::fromDer(der).value();
}

core::Result<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(ErrorCode::kNotFound, "cannot open " + path);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace garde::saml
