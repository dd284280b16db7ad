// The general verification path, through xmlsec's transform chain (every allowed shape the direct
// path does not take), and the Signature template signElement() fills.

#include <xmlsec/crypto.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>

#include "core/c_handle.h"
#include "saml/signature_parts.h"

namespace garde::saml::detail {
namespace {

using core::ErrorCode;
using core::fail;

using DsigCtx = core::CHandle<xmlSecDSigCtx, xmlSecDSigCtxDestroy>;
using SecKey = core::CHandle<xmlSecKey, xmlSecKeyDestroy>;

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
  EVP_PKEY_up_ref(pkey);
  xmlSecKeyDataPtr data = xmlSecOpenSSLEvpKeyAdopt(pkey);
  if (data == nullptr) {
    EVP_PKEY_free(pkey);
    return nullptr;
  }
  SecKey key(xmlSecKeyCreate());
  if (!key || xmlSecKeySetValue(key.get(), data) < 0) {
    xmlSecKeyDataDestroy(data);
    return nullptr;
  }
  return key;
}

void restrictTransforms(xmlSecDSigCtx* ctx) {
  xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformEnvelopedId);
  xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformExclC14NId);
  xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformSha256Id);
  xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformSha384Id);
  xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformSha512Id);
  xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformExclC14NId);
  for (const auto& a : algorithms()) {
    xmlSecDSigCtxEnableSignatureTransform(ctx, signTransform(a.alg));
  }
  ctx->enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
}

}  // namespace

core::Result<xmlNode*> verifyWithXmlsec(xmlNode* element, xmlNode* signature,
                                        const std::vector<Certificate>& trusted) {
  std::string last_detail = "signature does not verify with any trusted key";
  for (const auto& cert : trusted) {
    DsigCtx ctx(xmlSecDSigCtxCreate(nullptr));
    SecKey key = makeSecKey(cert.publicKey());
    if (!ctx || !key) {
      return fail(ErrorCode::kInternal, "cannot set up signature verification");
    }
    restrictTransforms(ctx.get());
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
