#include "core/x509.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <stdexcept>

#include "core/c_handle.h"
#include "core/crypto.h"
#include "core/encoding.h"

namespace garde::core {
namespace {

using Bio = CHandle<BIO, BIO_free>;
using X509Ptr = CHandle<X509, X509_free>;
using PkeyPtr = CHandle<EVP_PKEY, EVP_PKEY_free>;
using ExtPtr = CHandle<X509_EXTENSION, X509_EXTENSION_free>;
using BignumPtr = CHandle<BIGNUM, BN_free>;

[[noreturn]] void failed(const char* what) {
  throw std::runtime_error(std::string("certificate generation: ") + what);
}

std::string bioString(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  if (n <= 0 || data == nullptr) {
    return {};
  }
  return std::string(data, static_cast<std::size_t>(n));
}

void addExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    failed("cannot add an extension");
  }
}

X509Ptr readCert(std::string_view pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) {
    return nullptr;
  }
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

PkeyPtr readKey(std::string_view pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) {
    return nullptr;
  }
  return PkeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

}  // namespace

CertificatePem generateCertificate(const CertificateSpec& spec, const CertificatePem* issuer) {
  PkeyPtr key(EVP_EC_gen("P-256"));
  X509Ptr cert(X509_new());
  if (!key || !cert) {
    failed("key generation failed");
  }
  X509Ptr issuer_cert;
  PkeyPtr issuer_key;
  if (issuer != nullptr) {
    issuer_cert = readCert(issuer->cert);
    issuer_key = readKey(issuer->key);
    if (!issuer_cert || !issuer_key) {
      failed("cannot read the issuer's certificate or key");
    }
  }
  if (X509_set_version(cert.get(), 2) != 1) {
    failed("cannot set the version");
  }
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) {
    failed("no randomness");
  }
  serial[0] &= 0x7f;
  BignumPtr bn(BN_bin2bn(serial, sizeof serial, nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    failed("cannot set the serial number");
  }
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), spec.not_before_offset) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), spec.not_after_offset) == nullptr) {
    failed("cannot set the validity");
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(spec.common_name.c_str()),
                                 -1, -1, 0) != 1) {
    failed("cannot set the subject");
  }
  X509* signer = issuer_cert ? issuer_cert.get() : cert.get();
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) != 1 ||
      X509_set_pubkey(cert.get(), key.get()) != 1) {
    failed("cannot set the issuer or the public key");
  }
  if (!spec.subject_alt_names.empty()) {
    std::string san;
    for (const auto& entry : spec.subject_alt_names) {
      san += (san.empty() ? "" : ",") + entry;
    }
    addExtension(cert.get(), signer, NID_subject_alt_name, san);
  }
  if (spec.is_ca) {
    addExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    addExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
    addExtension(cert.get(), signer, NID_subject_key_identifier, "hash");
  } else {
    addExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    addExtension(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
  }
  if (!spec.ext_key_usage.empty()) {
    addExtension(cert.get(), signer, NID_ext_key_usage, spec.ext_key_usage);
  }
  EVP_PKEY* signing_key = issuer_key ? issuer_key.get() : key.get();
  if (X509_sign(cert.get(), signing_key, EVP_sha256()) <= 0) {
    failed("signing failed");
  }
  CertificatePem out;
  Bio cert_bio(BIO_new(BIO_s_mem()));
  Bio key_bio(BIO_new(BIO_s_mem()));
  if (!cert_bio || !key_bio || PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
          1) {
    failed("cannot write PEM");
  }
  out.cert = bioString(cert_bio.get());
  out.key = bioString(key_bio.get());
  return out;
}

CertificatePem generateSelfSignedTls(const std::string& common_name, int days) {
  CertificateSpec spec;
  spec.common_name = common_name;
  if (common_name != "localhost") {
    spec.subject_alt_names.push_back("DNS:" + common_name);
  }
  spec.subject_alt_names.insert(spec.subject_alt_names.end(),
                                {"DNS:localhost", "IP:127.0.0.1", "IP:::1"});
  spec.ext_key_usage = "serverAuth";
  spec.not_after_offset = static_cast<long>(days) * 86400;
  return generateCertificate(spec);
}

std::string certificateDer(const x509_st* cert) {
  if (cert == nullptr) {
    return {};
  }
  unsigned char* der = nullptr;
  const int n = i2d_X509(cert, &der);
  if (n <= 0 || der == nullptr) {
    return {};
  }
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

std::string certificateSubject(const x509_st* cert) {
  if (cert == nullptr) {
    return {};
  }
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) < 0) {
    return {};
  }
  return bioString(bio.get());
}

std::string sha256Hex(std::string_view bytes) {
  auto digest = sha256(bytes);
  if (!digest) {
    throw std::runtime_error("SHA-256 failed");
  }
  return hexEncode(*digest);
}

Result<std::string> pemCertificateFingerprint(std::string_view pem) {
  const X509Ptr cert = readCert(pem);
  if (!cert) {
    return fail(ErrorCode::kMalformedMessage, "no PEM certificate");
  }
  const std::string der = certificateDer(cert.get());
  if (der.empty()) {
    return fail(ErrorCode::kMalformedMessage, "the certificate cannot be DER-encoded");
  }
  return sha256Hex(der);
}

Result<std::vector<CertificateInfo>> pemCertificates(std::string_view pem) {
  std::vector<CertificateInfo> out;
  const Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) {
    return fail(ErrorCode::kMalformedMessage, "cannot read the PEM text");
  }
  for (;;) {
    const X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) {
      break;
    }
    CertificateInfo info;
    info.der = certificateDer(cert.get());
    if (info.der.empty()) {
      return fail(ErrorCode::kMalformedMessage, "a certificate cannot be DER-encoded");
    }
    info.sha256_fingerprint = sha256Hex(info.der);
    info.subject = certificateSubject(cert.get());
    std::tm after{};
    std::tm before{};
    if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &after) != 1 ||
        ASN1_TIME_to_tm(X509_get0_notBefore(cert.get()), &before) != 1) {
      return fail(ErrorCode::kMalformedMessage, "a certificate's validity cannot be read");
    }
    const auto unix = [](const std::tm& t) {
      return daysFromCivil(t.tm_year + 1900, static_cast<unsigned>(t.tm_mon + 1),
                           static_cast<unsigned>(t.tm_mday)) *
                 86400 +
             t.tm_hour * 3600 + t.tm_min * 60 + t.tm_sec;
    };
    info.not_before = unix(before);
    info.not_after = unix(after);
    out.push_back(std::move(info));
  }
  ERR_clear_error();  // the end of the text reads as "no start line"
  if (out.empty()) {
    return fail(ErrorCode::kMalformedMessage, "no PEM certificate");
  }
  return out;
}

}  // namespace garde::core
