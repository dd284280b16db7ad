// Direct verification: the one signature shape every SAML implementation emits, verified with
// libxml2's exclusive C14N and OpenSSL, without xmlsec's transform chain (whose node-set C14N and
// key matching cost several times the RSA verification; docs/adr/0007-launch-path-performance.md).

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/encoding.h"
#include "saml/pkey_ops.h"
#include "saml/signature_parts.h"

namespace garde::saml::detail {
namespace {

using core::ErrorCode;
using core::fail;

// What the direct path reads from a signature of its shape. Anything the shape check does not
// recognise goes to xmlsec, so that both paths give the same outcome;
// tests/saml/signature_paths_test.cpp compares them.
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
  const AlgInfo* digest = infoByDigestUri(*digest_uri);
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
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (!canonicalDigest(element->doc, {element, signature}, shape.reference_prefixes,
                       pkey::digestNamed(shape.digest_name), md, &md_len)) {
    return fail(ErrorCode::kSignatureInvalid, "the signed element cannot be canonicalized");
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

bool hasDirectShape(const xmlNode* element, const xmlNode* signature) {
  return directShape(element, signature).has_value();
}

std::optional<core::Result<xmlNode*>> verifyDirectly(xmlNode* element, xmlNode* signature,
                                                     const std::vector<Certificate>& trusted) {
  auto shape = directShape(element, signature);
  if (!shape) {
    return std::nullopt;
  }
  return verifyDirect(element, signature, *shape, trusted);
}

}  // namespace garde::saml::detail
