// The SAML signature profile (SAML2 Core 5.4), checked on the tree before any cryptography, and
// the other checks both verifiers rely on: one direct ds:Signature child, trusted keys given, no
// namespace name in scope that canonicalization cannot handle.

#include <libxml/uri.h>

#include "saml/signature_parts.h"

namespace garde::saml::detail {
namespace {

using core::ErrorCode;
using core::fail;

core::Status checkDigestUri(std::string_view uri) {
  if (infoByDigestUri(uri) != nullptr) {
    return {};
  }
  return fail(ErrorCode::kAlgorithmForbidden,
              "digest method '" + std::string(uri) + "' is not allowed");
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
  GARDE_TRY(algorithmFromUri(*sig_alg));
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

}  // namespace

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
  xmlNode* signature = signatures.front();
  // The profile and its algorithms first: a peer told that its algorithm is refused learns more
  // than one told that no key of its metadata can verify.
  GARDE_TRY(checkProfile(element, signature));
  if (trusted.empty()) {
    return fail(ErrorCode::kNoTrustedKey,
                "no trusted key to verify <" + std::string(localName(element)) + ">");
  }
  if (relativeNamespaceInScope(element)) {
    return fail(ErrorCode::kSignatureInvalid,
                "a namespace name in scope of the signed element is not an absolute URI "
                "(canonicalization undefined)");
  }
  return signature;
}

}  // namespace garde::saml::detail
