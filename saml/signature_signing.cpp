// Signing: signElement() on a tree, envelopedSignatureText() for messages written as text
// (saml/message_text.cpp). Both compute the digest and the SignatureValue directly (libxml2's
// exclusive C14N, OpenSSL), not through xmlsec's transform chain, which costs several times the
// C14N itself; the interop tests check this output with xmlsec1, lasso and pysaml2.

#include <openssl/evp.h>

#include "core/encoding.h"
#include "saml/canonical_text.h"
#include "saml/pkey_ops.h"
#include "saml/signature_parts.h"

namespace garde::saml {
namespace {

using core::ErrorCode;
using core::fail;
using detail::canonicalDigest;
using detail::canonicalSubtree;
using detail::info;
using detail::isEcdsa;
using detail::kEnveloped;
using detail::kExcC14n;
using detail::kExcC14nNs;
using detail::kSigningPrefix;

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
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  GARDE_TRY(canonicalDigest(element->doc, {element, nullptr}, {kSigningPrefix},
                            pkey::digestNamed(info(alg).digest_name), md, &md_len));
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
  std::string canonical_signed_info;
  {
    // `sig` is lent to `scratch`, and goes back to the message's document (still out of its
    // tree) before the caller inserts it, whatever happens in between.
    struct Lend {
      xmlNode* sig;
      xmlDoc* home;
      ~Lend() {
        xmlUnlinkNode(sig);
        xmlSetTreeDoc(sig, home);
      }
    } lend{sig, home};
    xmlDocSetRootElement(scratch.get(), sig);
    GARDE_ASSIGN_OR_RETURN(canonical_signed_info,
                           canonicalSubtree(scratch.get(), {signed_info, nullptr}, {}));
  }
  GARDE_ASSIGN_OR_RETURN(auto value, signBytes(canonical_signed_info, key, alg));
  setText(signature_value, core::base64Encode(value));
  return {};
}

}  // namespace

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
  GARDE_ASSIGN_OR_RETURN(auto tmpl, detail::signatureTemplate(element->doc, algorithm, "#" + *id));
  GARDE_TRY(
      fillSignature(element, tmpl.signature.get(), tmpl.reference, credential.key, algorithm));
  xmlNode* sig = tmpl.signature.release();  // owned by the tree from here
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
  const detail::AlgInfo& alg = info(defaultAlgorithm(credential.key));
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
  GARDE_ASSIGN_OR_RETURN(
      auto value, signBytes("<ds:SignedInfo" + ds_declaration + rest, credential.key, alg.alg));
  std::string out;
  out.reserve(rest.size() + 2048);
  out += "<ds:Signature";
  out += ds_declaration;
  out += ">\n<ds:SignedInfo";
  out += rest;
  out += "\n<ds:SignatureValue>";
  core::appendBase64(out, value);
  out += "</ds:SignatureValue>\n<ds:KeyInfo><ds:X509Data><ds:X509Certificate>";
  out += credential.cert.base64Der();
  out += "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>";
  return out;
}

}  // namespace garde::saml
