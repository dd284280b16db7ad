#include "saml/encryption.h"

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <xmlsec/buffer.h>
#include <xmlsec/crypto.h>
#include <xmlsec/keys.h>
#include <xmlsec/list.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmlenc.h>
#include <xmlsec/xmlsec.h>

#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "core/c_handle.h"
#include "core/encoding.h"
#include "saml/crypto_handles.h"
#include "saml/pkey_ops.h"
#include "saml/xml.h"

namespace garde::saml {
namespace {

using core::ErrorCode;
using core::fail;

using EncCtx = core::CHandle<xmlSecEncCtx, xmlSecEncCtxDestroy>;
struct XmlNsListFree {
  void operator()(xmlNs** p) const noexcept { xmlFree(p); }
};
using XmlNsList = std::unique_ptr<xmlNs*, XmlNsListFree>;

constexpr const char* kTypeElement = "http://www.w3.org/2001/04/xmlenc#Element";
constexpr std::string_view kAes256Gcm = "http://www.w3.org/2009/xmlenc11#aes256-gcm";
constexpr std::string_view kAes128Gcm = "http://www.w3.org/2009/xmlenc11#aes128-gcm";
constexpr std::string_view kAes256Cbc = "http://www.w3.org/2001/04/xmlenc#aes256-cbc";
constexpr const char* kRsaOaepMgf1p = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";
constexpr std::string_view kRsaOaep11 = "http://www.w3.org/2009/xmlenc11#rsa-oaep";
constexpr std::string_view kRsa15 = "http://www.w3.org/2001/04/xmlenc#rsa-1_5";
constexpr const char* kSha1 = "http://www.w3.org/2000/09/xmldsig#sha1";

constexpr std::size_t kAes256KeyBytes = 32;
// XML Encryption 1.1 section 5.2.4: a 96-bit nonce and a 128-bit tag.
constexpr std::size_t kGcmNonceBytes = 12;
constexpr std::size_t kGcmTagBytes = 16;

// One message carries one EncryptedKey per recipient key; more is an RSA-work amplifier.
constexpr std::size_t kMaxEncryptedKeys = 4;

// The same words for every failure from key unwrap to the plaintext's parse: with AES-CBC, telling
// a padding error from a parse error is the oracle of Jager & Somorovsky's attack on XML
// Encryption.
constexpr const char* kCannotDecrypt =
    "EncryptedAssertion cannot be decrypted with any of our keys";

struct ContentAlgorithm {
  std::string_view uri;
  std::size_t key_bytes;
  bool authenticated;
};

constexpr ContentAlgorithm kContentAlgorithms[] = {
    {kAes256Gcm, 32, true},
    {kAes128Gcm, 16, true},
    {kAes256Cbc, 32, false},  // legacy peers only: unauthenticated (see docs/adr/0003)
};

xmlSecTransformId contentTransform(std::string_view uri) {
  if (uri == kAes256Gcm) {
    return xmlSecTransformAes256GcmId;
  }
  if (uri == kAes128Gcm) {
    return xmlSecTransformAes128GcmId;
  }
  return xmlSecTransformAes256CbcId;
}

const EVP_MD* digestFromUri(std::string_view uri) {
  if (uri == kSha1) {
    return EVP_sha1();
  }
  if (uri == "http://www.w3.org/2001/04/xmlenc#sha256") {
    return EVP_sha256();
  }
  if (uri == "http://www.w3.org/2001/04/xmldsig-more#sha384") {
    return EVP_sha384();
  }
  if (uri == "http://www.w3.org/2001/04/xmlenc#sha512") {
    return EVP_sha512();
  }
  return nullptr;
}

// XML Encryption 1.1 section 5.5.2: MGF identifiers of the xmlenc11#rsa-oaep algorithm.
const EVP_MD* mgfFromUri(std::string_view uri) {
  constexpr std::string_view kPrefix = "http://www.w3.org/2009/xmlenc11#mgf1";
  if (uri.substr(0, kPrefix.size()) != kPrefix) {
    return nullptr;
  }
  const std::string_view md = uri.substr(kPrefix.size());
  if (md == "sha1") {
    return EVP_sha1();
  }
  if (md == "sha256") {
    return EVP_sha256();
  }
  if (md == "sha384") {
    return EVP_sha384();
  }
  if (md == "sha512") {
    return EVP_sha512();
  }
  return nullptr;
}

// A key transport read from one xenc:EncryptedKey, checked against the allow list.
struct WrappedKey {
  const EVP_MD* digest = EVP_sha1();
  const EVP_MD* mgf = EVP_sha1();
  std::string label;  // OAEPparams
  std::string cipher;
};

// The one CipherValue of a CipherData (never a CipherReference, which would make xmlsec fetch a
// URI).
core::Result<xmlNode*> cipherValue(const xmlNode* parent, std::string_view what) {
  const auto cipher_data = childElements(parent, ns::kXenc, "CipherData");
  if (cipher_data.size() != 1) {
    return fail(ErrorCode::kMalformedMessage, std::string(what) + " needs exactly one CipherData");
  }
  const auto children = childElements(cipher_data.front());
  if (children.size() != 1 || !isElement(children.front(), ns::kXenc, "CipherValue")) {
    return fail(ErrorCode::kMalformedMessage,
                std::string(what) + " CipherData must hold one CipherValue (no CipherReference)");
  }
  return children.front();
}

core::Result<WrappedKey> readEncryptedKey(const xmlNode* encrypted_key) {
  const auto methods = childElements(encrypted_key, ns::kXenc, "EncryptionMethod");
  const auto alg = methods.size() == 1 ? attribute(methods.front(), "Algorithm") : std::nullopt;
  if (!alg) {
    return fail(ErrorCode::kMalformedMessage,
                "EncryptedKey needs one EncryptionMethod with an Algorithm");
  }
  if (*alg == kRsa15) {
    return fail(ErrorCode::kAlgorithmForbidden,
                "key transport rsa-1_5 is forbidden (PKCS#1 v1.5 padding oracle)");
  }
  const bool oaep11 = *alg == kRsaOaep11;
  if (*alg != kRsaOaepMgf1p && !oaep11) {
    return fail(ErrorCode::kAlgorithmForbidden, "key transport '" + *alg + "' is not allowed");
  }
  WrappedKey key;
  for (xmlNode* param : childElements(methods.front())) {
    if (isElement(param, ns::kDsig, "DigestMethod")) {
      key.digest = digestFromUri(attribute(param, "Algorithm").value_or(""));
      if (key.digest == nullptr) {
        return fail(
            ErrorCode::kAlgorithmForbidden,
            "RSA-OAEP digest '" + attribute(param, "Algorithm").value_or("") + "' is not allowed");
      }
    } else if (oaep11 && isElement(param, ns::kXenc11, "MGF")) {
      key.mgf = mgfFromUri(attribute(param, "Algorithm").value_or(""));
      if (key.mgf == nullptr) {
        return fail(ErrorCode::kAlgorithmForbidden, "RSA-OAEP mask generation '" +
                                                        attribute(param, "Algorithm").value_or("") +
                                                        "' is not allowed");
      }
    } else if (isElement(param, ns::kXenc, "OAEPparams")) {
      auto label = core::base64Decode(textContent(param), 1024);
      if (!label) {
        return fail(ErrorCode::kMalformedMessage, "OAEPparams: " + label.error().detail);
      }
      key.label = std::move(label).value();
    } else {
      return fail(ErrorCode::kMalformedMessage, "unexpected <" + std::string(localName(param)) +
                                                    "> in the EncryptedKey's EncryptionMethod");
    }
  }
  GARDE_ASSIGN_OR_RETURN(auto value, cipherValue(encrypted_key, "EncryptedKey"));
  // RSA-16384 at most: 2 KiB of ciphertext.
  auto cipher = core::base64Decode(textContent(value), 2048);
  if (!cipher) {
    return fail(ErrorCode::kMalformedMessage, "EncryptedKey CipherValue: " + cipher.error().detail);
  }
  key.cipher = std::move(cipher).value();
  return key;
}

// RSA-OAEP is done with OpenSSL directly rather than through xmlsec: xmlsec 1.2.37 knows only
// rsa-oaep-mgf1p with SHA-1, and unwrapping ourselves keeps xmlsec away from KeyInfo entirely (no
// keys manager, no KeyName lookup, no RetrievalMethod, no certificate chain building).
PkeyCtx oaepContext(EVP_PKEY* key, bool encrypt, const EVP_MD* digest, const EVP_MD* mgf,
                    const std::string& label) {
  PkeyCtx ctx(EVP_PKEY_CTX_new(key, nullptr));
  if (!ctx ||
      (encrypt ? EVP_PKEY_encrypt_init(ctx.get()) : EVP_PKEY_decrypt_init(ctx.get())) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), digest) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), mgf) != 1) {
    return nullptr;
  }
  if (!label.empty()) {
    OpensslBytes copy(static_cast<unsigned char*>(OPENSSL_memdup(label.data(), label.size())));
    if (!copy || EVP_PKEY_CTX_set0_rsa_oaep_label(ctx.get(), copy.get(),
                                                  static_cast<int>(label.size())) != 1) {
      return nullptr;
    }
    copy.release();  // owned by ctx from here
  }
  return ctx;
}

std::optional<std::string> unwrapKey(const WrappedKey& wrapped, const PrivateKey& key) {
  if (key.keyType() != KeyType::kRsa) {
    return std::nullopt;
  }
  PkeyCtx ctx = oaepContext(key.get(), false, wrapped.digest, wrapped.mgf, wrapped.label);
  if (!ctx) {
    return std::nullopt;
  }
  const auto* in = reinterpret_cast<const unsigned char*>(wrapped.cipher.data());
  std::size_t len = 0;
  if (EVP_PKEY_decrypt(ctx.get(), nullptr, &len, in, wrapped.cipher.size()) != 1) {
    return std::nullopt;
  }
  std::string out(len, '\0');
  if (EVP_PKEY_decrypt(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, in,
                       wrapped.cipher.size()) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

// rsa-oaep-mgf1p (SHA-1, MGF1-SHA-1, no label) with a context prepared once per recipient key and
// thread (saml/pkey_ops.h).
core::Result<std::string> wrapKey(const std::string& content_key, EVP_PKEY* recipient) {
  std::string out = pkey::encryptOaepSha1(recipient, content_key);
  if (out.empty()) {
    return fail(ErrorCode::kInternal, "RSA-OAEP key transport failed");
  }
  return out;
}

// AES-256-GCM of XML Encryption 1.1 (section 5.2.4): the CipherValue's octets are the nonce, the
// ciphertext and the tag, with no additional authenticated data. Done with OpenSSL directly,
// since xmlsec draws its nonce itself and garde's come from the caller's core::Random.
core::Result<std::string> encryptGcm(const std::string& key, const std::string& nonce,
                                     std::string_view plaintext) {
  if (key.size() != kAes256KeyBytes || nonce.size() != kGcmNonceBytes ||
      plaintext.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    return fail(ErrorCode::kInternal, "AES-GCM: bad key, nonce or plaintext size");
  }
  std::string out = nonce;
  out.resize(nonce.size() + plaintext.size() + kGcmTagBytes);
  auto* cipher = reinterpret_cast<unsigned char*>(out.data()) + nonce.size();
  const auto* in = reinterpret_cast<const unsigned char*>(plaintext.data());
  int len = 0;
  int final_len = 0;
  const CipherCtx ctx(EVP_CIPHER_CTX_new());
  // Fetched once: the legacy EVP_aes_256_gcm() is looked up in the provider store at every init.
  static const core::CHandle<EVP_CIPHER, EVP_CIPHER_free> gcm(
      EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr));
  if (!ctx || !gcm || EVP_EncryptInit_ex(ctx.get(), gcm.get(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kGcmNonceBytes),
                          nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr,
                         reinterpret_cast<const unsigned char*>(key.data()),
                         reinterpret_cast<const unsigned char*>(nonce.data())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), cipher, &len, in, static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), cipher + len, &final_len) != 1 ||
      static_cast<std::size_t>(len + final_len) != plaintext.size() ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kGcmTagBytes),
                          cipher + plaintext.size()) != 1) {
    return fail(ErrorCode::kInternal, "AES-GCM encryption of the assertion failed");
  }
  return out;
}

// An xmlsec context decrypting EncryptedData with a known AES key: only the one content
// transform is enabled, no URI may be dereferenced, and with encKey preset and no keys manager
// xmlsec never reads the KeyInfo (xmlenc.c only asks the keys manager when encKey is NULL).
EncCtx contentContext(xmlSecTransformId transform, const std::string& aes_key) {
  SecKey key(xmlSecKeyReadMemory(xmlSecKeyDataAesId,
                                 reinterpret_cast<const xmlSecByte*>(aes_key.data()),
                                 static_cast<xmlSecSize>(aes_key.size())));
  EncCtx ctx(xmlSecEncCtxCreate(nullptr));
  if (!key || !ctx ||
      xmlSecPtrListAdd(&ctx->transformCtx.enabledTransforms,
                       const_cast<void*>(static_cast<const void*>(transform))) < 0) {
    return nullptr;
  }
  ctx->transformCtx.enabledUris = xmlSecTransformUriTypeNone;
  ctx->mode = xmlEncCtxModeEncryptedData;
  ctx->encKey = key.release();  // owned by ctx from here
  return ctx;
}

std::optional<std::string> decryptContent(xmlNode* encrypted_data, xmlSecTransformId transform,
                                          const std::string& aes_key) {
  EncCtx ctx = contentContext(transform, aes_key);
  if (!ctx) {
    return std::nullopt;
  }
  xmlSecBufferPtr out = xmlSecEncCtxDecryptToBuffer(ctx.get(), encrypted_data);
  if (out == nullptr || ctx->resultReplaced != 0) {
    return std::nullopt;
  }
  return std::string(reinterpret_cast<const char*>(xmlSecBufferGetData(out)),
                     static_cast<std::size_t>(xmlSecBufferGetSize(out)));
}

std::string attrText(const xmlAttr* attr) {
  XmlString v(xmlNodeListGetString(attr->doc, attr->children, 1));
  return v ? reinterpret_cast<const char*>(v.get()) : "";
}

// Calls fn(attr) for every ID attribute (isIdAttribute: ID, xml:id) in the subtree of `root`,
// skipping the subtree of `skip`.
template <class Fn>
void forEachIdAttribute(xmlNode* root, const xmlNode* skip, Fn&& fn) {
  for (xmlNode* node = root; node != nullptr; node = node->next) {
    if (node->type != XML_ELEMENT_NODE || node == skip) {
      continue;
    }
    for (xmlAttr* attr = node->properties; attr != nullptr; attr = attr->next) {
      if (isIdAttribute(attr)) {
        fn(attr);
      }
    }
    forEachIdAttribute(node->children, skip, fn);
  }
}

// The assertion as a standalone element: every namespace in scope is declared on it, including
// those only used inside attribute values (xsi:type="xs:string"), which a subtree dump would lose.
std::string selfContained(xmlNode* assertion) {
  XmlDoc tmp(xmlNewDoc(BAD_CAST "1.0"));
  xmlNode* copy = xmlDocCopyNode(assertion, tmp.get(), 1);
  if (copy == nullptr) {
    return {};
  }
  xmlDocSetRootElement(tmp.get(), copy);
  XmlNsList in_scope(xmlGetNsList(assertion->doc, assertion));
  for (xmlNs** ns = in_scope.get(); ns != nullptr && *ns != nullptr; ++ns) {
    if ((*ns)->prefix != nullptr && xmlStrEqual((*ns)->prefix, BAD_CAST "xml")) {
      continue;
    }
    if (xmlSearchNs(tmp.get(), copy, (*ns)->prefix) == nullptr) {
      xmlNewNs(copy, (*ns)->href, (*ns)->prefix);
    }
  }
  return serializeNode(copy);
}

// The plaintext wrapped in an element declaring the namespaces in scope at the EncryptedAssertion:
// a subtree encrypted with xmlsec (and most libraries) leaves out declarations made on ancestors,
// typically xmlns:saml on the Response.
std::string wrapPlaintext(xmlNode* encrypted_assertion, std::string_view plaintext) {
  std::string out = "<plaintext";
  XmlNsList in_scope(xmlGetNsList(encrypted_assertion->doc, encrypted_assertion));
  for (xmlNs** ns = in_scope.get(); ns != nullptr && *ns != nullptr; ++ns) {
    const auto* prefix = reinterpret_cast<const char*>((*ns)->prefix);
    if (prefix != nullptr && std::string_view(prefix) == "xml") {
      continue;
    }
    out += prefix != nullptr ? std::string(" xmlns:") + prefix : std::string(" xmlns");
    out += "=\"" + core::htmlEscape(reinterpret_cast<const char*>((*ns)->href)) + "\"";
  }
  out += '>';
  out += plaintext;
  out += "</plaintext>";
  return out;
}

// Drops a UTF-8 byte order mark and an XML declaration, which some encrypters put before the
// element.
std::string_view stripProlog(std::string_view plaintext) {
  if (plaintext.substr(0, 3) == "\xEF\xBB\xBF") {
    plaintext.remove_prefix(3);
  }
  if (plaintext.substr(0, 6) == "<?xml " || plaintext.substr(0, 6) == "<?xml\t" ||
      plaintext.substr(0, 6) == "<?xml\n" || plaintext.substr(0, 6) == "<?xml\r") {
    const auto end = plaintext.find("?>");
    if (end != std::string_view::npos) {
      plaintext.remove_prefix(end + 2);
    }
  }
  return plaintext;
}

// Parses the decrypted bytes with the hardened parser and checks the one root is a saml:Assertion.
core::Result<XmlDoc> parsePlaintext(xmlNode* encrypted_assertion, std::string_view plaintext) {
  plaintext = stripProlog(plaintext);
  auto wrapped = parseUntrusted(wrapPlaintext(encrypted_assertion, plaintext));
  if (!wrapped) {
    // A DOCTYPE is only a DOCTYPE in a prolog: inside the wrapper it is merely ill-formed. Parse
    // the plaintext alone to report forbidden constructs as such.
    auto alone = parseUntrusted(plaintext);
    if (!alone && (alone.error().code == ErrorCode::kForbiddenXml ||
                   alone.error().code == ErrorCode::kLimitExceeded)) {
      return fail(std::move(alone).error());
    }
    return fail(std::move(wrapped).error());
  }
  xmlNode* root = xmlDocGetRootElement(wrapped->get());
  const auto children = childElements(root);
  if (children.size() != 1 || !isElement(children.front(), ns::kAssertion, "Assertion")) {
    return fail(ErrorCode::kMalformedMessage, "decrypted content is not a single saml:Assertion");
  }
  for (xmlNode* c = root->children; c != nullptr; c = c->next) {
    if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content != nullptr &&
        xmlIsBlankNode(c) == 0) {
      return fail(ErrorCode::kMalformedMessage,
                  "decrypted content has text beside the saml:Assertion");
    }
  }
  return wrapped;
}

// Replaces `encrypted_assertion` by a copy of the parsed assertion, with IDs checked and
// registered.
core::Result<xmlNode*> graft(xmlNode* encrypted_assertion, xmlDoc* plaintext_doc) {
  xmlDoc* doc = encrypted_assertion->doc;
  xmlNode* wrapper = xmlDocGetRootElement(plaintext_doc);
  xmlNode* source = childElements(wrapper).front();
  XmlNodeHandle assertion(xmlDocCopyNode(source, doc, 1));
  if (!assertion) {
    return fail(ErrorCode::kInternal, "cannot import the decrypted assertion");
  }
  std::unordered_set<std::string> ids;
  forEachIdAttribute(xmlDocGetRootElement(doc), encrypted_assertion,
                     [&](const xmlAttr* attr) { ids.insert(attrText(attr)); });
  std::optional<std::string> duplicate;
  forEachIdAttribute(assertion.get(), nullptr, [&](const xmlAttr* attr) {
    std::string value = attrText(attr);
    if (!duplicate && (ids.count(value) != 0 || xmlGetID(doc, BAD_CAST value.c_str()) != nullptr)) {
      duplicate = std::move(value);
    }
  });
  if (duplicate) {
    return fail(ErrorCode::kDuplicateId,
                "decrypted assertion reuses ID '" + *duplicate + "' of the enclosing document");
  }
  xmlNode* grafted = assertion.release();
  const XmlNodeHandle replaced(xmlReplaceNode(encrypted_assertion, grafted));
  // Namespaces that only QName-valued content uses (xsi:type="xs:string") keep their binding.
  for (xmlNs* ns = wrapper->nsDef; ns != nullptr; ns = ns->next) {
    bool declared_here = false;
    for (xmlNs* own = grafted->nsDef; own != nullptr; own = own->next) {
      declared_here = declared_here || xmlStrEqual(own->prefix, ns->prefix) != 0;
    }
    const xmlNs* in_scope = xmlSearchNs(doc, grafted, ns->prefix);
    if (!declared_here && (in_scope == nullptr || xmlStrEqual(in_scope->href, ns->href) == 0)) {
      xmlNewNs(grafted, ns->href, ns->prefix);
    }
  }
  bool registered = true;
  forEachIdAttribute(grafted, nullptr, [&](xmlAttr* attr) {
    if (attr->ns == nullptr && xmlStrEqual(attr->name, BAD_CAST "ID") != 0) {
      registered =
          xmlAddID(nullptr, doc, BAD_CAST attrText(attr).c_str(), attr) != nullptr && registered;
    }
  });
  if (!registered) {
    return fail(ErrorCode::kDuplicateId,
                "an ID of the decrypted assertion could not be registered");
  }
  return grafted;
}

xmlNode* newChild(xmlNode* parent, xmlNs* ns, const char* name) {
  return xmlNewChild(parent, ns, BAD_CAST name, nullptr);
}

}  // namespace

core::Result<xmlNode*> encryptAssertion(xmlNode* assertion, const Certificate& recipient,
                                        core::Random& random) {
  if (!isElement(assertion, ns::kAssertion, "Assertion") || assertion->doc == nullptr ||
      assertion->parent == nullptr) {
    return fail(ErrorCode::kMalformedMessage,
                "only a saml:Assertion in a document can be encrypted");
  }
  if (recipient.keyType() != KeyType::kRsa) {
    return fail(ErrorCode::kAlgorithmForbidden,
                "assertion encryption needs an RSA recipient key (key agreement is not supported)");
  }
  xmlDoc* doc = assertion->doc;
  const std::string plaintext = selfContained(assertion);
  if (plaintext.empty()) {
    return fail(ErrorCode::kInternal, "cannot serialize the assertion");
  }

  // A fresh content key and nonce per assertion, from the caller's CSPRNG.
  std::string content_key = random.bytes(kAes256KeyBytes);
  const std::string nonce = random.bytes(kGcmNonceBytes);
  struct Cleanse {
    std::string& key;
    ~Cleanse() { OPENSSL_cleanse(key.data(), key.size()); }
  } cleanse{content_key};

  // Key transport: rsa-oaep-mgf1p with SHA-1, the one RSA-OAEP form xmlsec 1.2.x (lasso, pysaml2,
  // python-xmlsec) decrypts; its security does not rest on SHA-1's collision resistance.
  // See docs/adr/0003-assertion-encryption.md.
  GARDE_ASSIGN_OR_RETURN(auto wrapped_key, wrapKey(content_key, recipient.publicKey()));
  GARDE_ASSIGN_OR_RETURN(const std::string cipher_value, encryptGcm(content_key, nonce, plaintext));

  // <saml:EncryptedAssertion><xenc:EncryptedData Type=Element>
  //   <xenc:EncryptionMethod aes256-gcm/><ds:KeyInfo><xenc:EncryptedKey>...</ds:KeyInfo>
  //   <xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedData>
  XmlNodeHandle encrypted_assertion(
      xmlNewDocNode(doc, nullptr, BAD_CAST "EncryptedAssertion", nullptr));
  xmlNs* saml_ns = assertion->parent->type == XML_ELEMENT_NODE
                       ? xmlSearchNsByHref(doc, assertion->parent, BAD_CAST ns::kAssertion)
                       : nullptr;
  if (saml_ns == nullptr) {
    saml_ns = xmlNewNs(encrypted_assertion.get(), BAD_CAST ns::kAssertion, BAD_CAST "saml");
  }
  xmlSetNs(encrypted_assertion.get(), saml_ns);
  xmlNode* encrypted_data = newChild(encrypted_assertion.get(), nullptr, "EncryptedData");
  xmlNs* xenc = xmlNewNs(encrypted_data, BAD_CAST ns::kXenc, BAD_CAST "xenc");
  xmlNs* ds = xmlNewNs(encrypted_data, BAD_CAST ns::kDsig, BAD_CAST "ds");
  xmlSetNs(encrypted_data, xenc);
  xmlNewProp(encrypted_data, BAD_CAST "Type", BAD_CAST kTypeElement);
  const std::string content_alg(kAes256Gcm);
  xmlNewProp(newChild(encrypted_data, xenc, "EncryptionMethod"), BAD_CAST "Algorithm",
             BAD_CAST content_alg.c_str());
  xmlNode* key_info = newChild(encrypted_data, ds, "KeyInfo");

  // SAML2 Core 6.2: the EncryptedKey inside the EncryptedData's KeyInfo, as lasso, pysaml2 and
  // Shibboleth (inline placement) write and read it; the recipient's certificate names the key.
  xmlNode* encrypted_key = newChild(key_info, xenc, "EncryptedKey");
  xmlNode* method = newChild(encrypted_key, xenc, "EncryptionMethod");
  xmlNewProp(method, BAD_CAST "Algorithm", BAD_CAST kRsaOaepMgf1p);
  xmlNewProp(newChild(method, ds, "DigestMethod"), BAD_CAST "Algorithm", BAD_CAST kSha1);
  xmlNode* x509_data = newChild(newChild(encrypted_key, ds, "KeyInfo"), ds, "X509Data");
  xmlNewTextChild(x509_data, ds, BAD_CAST "X509Certificate",
                  BAD_CAST recipient.base64Der().c_str());
  const std::string wrapped_b64 = core::base64Encode(wrapped_key);
  xmlNewTextChild(newChild(encrypted_key, xenc, "CipherData"), xenc, BAD_CAST "CipherValue",
                  BAD_CAST wrapped_b64.c_str());
  const std::string cipher_b64 = core::base64Encode(cipher_value);
  xmlNewTextChild(newChild(encrypted_data, xenc, "CipherData"), xenc, BAD_CAST "CipherValue",
                  BAD_CAST cipher_b64.c_str());

  xmlNode* result = encrypted_assertion.release();
  const XmlNodeHandle replaced(xmlReplaceNode(assertion, result));
  return result;
}

core::Result<std::string> encryptedAssertionText(std::string_view assertion_xml,
                                                 const Certificate& recipient,
                                                 core::Random& random) {
  if (recipient.keyType() != KeyType::kRsa) {
    return fail(ErrorCode::kAlgorithmForbidden,
                "assertion encryption needs an RSA recipient key (key agreement is not supported)");
  }
  if (assertion_xml.empty()) {
    return fail(ErrorCode::kInternal, "no assertion to encrypt");
  }
  // As encryptAssertion: a fresh content key and nonce, in the same order, the same algorithms.
  std::string content_key = random.bytes(kAes256KeyBytes);
  const std::string nonce = random.bytes(kGcmNonceBytes);
  struct Cleanse {
    std::string& key;
    ~Cleanse() { OPENSSL_cleanse(key.data(), key.size()); }
  } cleanse{content_key};
  GARDE_ASSIGN_OR_RETURN(auto wrapped_key, wrapKey(content_key, recipient.publicKey()));
  GARDE_ASSIGN_OR_RETURN(const std::string cipher_value,
                         encryptGcm(content_key, nonce, assertion_xml));

  // The elements encryptAssertion builds, in its order; every value is a URI constant or base64,
  // none needs escaping.
  const std::string certificate = recipient.base64Der();
  std::string out;
  out.reserve(1024 + certificate.size() + (wrapped_key.size() + cipher_value.size()) * 4 / 3);
  out += "<saml:EncryptedAssertion><xenc:EncryptedData xmlns:xenc=\"";
  out += ns::kXenc;
  out += "\" xmlns:ds=\"";
  out += ns::kDsig;
  out += "\" Type=\"";
  out += kTypeElement;
  out += "\"><xenc:EncryptionMethod Algorithm=\"";
  out += kAes256Gcm;
  out += "\"/><ds:KeyInfo><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm=\"";
  out += kRsaOaepMgf1p;
  out += "\"><ds:DigestMethod Algorithm=\"";
  out += kSha1;
  out += "\"/></xenc:EncryptionMethod><ds:KeyInfo><ds:X509Data><ds:X509Certificate>";
  out += certificate;
  out += "</ds:X509Certificate></ds:X509Data></ds:KeyInfo><xenc:CipherData><xenc:CipherValue>";
  core::appendBase64(out, wrapped_key);
  out +=
      "</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>"
      "<xenc:CipherData><xenc:CipherValue>";
  core::appendBase64(out, cipher_value);
  out += "</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></saml:EncryptedAssertion>";
  return out;
}

core::Result<xmlNode*> decryptAssertion(xmlNode* encrypted_assertion,
                                        const std::vector<PrivateKey>& keys) {
  if (!isElement(encrypted_assertion, ns::kAssertion, "EncryptedAssertion") ||
      encrypted_assertion->doc == nullptr) {
    return fail(ErrorCode::kMalformedMessage, "not a saml:EncryptedAssertion");
  }
  // SAML2 Core 2.2.4: EncryptedData, then any number of EncryptedKey.
  xmlNode* encrypted_data = nullptr;
  std::vector<xmlNode*> encrypted_keys;
  for (xmlNode* child : childElements(encrypted_assertion)) {
    if (isElement(child, ns::kXenc, "EncryptedData") && encrypted_data == nullptr) {
      encrypted_data = child;
    } else if (isElement(child, ns::kXenc, "EncryptedKey") && encrypted_data != nullptr) {
      encrypted_keys.push_back(child);
    } else {
      return fail(ErrorCode::kMalformedMessage,
                  "unexpected <" + std::string(localName(child)) + "> in EncryptedAssertion");
    }
  }
  if (encrypted_data == nullptr) {
    return fail(ErrorCode::kMalformedMessage, "EncryptedAssertion has no EncryptedData");
  }
  if (const auto type = attribute(encrypted_data, "Type"); type && *type != kTypeElement) {
    return fail(ErrorCode::kMalformedMessage, "EncryptedData Type '" + *type + "' is not Element");
  }
  const auto methods = childElements(encrypted_data, ns::kXenc, "EncryptionMethod");
  const auto content_uri =
      methods.size() == 1 ? attribute(methods.front(), "Algorithm") : std::nullopt;
  if (!content_uri) {
    return fail(ErrorCode::kMalformedMessage,
                "EncryptedData needs one EncryptionMethod with an Algorithm");
  }
  const ContentAlgorithm* content = nullptr;
  for (const auto& a : kContentAlgorithms) {
    if (a.uri == *content_uri) {
      content = &a;
    }
  }
  if (content == nullptr) {
    return fail(ErrorCode::kAlgorithmForbidden,
                "content encryption '" + *content_uri + "' is not allowed");
  }
  GARDE_TRY(cipherValue(encrypted_data, "EncryptedData"));
  // Keys inline in the EncryptedData's KeyInfo come first; siblings in the EncryptedAssertion
  // after. Nothing else in KeyInfo is ever followed (KeyName, RetrievalMethod, X509Data).
  std::vector<xmlNode*> candidates;
  if (xmlNode* key_info = firstChildElement(encrypted_data, ns::kDsig, "KeyInfo");
      key_info != nullptr) {
    candidates = childElements(key_info, ns::kXenc, "EncryptedKey");
  }
  candidates.insert(candidates.end(), encrypted_keys.begin(), encrypted_keys.end());
  if (candidates.empty()) {
    return fail(ErrorCode::kMalformedMessage, "EncryptedAssertion carries no EncryptedKey");
  }
  if (candidates.size() > kMaxEncryptedKeys) {
    return fail(ErrorCode::kLimitExceeded, std::to_string(candidates.size()) +
                                               " EncryptedKeys (at most " +
                                               std::to_string(kMaxEncryptedKeys) + ")");
  }
  std::vector<WrappedKey> wrapped;
  for (xmlNode* candidate : candidates) {
    GARDE_ASSIGN_OR_RETURN(auto key, readEncryptedKey(candidate));
    wrapped.push_back(std::move(key));
  }

  const xmlSecTransformId transform = contentTransform(content->uri);
  std::optional<std::string> plaintext;
  for (const auto& w : wrapped) {
    for (const auto& key : keys) {
      auto content_key = unwrapKey(w, key);
      if (!content_key) {
        continue;
      }
      if (content_key->size() == content->key_bytes) {
        plaintext = decryptContent(encrypted_data, transform, *content_key);
      }
      OPENSSL_cleanse(content_key->data(), content_key->size());
      if (plaintext) {
        break;
      }
    }
    if (plaintext) {
      break;
    }
  }
  if (!plaintext) {
    return fail(ErrorCode::kDecryptionFailed, kCannotDecrypt);
  }

  auto parsed = parsePlaintext(encrypted_assertion, *plaintext);
  OPENSSL_cleanse(plaintext->data(), plaintext->size());
  if (!parsed) {
    if (!content->authenticated) {
      // AES-CBC: the plaintext may be an attacker's bit-flipped variant; no word on why it failed.
      return fail(ErrorCode::kDecryptionFailed, kCannotDecrypt);
    }
    return fail(std::move(parsed).error());
  }
  auto grafted = graft(encrypted_assertion, parsed->get());
  if (!grafted && !content->authenticated) {
    return fail(ErrorCode::kDecryptionFailed, kCannotDecrypt);
  }
  return grafted;
}

}  // namespace garde::saml
