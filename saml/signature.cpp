#include "saml/signature.h"

#include <libxml/c14n.h>
#include <libxml/uri.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <xmlsec/crypto.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#include "core/c_handle.h"
#include "core/encoding.h"
#include "saml/canonical_text.h"
#include "saml/pkey_ops.h"
#include "saml/signature_internal.h"
#include "saml/xml.h"

namespace garde::saml {
namespace {

using core::ErrorCode;
using core::fail;

using DsigCtx = core::CHandle<xmlSecDSigCtx, xmlSecDSigCtxDestroy>;
using SecKey = core::CHandle<xmlSecKey, xmlSecKeyDestroy>;
using EcdsaSig = core::CHandle<ECDSA_SIG, ECDSA_SIG_free>;

constexpr std::string_view kExcC14n = "http://www.w3.org/2001/10/xml-exc-c14n#";
constexpr std::string_view kEnveloped = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
// The namespace of ec:InclusiveNamespaces is the algorithm URI itself.
constexpr const char* kExcC14nNs = "http://www.w3.org/2001/10/xml-exc-c14n#";
// The xs prefix appears only inside xsi:type values, which exclusive C14N does not see as used:
// listing it keeps its binding under the signature (as Shibboleth does).
constexpr const char* kSigningPrefix = "xs";

struct AlgInfo {
  SignatureAlgorithm alg;
  std::string_view uri;
  const char* digest_name;      // OpenSSL digest
  std::string_view digest_uri;  // matching ds:DigestMethod
};

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

const AlgInfo& info(SignatureAlgorithm alg) {
  for (const auto& a : kAlgorithms) {
    if (a.alg == alg) {
      return a;
    }
  }
  return kAlgorithms[0];
}

bool isEcdsa(SignatureAlgorithm alg) {
  return alg == SignatureAlgorithm::kEcdsaSha256 || alg == SignatureAlgorithm::kEcdsaSha384 ||
         alg == SignatureAlgorithm::kEcdsaSha512;
}

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

core::Status checkDigestUri(std::string_view uri) {
  for (const auto& a : kAlgorithms) {
    if (a.digest_uri == uri) {
      return {};
    }
  }
  return fail(ErrorCode::kAlgorithmForbidden,
              "digest method '" + std::string(uri) + "' is not allowed");
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

// Checks the SAML signature profile on the Signature element itself, before any cryptography:
// SAML2 Core 5.4.2 (one Reference, URI "#" + ID of the signed element), 5.4.3-5.4.4 (transforms).
core::Status checkProfile(xmlNode* element, xmlNode* signature) {
  xmlNode* signed_info = firstChildElement(signature, ns::kDsig, "SignedInfo");
  if (signed_info == nullptr) {
    return fail(ErrorCode::kSignatureProfile, "ds:Signature has no SignedInfo");
  }
  xmlNode* c14n = firstChildElement(signed_info, ns::kDsig, "CanonicalizationMethod");
  const auto c14n_alg = attribute(c14n, "Algorithm");
  if (!c14n_alg || *c14n_alg != kExcC14n) {
    return fail(ErrorCode::kSignatureProfile, "SignedInfo canonicalization '" +
                                                  c14n_alg.value_or("") +
                                                  "' is not exclusive C14N without comments");
  }
  const auto sig_alg =
      attribute(firstChildElement(signed_info, ns::kDsig, "SignatureMethod"), "Algorithm");
  if (!sig_alg) {
    return fail(ErrorCode::kSignatureProfile, "SignedInfo has no SignatureMethod");
  }
  if (auto alg = algorithmFromUri(*sig_alg); !alg) {
    return fail(alg.error());
  }
  const auto refs = childElements(signed_info, ns::kDsig, "Reference");
  if (refs.size() != 1) {
    return fail(ErrorCode::kSignatureProfile, "SignedInfo has " + std::to_string(refs.size()) +
                                                  " References (exactly one required)");
  }
  const auto id = attribute(element, "ID");
  if (!id || id->empty()) {
    return fail(ErrorCode::kSignatureProfile,
                "signed element <" + std::string(localName(element)) + "> has no ID");
  }
  if (elementById(element->doc, *id) != element) {
    return fail(ErrorCode::kSignatureProfile,
                "ID of <" + std::string(localName(element)) + "> is not registered to it");
  }
  const auto uri = attribute(refs[0], "URI");
  if (!uri || *uri != "#" + *id) {
    return fail(ErrorCode::kSignatureProfile, "Reference URI '" + uri.value_or("(none)") +
                                                  "' does not point to the enclosing element's ID");
  }
  if (xmlNode* transforms = firstChildElement(refs[0], ns::kDsig, "Transforms");
      transforms != nullptr) {
    const auto list = childElements(transforms);
    if (list.size() > 2) {
      return fail(ErrorCode::kSignatureProfile, "more than two transforms");
    }
    for (xmlNode* t : list) {
      const auto alg = attribute(t, "Algorithm");
      if (!isElement(t, ns::kDsig, "Transform") || !alg ||
          (*alg != kEnveloped && *alg != kExcC14n)) {
        return fail(ErrorCode::kSignatureProfile,
                    "transform '" + alg.value_or("") +
                        "' is not allowed (only enveloped-signature and exclusive C14N)");
      }
    }
    // The one meaningful chain: enveloped-signature first (it works on the node set), then
    // optionally exclusive C14N. Any other order cannot verify an enveloped signature, and sending
    // it to xmlsec reaches error paths that leak (xmlsec 1.2.37, exc-C14N before enveloped).
    if (list.empty() || attribute(list[0], "Algorithm") != kEnveloped ||
        (list.size() == 2 && attribute(list[1], "Algorithm") != kExcC14n)) {
      return fail(ErrorCode::kSignatureProfile,
                  "transforms must be enveloped-signature, then optionally exclusive C14N");
    }
  } else {
    return fail(ErrorCode::kSignatureProfile, "Reference has no enveloped-signature transform");
  }
  const auto digest = attribute(firstChildElement(refs[0], ns::kDsig, "DigestMethod"), "Algorithm");
  if (!digest) {
    return fail(ErrorCode::kSignatureProfile, "Reference has no DigestMethod");
  }
  return checkDigestUri(*digest);
}

void restrictTransforms(xmlSecDSigCtx* ctx) {
  xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformEnvelopedId);
  xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformExclC14NId);
  xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformSha256Id);
  xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformSha384Id);
  xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformSha512Id);
  xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformExclC14NId);
  for (const auto& a : kAlgorithms) {
    xmlSecDSigCtxEnableSignatureTransform(ctx, signTransform(a.alg));
  }
  ctx->enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
}

// ECDSA in XML DSig and the Redirect binding is r || s (RFC 4050 / xmldsig-more), not DER.
core::Result<std::string> ecdsaDerToRaw(const std::string& der, int field_bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  EcdsaSig sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) {
    return fail(ErrorCode::kInternal, "ECDSA signature encoding failed");
  }
  std::string raw(static_cast<std::size_t>(field_bytes) * 2, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), reinterpret_cast<unsigned char*>(raw.data()),
               field_bytes);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()),
               reinterpret_cast<unsigned char*>(raw.data()) + field_bytes, field_bytes);
  return raw;
}

core::Result<std::string> ecdsaRawToDer(std::string_view raw) {
  if (raw.empty() || raw.size() % 2 != 0 || raw.size() > 2 * 66) {
    return fail(ErrorCode::kSignatureInvalid, "ECDSA signature has a wrong length");
  }
  const int half = static_cast<int>(raw.size() / 2);
  EcdsaSig sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), half, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + half, half, nullptr);
  ECDSA_SIG_set0(sig.get(), r, s);
  unsigned char* buf = nullptr;
  const int n = i2d_ECDSA_SIG(sig.get(), &buf);
  if (n <= 0) {
    return fail(ErrorCode::kSignatureInvalid, "ECDSA signature cannot be encoded");
  }
  std::string der(reinterpret_cast<char*>(buf), static_cast<std::size_t>(n));
  OPENSSL_free(buf);
  return der;
}

// Exclusive C14N visibility of `root`'s subtree without the `omit` subtree (the enveloped
// transform); `omit` may be null.
struct C14nScope {
  const xmlNode* root;
  const xmlNode* omit;
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

// Exclusive C14N without comments of `scope`, with the InclusiveNamespaces PrefixList
// `inclusive_prefixes` ("#default" names the default namespace, as libxml2 reads it).
core::Result<std::string> canonicalSubtree(xmlDoc* doc, const C14nScope& scope,
                                           const std::vector<std::string>& inclusive_prefixes) {
  std::vector<xmlChar*> prefixes;
  prefixes.reserve(inclusive_prefixes.size() + 1);
  for (const auto& p : inclusive_prefixes) {
    prefixes.push_back(BAD_CAST p.c_str());
  }
  prefixes.push_back(nullptr);
  core::CHandle<xmlOutputBuffer, xmlOutputBufferClose> buf(xmlAllocOutputBuffer(nullptr));
  if (!buf ||
      xmlC14NExecute(doc, &visibleInScope, const_cast<C14nScope*>(&scope), XML_C14N_EXCLUSIVE_1_0,
                     inclusive_prefixes.empty() ? nullptr : prefixes.data(), 0, buf.get()) < 0) {
    return fail(ErrorCode::kInternal, "canonicalization failed");
  }
  return std::string(reinterpret_cast<const char*>(xmlOutputBufferGetContent(buf.get())),
                     xmlOutputBufferGetSize(buf.get()));
}

void setText(xmlNode* node, const std::string& text) {
  xmlNodeSetContent(node, nullptr);
  xmlNodeAddContentLen(node, BAD_CAST text.data(), static_cast<int>(text.size()));
}

// Computes the Reference digest and the SignatureValue of a template made by signElement, before
// the template goes into the document: `sig` is not in `element`'s tree yet.
//
// The digest covers `element` as the enveloped-signature transform will show it to the verifier,
// that is without the Signature, which is exactly the element now. SignedInfo is canonicalized
// while the Signature is the root of a scratch document of its own: libxml2's C14N with a
// visibility callback walks every node of the document it is given, and SignedInfo's exclusive
// canonical form does not depend on where the Signature sits (it renders only the namespaces its
// own elements use, and the ds namespace is declared on the Signature). Canonicalizing it inside
// the message walked the whole Response again, about a tenth of a launch's non-RSA work.
core::Status fillSignature(xmlNode* element, xmlNode* sig, xmlNode* ref, const PrivateKey& key,
                           SignatureAlgorithm alg) {
  xmlNode* digest_value = firstChildElement(ref, ns::kDsig, "DigestValue");
  xmlNode* signed_info = firstChildElement(sig, ns::kDsig, "SignedInfo");
  xmlNode* signature_value = firstChildElement(sig, ns::kDsig, "SignatureValue");
  if (digest_value == nullptr || signed_info == nullptr || signature_value == nullptr ||
      sig->parent != nullptr) {
    return fail(ErrorCode::kInternal, "signature template incomplete");
  }
  auto content = canonicalSubtree(element->doc, {element, nullptr}, {kSigningPrefix});
  if (!content) {
    return fail(content.error());
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (!pkey::digest(pkey::digestNamed(info(alg).digest_name), *content, md, &md_len)) {
    return fail(ErrorCode::kInternal, "digest failed");
  }
  setText(digest_value, core::base64Encode(std::string_view(reinterpret_cast<char*>(md), md_len)));
  XmlDoc scratch(xmlNewDoc(BAD_CAST "1.0"));
  if (!scratch) {
    return fail(ErrorCode::kInternal, "cannot canonicalize SignedInfo");
  }
  xmlDoc* home = sig->doc;
  if (home->dict != nullptr) {
    // The same dictionary as the message's (a parsed one has one): the template's names come from
    // it, and nodes moving between documents with different dictionaries would need copies.
    scratch->dict = home->dict;
    xmlDictReference(scratch->dict);
  }
  xmlDocSetRootElement(scratch.get(), sig);
  auto canonical_signed_info = canonicalSubtree(scratch.get(), {signed_info, nullptr}, {});
  xmlUnlinkNode(sig);
  xmlSetTreeDoc(sig, home);  // back to the message's document before the caller inserts it
  if (!canonical_signed_info) {
    return fail(canonical_signed_info.error());
  }
  auto value = signBytes(*canonical_signed_info, key, alg);
  if (!value) {
    return fail(value.error());
  }
  setText(signature_value, core::base64Encode(*value));
  return {};
}

// ---- verification

// Canonical XML is undefined for a namespace name that is not an absolute URI (C14N 1.0 section
// 2.3); libxml2 refuses to canonicalize it, and xmlsec 1.2.37 then leaks its output buffer. Such a
// name in scope of the signed element (declared in it or on an ancestor) refuses the signature
// before either path runs. SAML never uses one.
bool absoluteUri(const xmlChar* href) {
  if (href == nullptr || *href == '\0') {
    return true;  // an undeclaration (xmlns="") is not a namespace name
  }
  core::CHandle<xmlURI, xmlFreeURI> uri(xmlParseURI(reinterpret_cast<const char*>(href)));
  return uri && uri->scheme != nullptr && *uri->scheme != '\0';
}

bool declaresRelativeNamespace(const xmlNode* node) {
  for (const xmlNs* ns = node->nsDef; ns != nullptr; ns = ns->next) {
    if (!absoluteUri(ns->href)) {
      return true;
    }
  }
  return false;
}

bool relativeNamespaceInScope(const xmlNode* element) {
  for (const xmlNode* a = element->parent; a != nullptr && a->type == XML_ELEMENT_NODE;
       a = a->parent) {
    if (declaresRelativeNamespace(a)) {
      return true;
    }
  }
  // The subtree, iteratively (depth is bounded by the parser, but no recursion is needed).
  const xmlNode* n = element;
  while (n != nullptr) {
    if (n->type == XML_ELEMENT_NODE && declaresRelativeNamespace(n)) {
      return true;
    }
    if (n->type == XML_ELEMENT_NODE && n->children != nullptr) {
      n = n->children;
      continue;
    }
    while (n != nullptr && n != element && n->next == nullptr) {
      n = n->parent;
    }
    n = (n == nullptr || n == element) ? nullptr : n->next;
  }
  return false;
}

// The checks made before any cryptography, in this order: a single direct ds:Signature child,
// trusted keys given, the SAML profile (checkProfile), no relative namespace name in scope.
// Returns the Signature.
core::Result<xmlNode*> checkedSignature(xmlNode* element, const std::vector<Certificate>& trusted) {
  if (element == nullptr || element->type != XML_ELEMENT_NODE) {
    return fail(ErrorCode::kSignatureMissing, "no element to verify");
  }
  const auto signatures = childElements(element, ns::kDsig, "Signature");
  if (signatures.empty()) {
    return fail(ErrorCode::kSignatureMissing,
                "<" + std::string(localName(element)) + "> is not signed");
  }
  if (signatures.size() > 1) {
    return fail(ErrorCode::kSignatureProfile,
                "<" + std::string(localName(element)) + "> carries several signatures");
  }
  if (trusted.empty()) {
    return fail(ErrorCode::kNoTrustedKey,
                "no trusted key to verify <" + std::string(localName(element)) + ">");
  }
  xmlNode* signature = signatures.front();
  GARDE_TRY(checkProfile(element, signature));
  if (relativeNamespaceInScope(element)) {
    return fail(ErrorCode::kSignatureInvalid,
                "a namespace name in scope of the signed element is not an absolute URI "
                "(canonicalization undefined)");
  }
  return signature;
}

// The general path: xmlsec's transform chain, once per trusted key.
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

// Direct verification (without xmlsec's transform chain, whose node-set C14N and key matching
// cost several times the RSA verification) for the one shape every SAML implementation emits.
// Anything the shape check does not recognise goes to xmlsec, so that both paths give the same
// outcome; tests/saml/signature_paths_test.cpp compares them.
struct DirectShape {
  SignatureAlgorithm alg;
  const char* digest_name;  // OpenSSL name of the DigestMethod
  xmlNode* signed_info;
  std::vector<std::string> reference_prefixes;    // of the exclusive C14N Transform
  std::vector<std::string> signed_info_prefixes;  // of the CanonicalizationMethod
  std::string digest_value;                       // decoded
  std::string signature_value;                    // decoded, r || s for ECDSA
};

// The element children of `parent` if they are exactly ds:`names`, in this order.
std::optional<std::vector<xmlNode*>> dsChildren(const xmlNode* parent,
                                                std::initializer_list<const char*> names) {
  auto children = childElements(parent);
  if (children.size() != names.size()) {
    return std::nullopt;
  }
  const auto* name = names.begin();
  for (const xmlNode* c : children) {
    if (!isElement(c, ns::kDsig, *name++)) {
      return std::nullopt;
    }
  }
  return children;
}

// The attribute `name` if `node` has exactly one attribute of that local name, without a
// namespace. xmlsec reads attributes ignoring namespaces (xmlGetProp); garde reads the one
// without: both see the same value only then.
std::optional<std::string> soleAttribute(const xmlNode* node, const char* name) {
  const xmlAttr* found = nullptr;
  for (const xmlAttr* a = node->properties; a != nullptr; a = a->next) {
    if (xmlStrEqual(a->name, BAD_CAST name) != 0) {
      if (found != nullptr || a->ns != nullptr) {
        return std::nullopt;
      }
      found = a;
    }
  }
  return found != nullptr ? attribute(node, name) : std::nullopt;
}

// The ec:InclusiveNamespaces PrefixList of an exclusive C14N method, empty if it has none.
// nullopt for anything else under the method, and for a list not separated by single spaces:
// xmlsec releases differ on other separators (1.2 splits on ' ' only, where an empty token
// would mean the default namespace to libxml2), so such lists go to the installed xmlsec.
std::optional<std::vector<std::string>> inclusivePrefixes(const xmlNode* method) {
  const auto children = childElements(method);
  if (children.empty()) {
    return std::vector<std::string>{};
  }
  if (children.size() != 1 || !isElement(children[0], kExcC14nNs, "InclusiveNamespaces") ||
      !childElements(children[0]).empty()) {
    return std::nullopt;
  }
  const auto list = soleAttribute(children[0], "PrefixList");
  if (!list) {
    return std::nullopt;
  }
  std::vector<std::string> prefixes;
  if (list->empty()) {
    return prefixes;
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t end = list->find(' ', start);
    std::string token = list->substr(start, end == std::string::npos ? end : end - start);
    if (token.empty() || token.find_first_of("\t\r\n") != std::string::npos) {
      return std::nullopt;
    }
    prefixes.push_back(std::move(token));
    if (end == std::string::npos) {
      return prefixes;
    }
    start = end + 1;
  }
}

// True if the method element has this Algorithm (read unambiguously) and no child element.
bool isPlainMethod(const xmlNode* method, std::string_view algorithm) {
  const auto alg = soleAttribute(method, "Algorithm");
  return alg && *alg == algorithm && childElements(method).empty();
}

// The decoded base64 text of a DigestValue or SignatureValue (XML whitespace allowed), or nullopt
// when it holds elements or is not strict base64: xmlsec's decoder is the reference then.
std::optional<std::string> base64Value(const xmlNode* node) {
  if (!childElements(node).empty()) {
    return std::nullopt;
  }
  auto decoded = core::base64Decode(textContent(node), 4096);
  if (!decoded) {
    return std::nullopt;
  }
  return *std::move(decoded);
}

// The ID characters of every SAML implementation's IDs. xmlsec resolves "#id" through the
// XPointer xpointer(id('id')), where a quote or a space would change the expression.
bool isPlainId(std::string_view id) {
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) {
      return false;
    }
  }
  return !id.empty();
}

// The parts of `signature` (on `element`, checkProfile passed) if it has exactly the shape
// Signature(SignedInfo(CanonicalizationMethod, SignatureMethod, Reference(Transforms(enveloped,
// exc-c14n), DigestMethod, DigestValue)), SignatureValue, KeyInfo?); nullopt sends it to xmlsec.
std::optional<DirectShape> directShape(const xmlNode* element, const xmlNode* signature) {
  auto parts = dsChildren(signature, {"SignedInfo", "SignatureValue"});
  if (!parts) {
    parts = dsChildren(signature, {"SignedInfo", "SignatureValue", "KeyInfo"});
  }
  if (!parts) {
    return std::nullopt;
  }
  xmlNode* signed_info = (*parts)[0];
  const auto info_parts =
      dsChildren(signed_info, {"CanonicalizationMethod", "SignatureMethod", "Reference"});
  if (!info_parts) {
    return std::nullopt;
  }
  xmlNode* c14n = (*info_parts)[0];
  xmlNode* method = (*info_parts)[1];
  xmlNode* reference = (*info_parts)[2];
  const auto ref_parts = dsChildren(reference, {"Transforms", "DigestMethod", "DigestValue"});
  if (!ref_parts) {
    return std::nullopt;
  }
  const auto transforms = dsChildren((*ref_parts)[0], {"Transform", "Transform"});
  if (!transforms || !isPlainMethod((*transforms)[0], kEnveloped) ||
      soleAttribute((*transforms)[1], "Algorithm") != kExcC14n ||
      soleAttribute(c14n, "Algorithm") != kExcC14n) {
    return std::nullopt;
  }
  const auto id = attribute(element, "ID");
  if (!id || !isPlainId(*id) || soleAttribute(reference, "URI") != "#" + *id) {
    return std::nullopt;
  }
  const auto sig_uri = soleAttribute(method, "Algorithm");
  const auto digest_uri = soleAttribute((*ref_parts)[1], "Algorithm");
  if (!sig_uri || !digest_uri || !isPlainMethod(method, *sig_uri) ||
      !isPlainMethod((*ref_parts)[1], *digest_uri)) {
    return std::nullopt;
  }
  auto alg = algorithmFromUri(*sig_uri);
  const AlgInfo* digest = nullptr;
  for (const auto& a : kAlgorithms) {
    if (a.digest_uri == *digest_uri) {
      digest = &a;
      break;
    }
  }
  auto reference_prefixes = inclusivePrefixes((*transforms)[1]);
  auto signed_info_prefixes = inclusivePrefixes(c14n);
  auto digest_value = base64Value((*ref_parts)[2]);
  auto signature_value = base64Value((*parts)[1]);
  if (!alg || digest == nullptr || !reference_prefixes || !signed_info_prefixes || !digest_value ||
      !signature_value) {
    return std::nullopt;
  }
  return DirectShape{*alg,
                     digest->digest_name,
                     signed_info,
                     *std::move(reference_prefixes),
                     *std::move(signed_info_prefixes),
                     *std::move(digest_value),
                     *std::move(signature_value)};
}

// One trusted key against the SignatureValue. The key must be of the algorithm's type (RSA or
// EC), as xmlsec's key requirement; an ECDSA value is r || s, at most twice the key's order size
// (longer zero-padded values are refused, as xmlsec does).
bool verifiesWith(const Certificate& cert, SignatureAlgorithm alg, std::string_view data,
                  std::string_view value) {
  EVP_PKEY* pkey = cert.publicKey();
  const int type = EVP_PKEY_get_base_id(pkey);
  std::string der;
  if (isEcdsa(alg)) {
    const auto half = static_cast<std::size_t>((EVP_PKEY_get_bits(pkey) + 7) / 8);
    if (type != EVP_PKEY_EC || value.size() > 2 * half) {
      return false;
    }
    auto encoded = ecdsaRawToDer(value);
    if (!encoded) {
      return false;
    }
    der = *std::move(encoded);
    value = der;
  } else if (type != EVP_PKEY_RSA) {
    return false;
  }
  return pkey::verify(pkey, pkey::digestNamed(info(alg).digest_name), data, value);
}

// Verifies a signature of the direct shape: the Reference digest over the exclusive C14N of
// `element` minus the Signature (no comments: a "#id" reference), then the SignatureValue over
// the exclusive C14N of SignedInfo, with each trusted key in turn (never KeyInfo's).
// Never hands over to xmlsec once chosen: a canonicalization libxml2 refuses is refused here (the
// known cause, a relative namespace name, is refused before either path runs).
core::Result<xmlNode*> verifyDirect(xmlNode* element, xmlNode* signature, const DirectShape& shape,
                                    const std::vector<Certificate>& trusted) {
  const auto content =
      canonicalSubtree(element->doc, {element, signature}, shape.reference_prefixes);
  if (!content) {
    return fail(ErrorCode::kSignatureInvalid, "the signed element cannot be canonicalized");
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (!pkey::digest(pkey::digestNamed(shape.digest_name), *content, md, &md_len)) {
    return fail(ErrorCode::kInternal, "digest failed");
  }
  if (shape.digest_value.size() != md_len ||
      CRYPTO_memcmp(shape.digest_value.data(), md, md_len) != 0) {
    return fail(ErrorCode::kSignatureInvalid, "reference digest does not match");
  }
  const auto signed_info =
      canonicalSubtree(element->doc, {shape.signed_info, nullptr}, shape.signed_info_prefixes);
  if (!signed_info) {
    return fail(ErrorCode::kSignatureInvalid, "SignedInfo cannot be canonicalized");
  }
  for (const auto& cert : trusted) {
    if (verifiesWith(cert, shape.alg, *signed_info, shape.signature_value)) {
      return element;
    }
  }
  return fail(ErrorCode::kSignatureInvalid, "signature does not verify with any trusted key");
}

}  // namespace

std::string_view algorithmUri(SignatureAlgorithm alg) noexcept { return info(alg).uri; }

core::Result<SignatureAlgorithm> algorithmFromUri(std::string_view uri) {
  for (const auto& a : kAlgorithms) {
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

xmlNode* findSignature(const xmlNode* element) noexcept {
  return firstChildElement(element, ns::kDsig, "Signature");
}

core::Result<xmlNode*> verifyEnvelopedSignature(xmlNode* element,
                                                const std::vector<Certificate>& trusted) {
  auto signature = checkedSignature(element, trusted);
  if (!signature) {
    return fail(signature.error());
  }
  if (auto direct = directShape(element, *signature)) {
    return verifyDirect(element, *signature, *direct, trusted);
  }
  return verifyWithXmlsec(element, *signature, trusted);
}

namespace internal {

core::Result<xmlNode*> verifyEnvelopedSignatureWithXmlsec(xmlNode* element,
                                                          const std::vector<Certificate>& trusted) {
  auto signature = checkedSignature(element, trusted);
  if (!signature) {
    return fail(signature.error());
  }
  return verifyWithXmlsec(element, *signature, trusted);
}

bool usesDirectVerification(const xmlNode* element) {
  const auto signatures = childElements(element, ns::kDsig, "Signature");
  return signatures.size() == 1 && directShape(element, signatures.front()).has_value();
}

}  // namespace internal

core::Status signElement(xmlNode* element, const Credential& credential,
                         std::optional<SignatureAlgorithm> alg) {
  const SignatureAlgorithm algorithm = alg.value_or(defaultAlgorithm(credential.key));
  if (isEcdsa(algorithm) != (credential.key.keyType() == KeyType::kEc)) {
    return fail(ErrorCode::kAlgorithmForbidden, "signature algorithm does not match the key type");
  }
  const auto id = attribute(element, "ID");
  if (!id || id->empty()) {
    return fail(ErrorCode::kMalformedMessage, "element to sign has no ID");
  }
  if (elementById(element->doc, *id) != element) {
    registerId(element);
  }
  xmlDoc* doc = element->doc;
  xmlNode* sig = xmlSecTmplSignatureCreateNsPref(doc, xmlSecTransformExclC14NId,
                                                 signTransform(algorithm), nullptr, BAD_CAST "ds");
  if (sig == nullptr) {
    return fail(ErrorCode::kInternal, "cannot create signature template");
  }
  const std::string uri = "#" + *id;
  xmlNode* c14n = nullptr;
  xmlNode* ref = xmlSecTmplSignatureAddReference(sig, digestTransform(algorithm), nullptr,
                                                 BAD_CAST uri.c_str(), nullptr);
  if (ref == nullptr ||
      xmlSecTmplReferenceAddTransform(ref, xmlSecTransformEnvelopedId) == nullptr ||
      (c14n = xmlSecTmplReferenceAddTransform(ref, xmlSecTransformExclC14NId)) == nullptr ||
      xmlSecTmplTransformAddC14NInclNamespaces(c14n, BAD_CAST kSigningPrefix) < 0) {
    xmlUnlinkNode(sig);
    xmlFreeNode(sig);
    return fail(ErrorCode::kInternal, "cannot create signature reference");
  }
  // Filled in directly rather than through xmlsec's transform chain, which costs several times
  // the C14N itself; the interop tests check this output with xmlsec1, lasso and pysaml2.
  if (auto filled = fillSignature(element, sig, ref, credential.key, algorithm); !filled) {
    xmlFreeNode(sig);
    return filled;
  }
  // Schema order: the Signature follows the Issuer, or comes first.
  xmlNode* issuer = firstChildElement(element, ns::kAssertion, "Issuer");
  xmlNode* first = nullptr;
  for (xmlNode* c = element->children; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) {
      first = c;
      break;
    }
  }
  if (issuer != nullptr) {
    xmlAddNextSibling(issuer, sig);
  } else if (first != nullptr) {
    xmlAddPrevSibling(first, sig);
  } else {
    xmlAddChild(element, sig);
  }
  // KeyInfo is outside SignedInfo: added after signing, it names our certificate for the peer.
  xmlNode* key_info = xmlNewChild(sig, sig->ns, BAD_CAST "KeyInfo", nullptr);
  xmlNode* x509_data = xmlNewChild(key_info, sig->ns, BAD_CAST "X509Data", nullptr);
  const std::string b64 = credential.cert.base64Der();
  xmlNewTextChild(x509_data, sig->ns, BAD_CAST "X509Certificate", BAD_CAST b64.c_str());
  return {};
}

core::Result<std::string> envelopedSignatureText(std::string_view id,
                                                 std::string_view canonical_element,
                                                 const Credential& credential) {
  const AlgInfo& alg = info(defaultAlgorithm(credential.key));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (!pkey::digest(pkey::digestNamed(alg.digest_name), canonical_element, md, &md_len)) {
    return fail(ErrorCode::kInternal, "digest failed");
  }
  // SignedInfo after its start tag's name, in canonical form: what C14N makes of signElement's
  // template (xmlsec puts a line feed between the elements; empty elements get end tags). Its
  // canonical form declares the ds namespace on SignedInfo; inside the Signature it need not.
  std::string rest;
  rest.reserve(1024);
  rest += ">\n<ds:CanonicalizationMethod Algorithm=\"";
  rest += kExcC14n;
  rest += "\"></ds:CanonicalizationMethod>\n<ds:SignatureMethod Algorithm=\"";
  rest += alg.uri;
  rest += "\"></ds:SignatureMethod>\n<ds:Reference URI=\"#";
  c14n::appendAttributeValue(rest, id);
  rest += "\">\n<ds:Transforms>\n<ds:Transform Algorithm=\"";
  rest += kEnveloped;
  rest += "\"></ds:Transform>\n<ds:Transform Algorithm=\"";
  rest += kExcC14n;
  rest += "\">\n<InclusiveNamespaces xmlns=\"";
  rest += kExcC14nNs;
  rest += "\" PrefixList=\"";
  rest += kSigningPrefix;
  rest +=
      "\"></InclusiveNamespaces>\n</ds:Transform>\n</ds:Transforms>\n<ds:DigestMethod Algorithm=\"";
  rest += alg.digest_uri;
  rest += "\"></ds:DigestMethod>\n<ds:DigestValue>";
  core::appendBase64(rest, std::string_view(reinterpret_cast<char*>(md), md_len));
  rest += "</ds:DigestValue>\n</ds:Reference>\n</ds:SignedInfo>";
  const std::string ds_declaration = std::string(" xmlns:ds=\"") + ns::kDsig + "\"";
  auto value = signBytes("<ds:SignedInfo" + ds_declaration + rest, credential.key, alg.alg);
  if (!value) {
    return fail(value.error());
  }
  std::string out;
  out.reserve(rest.size() + 2048);
  out += "<ds:Signature";
  out += ds_declaration;
  out += ">\n<ds:SignedInfo";
  out += rest;
  out += "\n<ds:SignatureValue>";
  core::appendBase64(out, *value);
  out += "</ds:SignatureValue>\n<ds:KeyInfo><ds:X509Data><ds:X509Certificate>";
  out += credential.cert.base64Der();
  out += "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>";
  return out;
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
    return ecdsaDerToRaw(sig, (EVP_PKEY_get_bits(key.get()) + 7) / 8);
  }
  return sig;
}

core::Status verifyBytes(std::string_view data, std::string_view signature,
                         std::string_view alg_uri, const std::vector<Certificate>& trusted) {
  auto alg = algorithmFromUri(alg_uri);
  if (!alg) {
    return fail(alg.error());
  }
  if (trusted.empty()) {
    return fail(ErrorCode::kNoTrustedKey, "no trusted key to verify the signature");
  }
  std::string sig(signature);
  if (isEcdsa(*alg)) {
    auto der = ecdsaRawToDer(signature);
    if (!der) {
      return fail(der.error());
    }
    sig = std::move(der).value();
  }
  for (const auto& cert : trusted) {
    if (isEcdsa(*alg) != (cert.keyType() == KeyType::kEc)) {
      continue;
    }
    if (pkey::verify(cert.publicKey(), pkey::digestNamed(info(*alg).digest_name), data, sig)) {
      return {};
    }
  }
  return fail(ErrorCode::kSignatureInvalid, "signature does not verify with any trusted key");
}

}  // namespace garde::saml
