// The pieces every signature path uses: the allowed algorithms, ECDSA's two encodings, the
// exclusive C14N of a node set, and raw signatures over bytes (the Redirect binding's).

#include <libxml/c14n.h>
#include <openssl/evp.h>

#include "saml/crypto_handles.h"
#include "saml/pkey_ops.h"
#include "saml/signature_parts.h"

namespace garde::saml {
namespace detail {
namespace {

using core::ErrorCode;
using core::fail;

constexpr AlgInfo kAlgorithms[] = {
    {SignatureAlgorithm::kRsaSha256, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "SHA256",
     "http://www.w3.org/2001/04/xmlenc#sha256"},
    {SignatureAlgorithm::kRsaSha384, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384", "SHA384",
     "http://www.w3.org/2001/04/xmldsig-more#sha384"},
    {SignatureAlgorithm::kRsaSha512, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512", "SHA512",
     "http://www.w3.org/2001/04/xmlenc#sha512"},
    {SignatureAlgorithm::kEcdsaSha256, "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
     "SHA256", "http://www.w3.org/2001/04/xmlenc#sha256"},
    {SignatureAlgorithm::kEcdsaSha384, "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
     "SHA384", "http://www.w3.org/2001/04/xmldsig-more#sha384"},
    {SignatureAlgorithm::kEcdsaSha512, "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
     "SHA512", "http://www.w3.org/2001/04/xmlenc#sha512"},
};

int visibleInScope(void* user_data, xmlNodePtr node, xmlNodePtr parent) {
  const auto* scope = static_cast<const C14nScope*>(user_data);
  const xmlNode* n = (node != nullptr && node->type == XML_NAMESPACE_DECL) ? parent : node;
  for (const xmlNode* p = n; p != nullptr; p = p->parent) {
    if (p == scope->omit) {
      return 0;
    }
    if (p == scope->root) {
      return 1;
    }
  }
  return 0;
}

}  // namespace

std::span<const AlgInfo> algorithms() noexcept { return kAlgorithms; }

const AlgInfo& info(SignatureAlgorithm alg) noexcept {
  for (const auto& a : kAlgorithms) {
    if (a.alg == alg) {
      return a;
    }
  }
  return kAlgorithms[0];
}

const AlgInfo* infoByDigestUri(std::string_view digest_uri) noexcept {
  for (const auto& a : kAlgorithms) {
    if (a.digest_uri == digest_uri) {
      return &a;
    }
  }
  return nullptr;
}

bool isEcdsa(SignatureAlgorithm alg) noexcept {
  return alg == SignatureAlgorithm::kEcdsaSha256 || alg == SignatureAlgorithm::kEcdsaSha384 ||
         alg == SignatureAlgorithm::kEcdsaSha512;
}

core::Result<std::string> ecdsaDerToRaw(const std::string& der, int field_bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  EcdsaSig sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) {
    return fail(ErrorCode::kInternal, "ECDSA signature encoding failed");
  }
  std::string raw(static_cast<std::size_t>(field_bytes) * 2, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, field_bytes) != field_bytes ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + field_bytes, field_bytes) != field_bytes) {
    return fail(ErrorCode::kInternal, "ECDSA signature encoding failed");
  }
  return raw;
}

core::Result<std::string> ecdsaRawToDer(std::string_view raw) {
  if (raw.empty() || raw.size() % 2 != 0 || raw.size() > 2 * 66) {
    return fail(ErrorCode::kSignatureInvalid, "ECDSA signature has a wrong length");
  }
  const int half = static_cast<int>(raw.size() / 2);
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  EcdsaSig sig(ECDSA_SIG_new());
  Bignum r(BN_bin2bn(bytes, half, nullptr));
  Bignum s(BN_bin2bn(bytes + half, half, nullptr));
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    return fail(ErrorCode::kInternal, "cannot hold an ECDSA signature");
  }
  r.release();  // owned by sig from here
  s.release();
  unsigned char* buf = nullptr;
  const int n = i2d_ECDSA_SIG(sig.get(), &buf);
  const OpensslBytes der(buf);
  if (n <= 0) {
    return fail(ErrorCode::kSignatureInvalid, "ECDSA signature cannot be encoded");
  }
  return std::string(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
}

namespace {

/// Runs exclusive C14N of `scope` into `out` (a buffer or a stream); false when libxml2 refuses.
bool canonicalizeInto(xmlDoc* doc, const C14nScope& scope,
                      const std::vector<std::string>& inclusive_prefixes, xmlOutputBuffer* out) {
  std::vector<xmlChar*> prefixes;
  prefixes.reserve(inclusive_prefixes.size() + 1);
  for (const auto& p : inclusive_prefixes) {
    prefixes.push_back(BAD_CAST p.c_str());
  }
  prefixes.push_back(nullptr);
  return out != nullptr &&
         xmlC14NExecute(doc, &visibleInScope, const_cast<C14nScope*>(&scope),
                        XML_C14N_EXCLUSIVE_1_0,
                        inclusive_prefixes.empty() ? nullptr : prefixes.data(), 0, out) >= 0;
}

using MdCtx = core::CHandle<EVP_MD_CTX, EVP_MD_CTX_free>;

int digestWrite(void* context, const char* bytes, int len) {
  if (len < 0 ||
      EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(context), bytes, static_cast<std::size_t>(len)) !=
          1) {
    return -1;
  }
  return len;
}

int digestClose(void* /*context*/) { return 0; }

}  // namespace

core::Result<std::string> canonicalSubtree(xmlDoc* doc, const C14nScope& scope,
                                           const std::vector<std::string>& inclusive_prefixes) {
  core::CHandle<xmlOutputBuffer, xmlOutputBufferClose> buf(xmlAllocOutputBuffer(nullptr));
  if (!canonicalizeInto(doc, scope, inclusive_prefixes, buf.get())) {
    return fail(ErrorCode::kInternal, "canonicalization failed");
  }
  return std::string(reinterpret_cast<const char*>(xmlOutputBufferGetContent(buf.get())),
                     xmlOutputBufferGetSize(buf.get()));
}

core::Status canonicalDigest(xmlDoc* doc, const C14nScope& scope,
                             const std::vector<std::string>& inclusive_prefixes, const EVP_MD* md,
                             unsigned char* out, unsigned int* out_len) {
  MdCtx ctx(EVP_MD_CTX_new());
  if (md == nullptr || !ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) {
    return fail(ErrorCode::kInternal, "digest failed");
  }
  // libxml2 hands the canonical form over in its output buffer's chunks (4 KiB), so the whole of
  // it is never held: a 64 MiB aggregate's C14N used to be a 64 MiB string grown by doubling.
  xmlOutputBuffer* stream = xmlOutputBufferCreateIO(&digestWrite, &digestClose, ctx.get(), nullptr);
  const bool canonical = canonicalizeInto(doc, scope, inclusive_prefixes, stream);
  const bool flushed = stream != nullptr && xmlOutputBufferFlush(stream) >= 0;
  const int closed = stream != nullptr ? xmlOutputBufferClose(stream) : -1;
  if (!canonical || !flushed || closed < 0) {
    return fail(ErrorCode::kInternal, "canonicalization failed");
  }
  if (EVP_DigestFinal_ex(ctx.get(), out, out_len) != 1) {
    return fail(ErrorCode::kInternal, "digest failed");
  }
  return {};
}

}  // namespace detail

using core::ErrorCode;
using core::fail;
using detail::info;
using detail::isEcdsa;

std::string_view algorithmUri(SignatureAlgorithm alg) noexcept { return info(alg).uri; }

core::Result<SignatureAlgorithm> algorithmFromUri(std::string_view uri) {
  for (const auto& a : detail::algorithms()) {
    if (a.uri == uri) {
      return a.alg;
    }
  }
  return fail(ErrorCode::kAlgorithmForbidden,
              "signature algorithm '" + std::string(uri) + "' is not allowed");
}

SignatureAlgorithm defaultAlgorithm(const PrivateKey& key) noexcept {
  return key.keyType() == KeyType::kEc ? SignatureAlgorithm::kEcdsaSha256
                                       : SignatureAlgorithm::kRsaSha256;
}

core::Result<std::string> signBytes(std::string_view data, const PrivateKey& key,
                                    SignatureAlgorithm alg) {
  if (isEcdsa(alg) != (key.keyType() == KeyType::kEc)) {
    return fail(ErrorCode::kAlgorithmForbidden, "signature algorithm does not match the key type");
  }
  std::string sig = pkey::sign(key.get(), pkey::digestNamed(info(alg).digest_name), data);
  if (sig.empty()) {
    return fail(ErrorCode::kInternal, "signing failed");
  }
  if (isEcdsa(alg)) {
    return detail::ecdsaDerToRaw(sig, (EVP_PKEY_get_bits(key.get()) + 7) / 8);
  }
  return sig;
}

core::Status verifyBytes(std::string_view data, std::string_view signature,
                         std::string_view alg_uri, const std::vector<Certificate>& trusted,
                         AlgorithmExceptions* exceptions) {
  constexpr std::string_view kRsaSha1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
  if (alg_uri == kRsaSha1 && exceptions != nullptr &&
      exceptions->allows(WeakAlgorithm::kRsaSha1)) {
    // A named, expiring exception for this peer (docs/algorithm-exceptions.md): RSA keys only.
    if (trusted.empty()) {
      return fail(ErrorCode::kNoTrustedKey, "no trusted key to verify the signature");
    }
    for (const auto& cert : trusted) {
      if (cert.keyType() == KeyType::kRsa &&
          pkey::verify(cert.publicKey(), pkey::sha1ForGrantedVerification(), data,
                       std::string(signature))) {
        exceptions->markUsed(WeakAlgorithm::kRsaSha1);
        return {};
      }
    }
    return fail(ErrorCode::kSignatureInvalid, "signature does not verify with any trusted key");
  }
  GARDE_ASSIGN_OR_RETURN(auto alg, algorithmFromUri(alg_uri));
  if (trusted.empty()) {
    return fail(ErrorCode::kNoTrustedKey, "no trusted key to verify the signature");
  }
  std::string sig(signature);
  if (isEcdsa(alg)) {
    GARDE_ASSIGN_OR_RETURN(sig, detail::ecdsaRawToDer(signature));
  }
  for (const auto& cert : trusted) {
    if (isEcdsa(alg) != (cert.keyType() == KeyType::kEc)) {
      continue;
    }
    if (pkey::verify(cert.publicKey(), pkey::digestNamed(info(alg).digest_name), data, sig)) {
      return {};
    }
  }
  return fail(ErrorCode::kSignatureInvalid, "signature does not verify with any trusted key");
}

}  // namespace garde::saml
