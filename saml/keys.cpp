#include "saml/keys.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstring>
#include <ctime>
#include <stdexcept>

#include "core/encoding.h"
#include "saml/crypto_handles.h"

namespace garde::saml {
namespace {

using core::ErrorCode;
using core::fail;

Bio memBio(std::string_view data) {
  return Bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

// A memory BIO for output; allocation failure is truly exceptional.
Bio newMemBio() {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio) {
    throw std::runtime_error("cannot allocate a memory BIO");
  }
  return bio;
}

// The DER encoding of `x` (i2d_X509's output, freed here).
std::string derOf(X509* x) {
  unsigned char* buf = nullptr;
  const int n = i2d_X509(x, &buf);
  const OpensslBytes held(buf);
  if (n <= 0) {
    return {};
  }
  return std::string(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
}

std::string bioString(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

// Copies share the handle; the last one frees it through the CHandle's deleter.
std::shared_ptr<x509_st> shareCert(X509Handle cert) {
  return std::shared_ptr<x509_st>(std::move(cert));
}
std::shared_ptr<evp_pkey_st> shareKey(EvpPkey key) {
  return std::shared_ptr<evp_pkey_st>(std::move(key));
}

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
  X509Handle x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    return fail(ErrorCode::kMalformedMessage, "certificate is not valid DER X.509");
  }
  const bool has_key = X509_get0_pubkey(x.get()) != nullptr;
  Certificate c;
  c.cert_ = shareCert(std::move(x));
  c.der_ = std::string(der);
  if (!has_key) {
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
  if (!bio) {
    return fail(ErrorCode::kInternal, "cannot allocate a memory BIO");
  }
  const X509Handle x(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!x) {
    return fail(ErrorCode::kMalformedMessage, "no PEM certificate found");
  }
  return fromDer(derOf(x.get()));
}

std::string Certificate::base64Der() const { return core::base64Encode(der_); }

std::string Certificate::pem() const {
  Bio bio = newMemBio();
  if (PEM_write_bio_X509(bio.get(), cert_.get()) != 1) {
    throw std::runtime_error("cannot write a certificate as PEM");
  }
  return bioString(bio.get());
}

evp_pkey_st* Certificate::publicKey() const noexcept { return X509_get0_pubkey(cert_.get()); }

KeyType Certificate::keyType() const noexcept { return typeOf(publicKey()); }

std::string Certificate::subject() const {
  Bio bio = newMemBio();
  if (X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert_.get()), 0, XN_FLAG_RFC2253) < 0) {
    throw std::runtime_error("cannot print a certificate's subject");
  }
  return bioString(bio.get());
}

core::UnixTime Certificate::notAfter() const noexcept {
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert_.get()), &tm) != 1) {
    return 0;
  }
  return timegm(&tm);
}

core::UnixTime Certificate::notBefore() const noexcept {
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notBefore(cert_.get()), &tm) != 1) {
    return 0;
  }
  return timegm(&tm);
}

std::string Certificate::fingerprint() const {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert_.get(), EVP_sha256(), md, &len) != 1) {
    throw std::runtime_error("cannot digest a certificate");
  }
  return core::hexEncode(std::string_view(reinterpret_cast<char*>(md), len));
}

core::Result<PrivateKey> PrivateKey::fromPem(std::string_view pem) {
  Bio bio = memBio(pem);
  if (!bio) {
    return fail(ErrorCode::kInternal, "cannot allocate a memory BIO");
  }
  EvpPkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    return fail(ErrorCode::kMalformedMessage, "no unencrypted PEM private key found");
  }
  GARDE_TRY(checkStrength(key.get()));
  PrivateKey k;
  k.key_ = shareKey(std::move(key));
  return k;
}

PrivateKey PrivateKey::generateRsa(int bits) {
  PrivateKey k;
  k.key_ = shareKey(EvpPkey(EVP_RSA_gen(static_cast<unsigned>(bits))));
  if (!k.key_) {
    throw std::runtime_error("RSA key generation failed");
  }
  return k;
}

PrivateKey PrivateKey::generateEcP256() {
  PrivateKey k;
  k.key_ = shareKey(EvpPkey(EVP_EC_gen("P-256")));
  if (!k.key_) {
    throw std::runtime_error("EC key generation failed");
  }
  return k;
}

KeyType PrivateKey::keyType() const noexcept { return typeOf(key_.get()); }

std::string PrivateKey::pem() const {
  Bio bio = newMemBio();
  if (PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    throw std::runtime_error("cannot write a private key as PEM");
  }
  return bioString(bio.get());
}

bool PrivateKey::matches(const Certificate& cert) const noexcept {
  return EVP_PKEY_eq(key_.get(), cert.publicKey()) == 1;
}

Certificate selfSign(const PrivateKey& key, std::string_view common_name, core::UnixTime now,
                     core::Random& random, int days) {
  std::string serial = random.bytes(16);
  if (serial.size() != 16) {
    throw std::runtime_error("core::Random gave a short serial number");
  }
  serial[0] = static_cast<char>(serial[0] & 0x7f);  // a positive INTEGER
  const X509Handle x(X509_new());
  const Bignum bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(serial.data()),
                            static_cast<int>(serial.size()), nullptr));
  const std::string cn(common_name);
  X509_NAME* name = x ? X509_get_subject_name(x.get()) : nullptr;
  const bool made =
      x && bn && X509_set_version(x.get(), 2) == 1 &&
      BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x.get())) != nullptr &&
      ASN1_TIME_set(X509_getm_notBefore(x.get()), static_cast<time_t>(now - 60)) != nullptr &&
      ASN1_TIME_set(X509_getm_notAfter(x.get()),
                    static_cast<time_t>(now + static_cast<core::UnixTime>(days) * 86400)) !=
          nullptr &&
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                 0) == 1 &&
      X509_set_issuer_name(x.get(), name) == 1 && X509_set_pubkey(x.get(), key.get()) == 1 &&
      X509_sign(x.get(), key.get(), EVP_sha256()) > 0;
  if (!made) {
    throw std::runtime_error("self-signing the certificate failed");
  }
  auto cert = Certificate::fromDer(derOf(x.get()));
  if (!cert) {
    throw std::runtime_error("self-signed certificate unreadable: " + cert.error().detail);
  }
  return std::move(cert).value();
}

core::Result<std::vector<Certificate>> certificatesFromPemBundle(std::string_view pem) {
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  std::vector<Certificate> out;
  std::size_t at = 0;
  while ((at = pem.find(kBegin, at)) != std::string_view::npos) {
    const std::size_t end = pem.find(kEnd, at);
    if (end == std::string_view::npos) {
      return core::fail(core::ErrorCode::kBadRequest, "an unterminated PEM certificate");
    }
    GARDE_ASSIGN_OR_RETURN(auto cert,
                           Certificate::fromPem(pem.substr(at, end + kEnd.size() - at)));
    out.push_back(std::move(cert));
    at = end + kEnd.size();
  }
  if (out.empty()) {
    return core::fail(core::ErrorCode::kBadRequest, "no PEM certificate");
  }
  return out;
}

}  // namespace garde::saml
