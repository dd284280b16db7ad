// Self-signed TLS certificates for the demo and the tests (OpenSSL only; no Asio here).
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <stdexcept>

#include "broker/http/server.h"
#include "core/c_handle.h"

namespace garde::broker::http {
namespace {

using Bio = core::CHandle<BIO, BIO_free>;
using X509Ptr = core::CHandle<X509, X509_free>;
using PkeyPtr = core::CHandle<EVP_PKEY, EVP_PKEY_free>;
using ExtPtr = core::CHandle<X509_EXTENSION, X509_EXTENSION_free>;

std::string bioString(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

void addExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    throw std::runtime_error("TLS certificate: cannot add extension");
  }
}

}  // namespace

TlsPem generateSelfSignedTls(const std::string& common_name, int days) {
  PkeyPtr key(EVP_EC_gen("P-256"));
  X509Ptr cert(X509_new());
  if (!key || !cert) {
    throw std::runtime_error("TLS certificate: key generation failed");
  }
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) {
    throw std::runtime_error("TLS certificate: no randomness");
  }
  serial[0] &= 0x7f;
  core::CHandle<BIGNUM, BN_free> bn(BN_bin2bn(serial, sizeof serial, nullptr));
  BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -300);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 86400);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key.get());
  std::string san = "DNS:localhost,IP:127.0.0.1,IP:::1";
  if (common_name != "localhost") {
    san = "DNS:" + common_name + "," + san;
  }
  addExtension(cert.get(), NID_subject_alt_name, san.c_str());
  addExtension(cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  addExtension(cert.get(), NID_key_usage, "critical,digitalSignature");
  addExtension(cert.get(), NID_ext_key_usage, "serverAuth");
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) {
    throw std::runtime_error("TLS certificate: signing failed");
  }
  TlsPem out;
  Bio cert_bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(cert_bio.get(), cert.get());
  out.cert = bioString(cert_bio.get());
  Bio key_bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  out.key = bioString(key_bio.get());
  return out;
}

}  // namespace garde::broker::http
