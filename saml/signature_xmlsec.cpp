// The general verification path, through xmlsec's transform chain (every allowed shape the direct
// path does not take), and the Signature template signElement() fills.

#include <xmlsec/crypto.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>

#include "core/c_handle.h"
#include "saml/crypto_handles.h"
#include "saml/signature_parts.h"

namespace garde::saml::detail {
namespace {

using core::ErrorCode;
using core::fail;

using DsigCtx = core::CHandle<xmlSecDSigCtx, xmlSecDSigCtxDestroy>;

xmlSecTransformId signTransform(SignatureAlgorithm alg) {
  switch (alg) {
    case SignatureAlgorithm::kRsaSha256:
      return xmlSecTransformRsaSha256Id;
    case SignatureAlgorithm::kRsaSha384:
      return xmlSecTransformRsaSha384Id;
    case SignatureAlgorithm::kRsaSha512:
      return xmlSecTransformRsaSha512Id;
    case SignatureAlgorithm::kEcdsaSha256:
      return xmlSecTransformEcdsaSha256Id;
    case SignatureAlgorithm::kEcdsaSha384:
      return xmlSecTransformEcdsaSha384Id;
    case SignatureAlgorithm::kEcdsaSha512:
      return xmlSecTransformEcdsaSha512Id;
  }
  return xmlSecTransformRsaSha256Id;
}

xmlSecTransformId digestTransform(SignatureAlgorithm alg) {
  switch (alg) {
    case SignatureAlgorithm::kRsaSha384:
    case SignatureAlgorithm::kEcdsaSha384:
      return xmlSecTransformSha384Id;
    case SignatureAlgorithm::kRsaSha512:
    case SignatureAlgorithm::kEcdsaSha512:
      return xmlSecTransformSha512Id;
    default:
      return xmlSecTransformSha256Id;
  }
}

// An xmlsec key holding `pkey` (reference taken, not stolen).
SecKey makeSecKey(EVP_PKEY* pkey) {
  if (EVP_PKEY_up_ref(pkey) != 1) {
    return nullptr;
  }
  EvpPkey reference(pkey);
  // Adopted on success only, as the key is by the key on success only.
  SecKeyData data(xmlSecOpenSSLEvpKeyAdopt(reference.get()));
  if (!data) {
    return nullptr;
  }
  reference.release();
  SecKey key(xmlSecKeyCreate());
  if (!key || xmlSecKeySetValue(key.get(), data.get()) < 0) {
    return nullptr;
  }
  data.release();
  return key;
}

// Every addition must succeed: xmlsec allows any transform while a list is empty.
bool restrictTransforms(xmlSecDSigCtx* ctx) {
  const xmlSecTransformId reference_transforms[] = {
      xmlSecTransformEnvelopedId, xmlSecTransformExclC14NId, xmlSecTransformSha256Id,
      xmlSecTransformSha384Id, xmlSecTransformSha512Id};
  for (const xmlSecTransformId id : reference_transforms) {
    if (xmlSecDSigCtxEnableReferenceTransform(ctx, id) < 0) {
      return false;
    }
  }
  if (xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformExclC14NId) < 0) {
    return false;
  }
  for (const auto& a : algorithms()) {
    if (xmlSecDSigCtxEnableSignatureTransform(ctx, signTransform(a.alg)) < 0) {
      return false;
    }
  }
  ctx->enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
  return true;
}

}  // namespace

core::Result<xmlNode*> verifyWithXmlsec(xmlNode* element, xmlNode* signature,
                                        const std::vector<Certificate>& trusted) {
  std::string last_detail = "signature does not verify with any trusted key";
  for (const auto& cert : trusted) {
    DsigCtx ctx(xmlSecDSigCtxCreate(nullptr));
    SecKey key = makeSecKey(cert.publicKey());
    if (!ctx || !key || !restrictTransforms(ctx.get())) {
      return fail(ErrorCode::kInternal, "cannot set up signature verification");
    }
    ctx->signKey = key.release();  // owned by ctx from here
    // With signKey set and no keys manager, xmlsec never takes a key from the message's KeyInfo.
    if (xmlSecDSigCtxVerify(ctx.get(), signature) < 0) {
      last_detail = "signature could not be processed (malformed or disallowed construct)";
      continue;
    }
    if (ctx->status != xmlSecDSigStatusSucceeded) {
      continue;
    }
    if (xmlSecPtrListGetSize(&ctx->signedInfoReferences) != 1) {
      return fail(ErrorCode::kSignatureProfile, "signature processed more than one reference");
    }
    auto* ref =
        static_cast<xmlSecDSigReferenceCtxPtr>(xmlSecPtrListGetItem(&ctx->signedInfoReferences, 0));
    if (ref == nullptr || ref->status != xmlSecDSigStatusSucceeded) {
      return fail(ErrorCode::kSignatureInvalid, "reference digest does not match");
    }
    return element;
  }
  return fail(ErrorCode::kSignatureInvalid, last_detail);
}

core::Result<SignatureTemplate> signatureTemplate(xmlDoc* doc, SignatureAlgorithm alg,
                                                  const std::string& uri) {
  xmlNode* sig = xmlSecTmplSignatureCreateNsPref(doc, xmlSecTransformExclC14NId, signTransform(alg),
                                                 nullptr, BAD_CAST "ds");
  if (sig == nullptr) {
    return fail(ErrorCode::kInternal, "cannot create signature template");
  }
  XmlNodeHandle held(sig);
  xmlNode* c14n = nullptr;
  xmlNode* ref = xmlSecTmplSignatureAddReference(sig, digestTransform(alg), nullptr,
                                                 BAD_CAST uri.c_str(), nullptr);
  if (ref == nullptr ||
      xmlSecTmplReferenceAddTransform(ref, xmlSecTransformEnvelopedId) == nullptr ||
      (c14n = xmlSecTmplReferenceAddTransform(ref, xmlSecTransformExclC14NId)) == nullptr ||
      xmlSecTmplTransformAddC14NInclNamespaces(c14n, BAD_CAST kSigningPrefix) < 0) {
    return fail(ErrorCode::kInternal, "cannot create signature reference");
  }
  return SignatureTemplate{std::move(held), ref};
}

}  // namespace garde::saml::detail
