#include "saml/metadata.h"

#include <libxml/xmlstring.h>
#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "core/encoding.h"
#include "saml/signature.h"

namespace garde::saml {
namespace {

using core::ErrorCode;
using core::fail;
using core::UnixTime;

// SAML2 Metadata 2.3.2: entityID is a URI of at most 1024 characters.
constexpr std::size_t kMaxEntityIdLength = 1024;

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && isSpace(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && isSpace(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

core::Failure malformed(std::string_view entity_id, std::string what) {
  std::string detail = "metadata";
  if (!entity_id.empty()) {
    detail += " of '" + std::string(entity_id) + "'";
  }
  return fail(ErrorCode::kMalformedMessage, detail + ": " + std::move(what));
}

// xs:boolean ("true", "false", "1", "0", whitespace collapsed).
Result<std::optional<bool>> boolAttribute(const xmlNode* node, const char* name,
                                          std::string_view entity_id) {
  const auto value = attribute(node, name);
  if (!value) {
    return std::optional<bool>{};
  }
  const std::string_view v = trim(*value);
  if (v == "true" || v == "1") {
    return std::optional<bool>{true};
  }
  if (v == "false" || v == "0") {
    return std::optional<bool>{false};
  }
  return malformed(entity_id, std::string("bad boolean in ") + name);
}

Result<std::optional<UnixTime>> validUntil(const xmlNode* node, std::string_view entity_id) {
  const auto value = attribute(node, "validUntil");
  if (!value) {
    return std::optional<UnixTime>{};
  }
  const auto t = core::parseIso8601(trim(*value));
  if (!t) {
    return malformed(entity_id, "bad validUntil");
  }
  return std::optional<UnixTime>{*t};
}

std::optional<UnixTime> earliest(std::optional<UnixTime> a, std::optional<UnixTime> b) {
  if (!a) {
    return b;
  }
  if (!b) {
    return a;
  }
  return std::min(*a, *b);
}

// SAML2 Metadata 2.4.1: a role applies to SAML 2.0 only if its protocolSupportEnumeration says so.
bool supportsSaml2(const xmlNode* role) {
  const auto value = attribute(role, "protocolSupportEnumeration");
  if (!value) {
    return false;
  }
  std::string_view rest = *value;
  while (!rest.empty()) {
    const std::size_t start = std::min(
        rest.size(), static_cast<std::size_t>(std::find_if_not(rest.begin(), rest.end(), isSpace) -
                                              rest.begin()));
    rest.remove_prefix(start);
    const std::size_t end =
        static_cast<std::size_t>(std::find_if(rest.begin(), rest.end(), isSpace) - rest.begin());
    if (rest.substr(0, end) == ns::kProtocol) {
      return true;
    }
    rest.remove_prefix(end);
  }
  return false;
}

Result<Endpoint> parseEndpoint(const xmlNode* node, bool indexed, std::string_view entity_id) {
  const std::string where(localName(node));
  Endpoint e;
  auto binding = attribute(node, "Binding");
  auto location = attribute(node, "Location");
  if (!binding || binding->empty()) {
    return malformed(entity_id, where + " without Binding");
  }
  if (!location || location->empty()) {
    return malformed(entity_id, where + " without Location");
  }
  e.binding = std::move(*binding);
  e.location = std::move(*location);
  e.response_location = attribute(node, "ResponseLocation").value_or("");
  if (indexed) {
    const auto index = attribute(node, "index");
    if (!index) {
      return malformed(entity_id, where + " without index");
    }
    // xs:unsignedShort
    const std::string_view digits = trim(*index);
    if (digits.empty() || digits.size() > 5 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return malformed(entity_id, where + " with a bad index");
    }
    const int value = std::stoi(std::string(digits));
    if (value > 65535) {
      return malformed(entity_id, where + " with a bad index");
    }
    e.index = value;
    GARDE_ASSIGN_OR_RETURN(e.is_default, boolAttribute(node, "isDefault", entity_id));
  }
  return e;
}

Result<std::vector<Endpoint>> parseEndpoints(const xmlNode* role, const char* name, bool indexed,
                                             std::string_view entity_id) {
  std::vector<Endpoint> out;
  for (const xmlNode* node : childElements(role, ns::kMetadata, name)) {
    GARDE_ASSIGN_OR_RETURN(auto e, parseEndpoint(node, indexed, entity_id));
    if (indexed && std::any_of(out.begin(), out.end(),
                               [&](const Endpoint& o) { return o.index == e.index; })) {
      return malformed(entity_id, std::string("duplicate ") + name + " index");
    }
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::vector<KeyDescriptor>> parseKeys(const xmlNode* role, std::string_view entity_id) {
  std::vector<KeyDescriptor> out;
  for (const xmlNode* kd : childElements(role, ns::kMetadata, "KeyDescriptor")) {
    KeyUse use = KeyUse::kUnspecified;
    if (const auto u = attribute(kd, "use")) {
      if (*u == "signing") {
        use = KeyUse::kSigning;
      } else if (*u == "encryption") {
        use = KeyUse::kEncryption;
      } else {
        return malformed(entity_id, "KeyDescriptor with an unknown use");
      }
    }
    std::vector<std::string> methods;
    for (const xmlNode* em : childElements(kd, ns::kMetadata, "EncryptionMethod")) {
      if (auto alg = attribute(em, "Algorithm")) {
        methods.push_back(std::move(*alg));
      }
    }
    const xmlNode* key_info = firstChildElement(kd, ns::kDsig, "KeyInfo");
    if (key_info == nullptr) {
      return malformed(entity_id, "KeyDescriptor without KeyInfo");
    }
    // A KeyInfo with only a KeyName or KeyValue gives no certificate: nothing we can pin, skipped.
    for (const xmlNode* data : childElements(key_info, ns::kDsig, "X509Data")) {
      for (const xmlNode* c : childElements(data, ns::kDsig, "X509Certificate")) {
        auto cert = Certificate::fromBase64Der(textContent(c));
        if (!cert) {
          return malformed(entity_id, "unreadable X509Certificate");
        }
        out.push_back(KeyDescriptor{use, std::move(cert).value(), methods});
      }
    }
  }
  return out;
}

core::Status parseSsoDescriptor(const xmlNode* role, std::string_view entity_id,
                                SsoDescriptor& out) {
  GARDE_ASSIGN_OR_RETURN(out.keys, parseKeys(role, entity_id));
  GARDE_ASSIGN_OR_RETURN(out.slo, parseEndpoints(role, "SingleLogoutService", false, entity_id));
  for (const xmlNode* f : childElements(role, ns::kMetadata, "NameIDFormat")) {
    out.name_id_formats.emplace_back(trim(textContent(f)));
  }
  return {};
}

class Walker {
 public:
  explicit Walker(const MetadataOptions& options) : options_(options) {}

  bool expired(std::optional<UnixTime> valid_until) const {
    // Like NotOnOrAfter: the instant itself is already too late.
    return valid_until && options_.now >= *valid_until;
  }

  core::Status walkEntities(const xmlNode* group, std::optional<UnixTime> inherited) {
    for (const xmlNode* child : childElements(group)) {
      if (isElement(child, ns::kMetadata, "EntityDescriptor")) {
        GARDE_TRY(addEntity(child, inherited));
      } else if (isElement(child, ns::kMetadata, "EntitiesDescriptor")) {
        GARDE_ASSIGN_OR_RETURN(auto vu, validUntil(child, {}));
        if (expired(vu)) {
          dropped_expired_ = true;
          continue;
        }
        GARDE_TRY(walkEntities(child, earliest(inherited, vu)));
      }
      // ds:Signature, md:Extensions, md:Name...: nothing to read.
    }
    return {};
  }

  core::Status addEntity(const xmlNode* node, std::optional<UnixTime> inherited) {
    const auto entity_id = attribute(node, "entityID");
    if (!entity_id || entity_id->empty()) {
      return malformed({}, "EntityDescriptor without entityID");
    }
    if (entity_id->size() > kMaxEntityIdLength) {
      return malformed({}, "entityID longer than 1024 characters");
    }
    GARDE_ASSIGN_OR_RETURN(auto vu, validUntil(node, *entity_id));
    if (expired(vu)) {
      dropped_expired_ = true;
      return {};
    }
    if (!seen_.insert(*entity_id).second) {
      return malformed(*entity_id, "entityID appears twice");
    }
    if (options_.only_entities != nullptr && !options_.only_entities->contains(*entity_id)) {
      return {};
    }
    EntityDescriptor e;
    e.entity_id = *entity_id;
    e.id = attribute(node, "ID").value_or("");
    e.valid_until = earliest(inherited, vu);
    GARDE_TRY(readAlgorithms(node, e));
    GARDE_ASSIGN_OR_RETURN(auto idp_role, pickRole(node, "IDPSSODescriptor", e.entity_id));
    if (const xmlNode* role = idp_role) {
      GARDE_TRY(readAlgorithms(role, e));
      IdpSsoDescriptor idp;
      GARDE_TRY(parseSsoDescriptor(role, e.entity_id, idp));
      GARDE_ASSIGN_OR_RETURN(auto want,
                             boolAttribute(role, "WantAuthnRequestsSigned", e.entity_id));
      idp.want_authn_requests_signed = want.value_or(false);
      GARDE_ASSIGN_OR_RETURN(idp.sso,
                             parseEndpoints(role, "SingleSignOnService", false, e.entity_id));
      e.idp = std::move(idp);
    }
    GARDE_ASSIGN_OR_RETURN(auto sp_role, pickRole(node, "SPSSODescriptor", e.entity_id));
    if (const xmlNode* role = sp_role) {
      GARDE_TRY(readAlgorithms(role, e));
      SpSsoDescriptor sp;
      GARDE_TRY(parseSsoDescriptor(role, e.entity_id, sp));
      GARDE_ASSIGN_OR_RETURN(auto signed_requests,
                             boolAttribute(role, "AuthnRequestsSigned", e.entity_id));
      GARDE_ASSIGN_OR_RETURN(auto want_assertions,
                             boolAttribute(role, "WantAssertionsSigned", e.entity_id));
      sp.authn_requests_signed = signed_requests.value_or(false);
      sp.want_assertions_signed = want_assertions.value_or(false);
      GARDE_ASSIGN_OR_RETURN(sp.acs,
                             parseEndpoints(role, "AssertionConsumerService", true, e.entity_id));
      e.sp = std::move(sp);
    }
    entities_.push_back(std::move(e));
    return {};
  }

  std::vector<EntityDescriptor>& entities() { return entities_; }
  bool droppedExpired() const { return dropped_expired_; }
  std::size_t described() const { return seen_.size(); }

 private:
  // alg:DigestMethod and alg:SigningMethod under md:Extensions of `node` (an EntityDescriptor or
  // a role), appended to e's lists without duplicates.
  static core::Status readAlgorithms(const xmlNode* node, EntityDescriptor& e) {
    for (const xmlNode* ext : childElements(node, ns::kMetadata, "Extensions")) {
      for (const xmlNode* d : childElements(ext, kAlgSupportNs, "DigestMethod")) {
        const auto alg = attribute(d, "Algorithm");
        if (!alg || alg->empty()) {
          return malformed(e.entity_id, "alg:DigestMethod without Algorithm");
        }
        if (std::find(e.digest_methods.begin(), e.digest_methods.end(), *alg) ==
            e.digest_methods.end()) {
          e.digest_methods.push_back(*alg);
        }
      }
      for (const xmlNode* m : childElements(ext, kAlgSupportNs, "SigningMethod")) {
        const auto alg = attribute(m, "Algorithm");
        if (!alg || alg->empty()) {
          return malformed(e.entity_id, "alg:SigningMethod without Algorithm");
        }
        SigningMethod method{*alg, 0};
        if (const auto min = attribute(m, "MinKeySize")) {
          int v = 0;
          const auto [end, ec] = std::from_chars(min->data(), min->data() + min->size(), v);
          if (ec != std::errc() || end != min->data() + min->size() || v < 0) {
            return malformed(e.entity_id, "alg:SigningMethod MinKeySize is not a number");
          }
          method.min_key_size = v;
        }
        bool seen = false;
        for (const SigningMethod& have : e.signing_methods) {
          seen = seen || have.algorithm == method.algorithm;
        }
        if (!seen) {
          e.signing_methods.push_back(std::move(method));
        }
      }
    }
    return {};
  }

  // A role whose own validUntil passed is ignored; a bad time is still an error.
  Result<bool> roleValid(const xmlNode* role, std::string_view entity_id) const {
    GARDE_ASSIGN_OR_RETURN(auto vu, validUntil(role, entity_id));
    return !expired(vu);
  }

  // The first role of this kind usable for SAML 2.0, or nullptr.
  Result<const xmlNode*> pickRole(const xmlNode* entity, const char* name,
                                  std::string_view entity_id) const {
    for (const xmlNode* role : childElements(entity, ns::kMetadata, name)) {
      if (!supportsSaml2(role)) {
        continue;
      }
      GARDE_ASSIGN_OR_RETURN(auto valid, roleValid(role, entity_id));
      if (valid) {
        return role;
      }
    }
    return static_cast<const xmlNode*>(nullptr);
  }

  const MetadataOptions& options_;
  std::vector<EntityDescriptor> entities_;
  std::set<std::string, std::less<>> seen_;
  bool dropped_expired_ = false;
};

void appendUnique(std::vector<Certificate>& out, const std::vector<Certificate>& more) {
  for (const Certificate& c : more) {
    if (std::find(out.begin(), out.end(), c) == out.end()) {
      out.push_back(c);
    }
  }
}

std::vector<Certificate> certificatesFor(const std::vector<KeyDescriptor>& keys, KeyUse wanted) {
  std::vector<Certificate> out;
  for (const KeyDescriptor& k : keys) {
    if (k.use == wanted || k.use == KeyUse::kUnspecified) {
      appendUnique(out, {k.certificate});
    }
  }
  return out;
}

// ---- Generation ---------------------------------------------------------------------------------

bool validUtf8(std::string_view s) {
  const std::string copy(s);
  return xmlCheckUTF8(reinterpret_cast<const xmlChar*>(copy.c_str())) != 0 &&
         copy.find('\0') == std::string::npos;
}

class Builder {
 public:
  Builder() : doc_(xmlNewDoc(BAD_CAST "1.0")) {}

  XmlDoc& doc() { return doc_; }

  xmlNode* root(const char* name) {
    xmlNode* r = xmlNewDocNode(doc_.get(), nullptr, BAD_CAST name, nullptr);
    xmlDocSetRootElement(doc_.get(), r);
    md_ = xmlNewNs(r, BAD_CAST ns::kMetadata, BAD_CAST "md");
    ds_ = xmlNewNs(r, BAD_CAST ns::kDsig, BAD_CAST "ds");
    xmlSetNs(r, md_);
    return r;
  }

  xmlNode* child(xmlNode* parent, const char* name, bool dsig = false) {
    return xmlNewChild(parent, dsig ? ds_ : md_, BAD_CAST name, nullptr);
  }

  xmlNode* textChild(xmlNode* parent, const char* name, std::string_view text, bool dsig = false) {
    const std::string t(text);
    return xmlNewTextChild(parent, dsig ? ds_ : md_, BAD_CAST name, BAD_CAST t.c_str());
  }

  core::Status set(xmlNode* node, const char* name, std::string_view value) {
    if (!validUtf8(value)) {
      return fail(ErrorCode::kBadEncoding,
                  std::string("metadata: ") + name + " is not valid UTF-8");
    }
    const std::string v(value);
    xmlSetProp(node, BAD_CAST name, BAD_CAST v.c_str());
    return {};
  }

  core::Status keys(xmlNode* role, const std::vector<KeyDescriptor>& keys) {
    for (const KeyDescriptor& k : keys) {
      xmlNode* kd = child(role, "KeyDescriptor");
      if (k.use == KeyUse::kSigning) {
        GARDE_TRY(set(kd, "use", "signing"));
      } else if (k.use == KeyUse::kEncryption) {
        GARDE_TRY(set(kd, "use", "encryption"));
      }
      xmlNode* key_info = child(kd, "KeyInfo", true);
      xmlNode* data = child(key_info, "X509Data", true);
      textChild(data, "X509Certificate", k.certificate.base64Der(), true);
      for (const std::string& alg : k.encryption_methods) {
        GARDE_TRY(set(child(kd, "EncryptionMethod"), "Algorithm", alg));
      }
    }
    return {};
  }

  core::Status endpoints(xmlNode* role, const char* name, const std::vector<Endpoint>& list) {
    for (const Endpoint& e : list) {
      if (e.binding.empty() || e.location.empty()) {
        return fail(ErrorCode::kMalformedMessage,
                    std::string("metadata: ") + name + " without Binding or Location");
      }
      xmlNode* node = child(role, name);
      GARDE_TRY(set(node, "Binding", e.binding));
      GARDE_TRY(set(node, "Location", e.location));
      if (!e.response_location.empty()) {
        GARDE_TRY(set(node, "ResponseLocation", e.response_location));
      }
      if (e.index) {
        GARDE_TRY(set(node, "index", std::to_string(*e.index)));
      }
      if (e.is_default) {
        GARDE_TRY(set(node, "isDefault", *e.is_default ? "true" : "false"));
      }
    }
    return {};
  }

  // md:Extensions with the algorithm support profile's elements, when there are any.
  core::Status algorithms(xmlNode* root, const EntityDescriptor& e) {
    if (e.digest_methods.empty() && e.signing_methods.empty()) {
      return {};
    }
    xmlNode* ext = child(root, "Extensions");
    xmlNs* alg = xmlNewNs(ext, BAD_CAST kAlgSupportNs, BAD_CAST "alg");
    for (const std::string& d : e.digest_methods) {
      GARDE_TRY(set(xmlNewChild(ext, alg, BAD_CAST "DigestMethod", nullptr), "Algorithm", d));
    }
    for (const SigningMethod& m : e.signing_methods) {
      xmlNode* node = xmlNewChild(ext, alg, BAD_CAST "SigningMethod", nullptr);
      GARDE_TRY(set(node, "Algorithm", m.algorithm));
      if (m.min_key_size > 0) {
        GARDE_TRY(set(node, "MinKeySize", std::to_string(m.min_key_size)));
      }
    }
    return {};
  }

  // md:SSODescriptorType content after the KeyDescriptors, in schema order.
  core::Status ssoTail(xmlNode* role, const SsoDescriptor& d) {
    GARDE_TRY(endpoints(role, "SingleLogoutService", d.slo));
    for (const std::string& f : d.name_id_formats) {
      if (!validUtf8(f)) {
        return fail(ErrorCode::kBadEncoding, "metadata: NameIDFormat is not valid UTF-8");
      }
      textChild(role, "NameIDFormat", f);
    }
    return {};
  }

 private:
  XmlDoc doc_;
  xmlNs* md_ = nullptr;
  xmlNs* ds_ = nullptr;
};

Result<std::string> idFor(std::string_view entity_id) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(entity_id.data(), entity_id.size(), digest, &len, EVP_sha256(), nullptr) != 1) {
    return fail(ErrorCode::kInternal, "metadata: cannot digest the entityID");
  }
  return "_" + core::hexEncode(std::string_view(reinterpret_cast<const char*>(digest), len))
                   .substr(0, 40);
}

}  // namespace

std::vector<Certificate> SsoDescriptor::signingCertificates() const {
  return certificatesFor(keys, KeyUse::kSigning);
}

std::vector<Certificate> SsoDescriptor::encryptionCertificates() const {
  return certificatesFor(keys, KeyUse::kEncryption);
}

const Endpoint* SpSsoDescriptor::defaultAcs(std::string_view binding) const noexcept {
  // SAML2 Metadata 2.2.3.
  const Endpoint* first = nullptr;
  const Endpoint* first_unmarked = nullptr;
  for (const Endpoint& e : acs) {
    if (!binding.empty() && e.binding != binding) {
      continue;
    }
    if (e.is_default == true) {
      return &e;
    }
    if (first == nullptr) {
      first = &e;
    }
    if (first_unmarked == nullptr && !e.is_default.has_value()) {
      first_unmarked = &e;
    }
  }
  return first_unmarked != nullptr ? first_unmarked : first;
}

const Endpoint* SpSsoDescriptor::acsByIndex(int index) const noexcept {
  for (const Endpoint& e : acs) {
    if (e.index == index) {
      return &e;
    }
  }
  return nullptr;
}

const Endpoint* SpSsoDescriptor::acsByUrl(std::string_view url,
                                          std::string_view binding) const noexcept {
  for (const Endpoint& e : acs) {
    if (e.location == url && (binding.empty() || e.binding == binding)) {
      return &e;
    }
  }
  return nullptr;
}

std::vector<Certificate> EntityDescriptor::signingCertificates() const {
  std::vector<Certificate> out;
  if (idp) {
    appendUnique(out, idp->signingCertificates());
  }
  if (sp) {
    appendUnique(out, sp->signingCertificates());
  }
  return out;
}

std::vector<Certificate> EntityDescriptor::encryptionCertificates() const {
  std::vector<Certificate> out;
  if (idp) {
    appendUnique(out, idp->encryptionCertificates());
  }
  if (sp) {
    appendUnique(out, sp->encryptionCertificates());
  }
  return out;
}

const Endpoint* EntityDescriptor::defaultAcs(std::string_view binding) const noexcept {
  return sp ? sp->defaultAcs(binding) : nullptr;
}

const Endpoint* EntityDescriptor::acsByIndex(int index) const noexcept {
  return sp ? sp->acsByIndex(index) : nullptr;
}

const Endpoint* EntityDescriptor::acsByUrl(std::string_view url,
                                           std::string_view binding) const noexcept {
  return sp ? sp->acsByUrl(url, binding) : nullptr;
}

Result<std::vector<EntityDescriptor>> parseMetadata(std::string_view xml,
                                                    const MetadataOptions& options) {
  GARDE_ASSIGN_OR_RETURN(MetadataDocument doc, parseMetadataDocument(xml, options));
  return std::move(doc.entities);
}

std::optional<std::int64_t> parseXsDuration(std::string_view text) {
  // PnYnMnDTnHnMnS, non-negative; years and months as 365 and 30 days (cache hints only).
  if (text.size() < 3 || text.size() > 64 || text.front() != 'P') {
    return std::nullopt;
  }
  std::int64_t total = 0;
  bool in_time = false;
  bool any = false;
  std::int64_t number = -1;
  for (std::size_t i = 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      if (number > 100'000'000'000) {
        return std::nullopt;
      }
      number = (number < 0 ? 0 : number * 10) + (c - '0');
      continue;
    }
    if (c == '.') {  // fractional seconds: ignored, but the field must end in S
      const std::size_t s = text.find('S', i);
      if (s == std::string_view::npos || s != text.size() - 1 || !in_time || number < 0 ||
          s == i + 1) {
        return std::nullopt;
      }
      for (std::size_t j = i + 1; j < s; ++j) {
        if (text[j] < '0' || text[j] > '9') {
          return std::nullopt;
        }
      }
      i = s - 1;
      continue;
    }
    if (c == 'T') {
      if (in_time || number >= 0) {
        return std::nullopt;
      }
      in_time = true;
      continue;
    }
    if (number < 0) {
      return std::nullopt;
    }
    std::int64_t unit = 0;
    if (!in_time && c == 'Y') {
      unit = 365 * 86400;
    } else if (!in_time && c == 'M') {
      unit = 30 * 86400;
    } else if (!in_time && c == 'D') {
      unit = 86400;
    } else if (in_time && c == 'H') {
      unit = 3600;
    } else if (in_time && c == 'M') {
      unit = 60;
    } else if (in_time && c == 'S') {
      unit = 1;
    } else {
      return std::nullopt;
    }
    total += number * unit;
    number = -1;
    any = true;
  }
  if (!any || number >= 0 || (in_time && text.back() == 'T')) {
    return std::nullopt;
  }
  return total;
}

Result<MetadataDocument> parseMetadataDocument(std::string_view xml,
                                               const MetadataOptions& options) {
  GARDE_ASSIGN_OR_RETURN(auto doc, parseUntrusted(xml, options.limits));
  xmlNode* root = xmlDocGetRootElement(doc.get());
  const bool is_entity = isElement(root, ns::kMetadata, "EntityDescriptor");
  if (!is_entity && !isElement(root, ns::kMetadata, "EntitiesDescriptor")) {
    return malformed({}, "root is neither EntityDescriptor nor EntitiesDescriptor");
  }
  if (!options.trusted.empty()) {
    if (findSignature(root) == nullptr) {
      return fail(ErrorCode::kSignatureMissing, "metadata: the root element is not signed");
    }
    GARDE_ASSIGN_OR_RETURN(auto verified, verifyEnvelopedSignature(root, options.trusted));
    root = verified;  // read only from what the signature covers
  }
  GARDE_ASSIGN_OR_RETURN(auto vu, validUntil(root, {}));
  if (!vu && options.require_valid_until) {
    return malformed({}, "the root carries no validUntil");
  }
  Walker walker(options);
  if (walker.expired(vu)) {
    return fail(ErrorCode::kExpired, "metadata: validUntil of the root has passed");
  }
  if (is_entity) {
    GARDE_TRY(walker.addEntity(root, std::nullopt));
  } else {
    GARDE_TRY(walker.walkEntities(root, vu));
  }
  if (walker.entities().empty() && walker.droppedExpired()) {
    return fail(ErrorCode::kExpired, "metadata: every entity's validUntil has passed");
  }
  MetadataDocument out;
  out.valid_until = vu;
  if (const auto cache = attribute(root, "cacheDuration")) {
    out.cache_duration_seconds = parseXsDuration(trim(*cache));
    if (!out.cache_duration_seconds) {
      return malformed({}, "bad cacheDuration on the root");
    }
  }
  out.entities = std::move(walker.entities());
  out.entities_described = walker.described();
  return out;
}

Result<void> setCacheDuration(xmlNode* root, std::int64_t seconds) {
  if (root == nullptr || seconds < 0) {
    return fail(ErrorCode::kMalformedMessage, "metadata: a negative cacheDuration");
  }
  const std::string value = "PT" + std::to_string(seconds) + "S";
  if (xmlSetProp(root, BAD_CAST "cacheDuration", BAD_CAST value.c_str()) == nullptr) {
    return fail(ErrorCode::kInternal, "metadata: cannot set cacheDuration");
  }
  return {};
}

Result<XmlDoc> generateMetadata(const EntityDescriptor& entity,
                                std::optional<core::UnixTime> valid_until) {
  if (entity.entity_id.empty()) {
    return fail(ErrorCode::kMalformedMessage, "metadata: empty entityID");
  }
  Builder b;
  xmlNode* root = b.root("EntityDescriptor");
  std::string id = entity.id;
  if (id.empty()) {
    GARDE_ASSIGN_OR_RETURN(id, idFor(entity.entity_id));
  }
  GARDE_TRY(b.set(root, "ID", id));
  GARDE_TRY(b.set(root, "entityID", entity.entity_id));
  if (const auto vu = valid_until ? valid_until : entity.valid_until) {
    GARDE_TRY(b.set(root, "validUntil", core::formatIso8601(*vu)));
  }
  registerId(root);
  GARDE_TRY(b.algorithms(root, entity));
  if (entity.idp) {
    const IdpSsoDescriptor& d = *entity.idp;
    xmlNode* role = b.child(root, "IDPSSODescriptor");
    if (d.want_authn_requests_signed) {
      GARDE_TRY(b.set(role, "WantAuthnRequestsSigned", "true"));
    }
    GARDE_TRY(b.set(role, "protocolSupportEnumeration", ns::kProtocol));
    GARDE_TRY(b.keys(role, d.keys));
    GARDE_TRY(b.ssoTail(role, d));
    GARDE_TRY(b.endpoints(role, "SingleSignOnService", d.sso));
  }
  if (entity.sp) {
    const SpSsoDescriptor& d = *entity.sp;
    xmlNode* role = b.child(root, "SPSSODescriptor");
    GARDE_TRY(b.set(role, "AuthnRequestsSigned", d.authn_requests_signed ? "true" : "false"));
    GARDE_TRY(b.set(role, "WantAssertionsSigned", d.want_assertions_signed ? "true" : "false"));
    GARDE_TRY(b.set(role, "protocolSupportEnumeration", ns::kProtocol));
    GARDE_TRY(b.keys(role, d.keys));
    GARDE_TRY(b.ssoTail(role, d));
    for (const Endpoint& e : d.acs) {
      if (!e.index) {
        return fail(ErrorCode::kMalformedMessage,
                    "metadata: AssertionConsumerService without index");
      }
    }
    GARDE_TRY(b.endpoints(role, "AssertionConsumerService", d.acs));
  }
  return std::move(b.doc());
}

}  // namespace garde::saml
