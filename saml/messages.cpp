#include "saml/messages.h"

#include <charconv>
#include <utility>

#include "saml/build_problems.h"

namespace garde::saml {
namespace {

using core::ErrorCode;
using core::fail;
using core::UnixTime;

// ---- Building -----------------------------------------------------------------------------------

// Builds one document. Strings are stored as text (libxml2 escapes them on output); the first
// problem is remembered and reported by finish(), so the building code reads straight through.
class TreeBuilder {
 public:
  TreeBuilder() : doc_(xmlNewDoc(BAD_CAST "1.0")) {}

  xmlDoc* doc() const noexcept { return doc_.get(); }

  xmlNode* root(const char* ns_uri, const char* prefix, const char* name) {
    xmlNode* node = xmlNewDocNode(doc_.get(), nullptr, BAD_CAST name, nullptr);
    xmlDocSetRootElement(doc_.get(), node);
    xmlSetNs(node, xmlNewNs(node, BAD_CAST ns_uri, BAD_CAST prefix));
    return node;
  }

  xmlNode* element(xmlNode* parent, xmlNs* ns, const char* name) {
    xmlNode* node = xmlNewDocNode(doc_.get(), ns, BAD_CAST name, nullptr);
    xmlAddChild(parent, node);
    return node;
  }

  xmlNode* textElement(xmlNode* parent, xmlNs* ns, const char* name, std::string_view text) {
    xmlNode* node = element(parent, ns, name);
    if (check(text, name)) {
      xmlAddChild(
          node, xmlNewDocTextLen(doc_.get(), BAD_CAST text.data(), static_cast<int>(text.size())));
    }
    return node;
  }

  void attr(xmlNode* node, const char* name, std::string_view value) {
    if (check(value, name)) {
      const std::string v(value);
      xmlNewProp(node, BAD_CAST name, BAD_CAST v.c_str());
    }
  }
  void attrIfSet(xmlNode* node, const char* name, std::string_view value) {
    if (!value.empty()) {
      attr(node, name, value);
    }
  }
  void attrIfPresent(xmlNode* node, const char* name, const std::optional<std::string>& value) {
    if (value) {
      attr(node, name, *value);
    }
  }
  void timeAttr(xmlNode* node, const char* name, UnixTime t) {
    attr(node, name, core::formatIso8601(t));
  }
  void timeAttrIfSet(xmlNode* node, const char* name, const std::optional<UnixTime>& t) {
    if (t) {
      timeAttr(node, name, *t);
    }
  }

  /// An ID attribute, registered so that "#id" references resolve when signing.
  void idAttr(xmlNode* node, std::string_view id) {
    require(id, node);
    attr(node, "ID", id);
    registerId(node);
  }

  void require(std::string_view value, const xmlNode* node, const char* what = "ID") {
    problems_.require(value, reinterpret_cast<const char*>(node->name), what);
  }

  Result<XmlDoc> finish() {
    GARDE_TRY(problems_.status());
    return std::move(doc_);
  }

 private:
  bool check(std::string_view text, const char* what) { return problems_.checkText(text, what); }

  XmlDoc doc_;
  detail::BuildProblems problems_;
};

void buildIssuer(TreeBuilder& b, xmlNode* parent, xmlNs* saml, std::string_view issuer) {
  if (!issuer.empty()) {
    b.textElement(parent, saml, "Issuer", issuer);
  }
}

void buildNameId(TreeBuilder& b, xmlNode* parent, xmlNs* saml, const NameID& name_id) {
  xmlNode* node = b.textElement(parent, saml, "NameID", name_id.value);
  b.require(name_id.value, node, "a value");
  b.attrIfSet(node, "Format", name_id.format);
  b.attrIfSet(node, "NameQualifier", name_id.name_qualifier);
  b.attrIfSet(node, "SPNameQualifier", name_id.sp_name_qualifier);
}

void buildStatus(TreeBuilder& b, xmlNode* parent, xmlNs* samlp, const Status& status) {
  xmlNode* node = b.element(parent, samlp, "Status");
  xmlNode* code = b.element(node, samlp, "StatusCode");
  b.require(status.code, code, "a Value");
  b.attr(code, "Value", status.code);
  if (!status.sub_code.empty()) {
    xmlNode* sub = b.element(code, samlp, "StatusCode");
    b.attr(sub, "Value", status.sub_code);
  }
  if (!status.message.empty()) {
    b.textElement(node, samlp, "StatusMessage", status.message);
  }
}

// The assertion declares its own saml (and xs/xsi) namespaces, so it stays self-contained when it
// is signed (exclusive C14N), encrypted, or serialized on its own.
void buildAssertionInto(TreeBuilder& b, xmlNode* parent, const Assertion& a) {
  xmlNode* node = nullptr;
  xmlNs* saml = nullptr;
  if (parent == nullptr) {
    node = b.root(ns::kAssertion, "saml", "Assertion");
    saml = node->ns;
  } else {
    node = b.element(parent, nullptr, "Assertion");
    saml = xmlNewNs(node, BAD_CAST ns::kAssertion, BAD_CAST "saml");
    xmlSetNs(node, saml);
  }
  xmlNs* xs = nullptr;
  xmlNs* xsi = nullptr;
  if (!a.attributes.empty()) {
    xs = xmlNewNs(node, BAD_CAST ns::kXs, BAD_CAST "xs");
    xsi = xmlNewNs(node, BAD_CAST ns::kXsi, BAD_CAST "xsi");
  }
  b.idAttr(node, a.id);
  b.attr(node, "Version", "2.0");
  b.timeAttr(node, "IssueInstant", a.issue_instant);
  b.textElement(node, saml, "Issuer", a.issuer);
  b.require(a.issuer, node, "an Issuer");

  if (a.subject) {
    xmlNode* subject = b.element(node, saml, "Subject");
    if (a.subject->name_id) {
      buildNameId(b, subject, saml, *a.subject->name_id);
    }
    for (const SubjectConfirmation& sc : a.subject->confirmations) {
      xmlNode* conf = b.element(subject, saml, "SubjectConfirmation");
      b.require(sc.method, conf, "a Method");
      b.attr(conf, "Method", sc.method);
      if (sc.data) {
        xmlNode* data = b.element(conf, saml, "SubjectConfirmationData");
        b.timeAttrIfSet(data, "NotBefore", sc.data->not_before);
        b.timeAttrIfSet(data, "NotOnOrAfter", sc.data->not_on_or_after);
        b.attrIfSet(data, "Recipient", sc.data->recipient);
        b.attrIfPresent(data, "InResponseTo", sc.data->in_response_to);
      }
    }
  }

  if (a.conditions) {
    const Conditions& c = *a.conditions;
    xmlNode* cond = b.element(node, saml, "Conditions");
    b.timeAttrIfSet(cond, "NotBefore", c.not_before);
    b.timeAttrIfSet(cond, "NotOnOrAfter", c.not_on_or_after);
    for (const auto& restriction : c.audience_restrictions) {
      xmlNode* r = b.element(cond, saml, "AudienceRestriction");
      for (const std::string& audience : restriction) {
        b.textElement(r, saml, "Audience", audience);
      }
    }
    if (c.one_time_use) {
      b.element(cond, saml, "OneTimeUse");
    }
    if (c.proxy_restriction_count) {
      xmlNode* p = b.element(cond, saml, "ProxyRestriction");
      b.attr(p, "Count", std::to_string(*c.proxy_restriction_count));
    }
  }

  for (const AuthnStatement& s : a.authn_statements) {
    xmlNode* st = b.element(node, saml, "AuthnStatement");
    b.timeAttr(st, "AuthnInstant", s.authn_instant);
    b.attrIfSet(st, "SessionIndex", s.session_index);
    b.timeAttrIfSet(st, "SessionNotOnOrAfter", s.session_not_on_or_after);
    xmlNode* ctx = b.element(st, saml, "AuthnContext");
    if (!s.authn_context_class_ref.empty()) {
      b.textElement(ctx, saml, "AuthnContextClassRef", s.authn_context_class_ref);
    }
  }

  if (!a.attributes.empty()) {
    xmlNode* st = b.element(node, saml, "AttributeStatement");
    for (const Attribute& attr : a.attributes) {
      xmlNode* an = b.element(st, saml, "Attribute");
      b.require(attr.name, an, "a Name");
      b.attr(an, "Name", attr.name);
      b.attrIfSet(an, "NameFormat", attr.name_format);
      b.attrIfSet(an, "FriendlyName", attr.friendly_name);
      for (const std::string& value : attr.values) {
        xmlNode* v = b.textElement(an, saml, "AttributeValue", value);
        xmlNewNsProp(v, xsi, BAD_CAST "type", BAD_CAST "xs:string");
      }
    }
    (void)xs;
  }
}

// The message header common to requests and responses.
xmlNode* buildHeader(TreeBuilder& b, const char* name, std::string_view id, UnixTime issue_instant,
                     const std::optional<std::string>& destination) {
  xmlNode* node = b.root(ns::kProtocol, "samlp", name);
  xmlNewNs(node, BAD_CAST ns::kAssertion, BAD_CAST "saml");
  b.idAttr(node, id);
  b.attr(node, "Version", "2.0");
  b.timeAttr(node, "IssueInstant", issue_instant);
  b.attrIfPresent(node, "Destination", destination);
  return node;
}

xmlNs* samlNs(xmlNode* root) { return xmlSearchNsByHref(root->doc, root, BAD_CAST ns::kAssertion); }

// ---- Parsing ------------------------------------------------------------------------------------

std::string nameOf(const xmlNode* node) { return std::string(localName(node)); }

core::Failure malformed(std::string detail) {
  return fail(ErrorCode::kMalformedMessage, std::move(detail));
}

Result<std::string> requiredAttr(const xmlNode* node, const char* name) {
  auto v = attribute(node, name);
  if (!v) {
    return malformed(nameOf(node) + " has no " + name + " attribute");
  }
  if (v->empty()) {
    return malformed(nameOf(node) + "/@" + name + " is empty");
  }
  return std::move(*v);
}

// Optional attributes: absent is nullopt; present but empty is malformed for IDs and URIs.
Result<std::optional<std::string>> optionalAttr(const xmlNode* node, const char* name) {
  auto v = attribute(node, name);
  if (v && v->empty()) {
    return malformed(nameOf(node) + "/@" + name + " is empty");
  }
  return v;
}

Result<std::optional<UnixTime>> optionalTime(const xmlNode* node, const char* name) {
  auto v = attribute(node, name);
  if (!v) {
    return std::optional<UnixTime>{};
  }
  auto t = core::parseIso8601(*v);
  if (!t) {
    return malformed(nameOf(node) + "/@" + name + " is not a valid xs:dateTime");
  }
  return std::optional<UnixTime>{*t};
}

Result<UnixTime> requiredTime(const xmlNode* node, const char* name) {
  GARDE_ASSIGN_OR_RETURN(auto t, optionalTime(node, name));
  if (!t) {
    return malformed(nameOf(node) + " has no " + name + " attribute");
  }
  return *t;
}

Result<std::optional<bool>> optionalBool(const xmlNode* node, const char* name) {
  auto v = attribute(node, name);
  if (!v) {
    return std::optional<bool>{};
  }
  if (*v == "true" || *v == "1") {
    return std::optional<bool>{true};
  }
  if (*v == "false" || *v == "0") {
    return std::optional<bool>{false};
  }
  return malformed(nameOf(node) + "/@" + name + " is not an xs:boolean");
}

Result<std::optional<int>> optionalUnsigned(const xmlNode* node, const char* name, int max) {
  auto v = attribute(node, name);
  if (!v) {
    return std::optional<int>{};
  }
  int out = 0;
  const auto* end = v->data() + v->size();
  auto [ptr, ec] = std::from_chars(v->data(), end, out);
  if (v->empty() || ec != std::errc() || ptr != end || out < 0 || out > max) {
    return malformed(nameOf(node) + "/@" + name + " is not a valid unsigned integer");
  }
  return std::optional<int>{out};
}

core::Status expectElement(const xmlNode* node, const char* ns_uri, const char* name) {
  if (!isElement(node, ns_uri, name)) {
    return malformed(std::string("expected a ") + name + " element, got " +
                     (node == nullptr ? std::string("nothing") : nameOf(node)));
  }
  return {};
}

core::Status checkVersion(const xmlNode* node) {
  auto v = attribute(node, "Version");
  if (!v) {
    return malformed(nameOf(node) + " has no Version attribute");
  }
  if (*v != "2.0") {
    return malformed(nameOf(node) + "/@Version is not 2.0");
  }
  return {};
}

// At most one child with this name; nullptr when absent.
Result<xmlNode*> optionalChild(const xmlNode* parent, const char* ns_uri, const char* name) {
  auto children = childElements(parent, ns_uri, name);
  if (children.size() > 1) {
    return malformed(nameOf(parent) + " has more than one " + name);
  }
  return children.empty() ? nullptr : children.front();
}

// Text of a simple element, which must not be empty.
Result<std::string> requiredText(const xmlNode* node) {
  std::string text = textContent(node);
  if (text.empty()) {
    return malformed(nameOf(node) + " is empty");
  }
  return text;
}

// saml:Issuer; Format, when present, must be the entity format (SAML2 Core 2.2.5, Profiles 4.1.4).
Result<std::string> parseIssuer(const xmlNode* parent) {
  GARDE_ASSIGN_OR_RETURN(auto issuer, optionalChild(parent, ns::kAssertion, "Issuer"));
  if (issuer == nullptr) {
    return std::string();
  }
  if (auto format = attribute(issuer, "Format"); format && *format != name_id_format::kEntity) {
    return malformed(nameOf(parent) + "/Issuer/@Format is not the entity format");
  }
  return requiredText(issuer);
}

Result<NameID> parseNameId(const xmlNode* node) {
  NameID out;
  out.value = textContent(node);
  if (out.value.empty()) {
    return malformed("NameID is empty");
  }
  out.format = attribute(node, "Format").value_or("");
  out.name_qualifier = attribute(node, "NameQualifier").value_or("");
  out.sp_name_qualifier = attribute(node, "SPNameQualifier").value_or("");
  return out;
}

Result<Status> parseStatus(const xmlNode* parent) {
  GARDE_ASSIGN_OR_RETURN(auto status_node, optionalChild(parent, ns::kProtocol, "Status"));
  if (status_node == nullptr) {
    return malformed(nameOf(parent) + " has no Status");
  }
  GARDE_ASSIGN_OR_RETURN(auto code_node, optionalChild(status_node, ns::kProtocol, "StatusCode"));
  if (code_node == nullptr) {
    return malformed("Status has no StatusCode");
  }
  Status out;
  GARDE_ASSIGN_OR_RETURN(out.code, requiredAttr(code_node, "Value"));
  GARDE_ASSIGN_OR_RETURN(auto sub_node, optionalChild(code_node, ns::kProtocol, "StatusCode"));
  if (sub_node != nullptr) {
    GARDE_ASSIGN_OR_RETURN(out.sub_code, requiredAttr(sub_node, "Value"));
  }
  GARDE_ASSIGN_OR_RETURN(auto message, optionalChild(status_node, ns::kProtocol, "StatusMessage"));
  if (message != nullptr) {
    out.message = textContent(message);
  }
  return out;
}

Result<SubjectConfirmation> parseSubjectConfirmation(const xmlNode* node) {
  SubjectConfirmation out;
  GARDE_ASSIGN_OR_RETURN(out.method, requiredAttr(node, "Method"));
  GARDE_ASSIGN_OR_RETURN(auto data_node,
                         optionalChild(node, ns::kAssertion, "SubjectConfirmationData"));
  if (data_node != nullptr) {
    SubjectConfirmationData data;
    GARDE_ASSIGN_OR_RETURN(data.not_before, optionalTime(data_node, "NotBefore"));
    GARDE_ASSIGN_OR_RETURN(data.not_on_or_after, optionalTime(data_node, "NotOnOrAfter"));
    GARDE_ASSIGN_OR_RETURN(data.in_response_to, optionalAttr(data_node, "InResponseTo"));
    data.recipient = attribute(data_node, "Recipient").value_or("");
    out.data = std::move(data);
  }
  return out;
}

Result<Subject> parseSubject(const xmlNode* node) {
  Subject out;
  if (firstChildElement(node, ns::kAssertion, "BaseID") != nullptr ||
      firstChildElement(node, ns::kAssertion, "EncryptedID") != nullptr) {
    return malformed("Subject with BaseID or EncryptedID is not supported");
  }
  GARDE_ASSIGN_OR_RETURN(auto name_id_node, optionalChild(node, ns::kAssertion, "NameID"));
  if (name_id_node != nullptr) {
    GARDE_ASSIGN_OR_RETURN(out.name_id, parseNameId(name_id_node));
  }
  for (xmlNode* sc : childElements(node, ns::kAssertion, "SubjectConfirmation")) {
    GARDE_ASSIGN_OR_RETURN(auto conf, parseSubjectConfirmation(sc));
    out.confirmations.push_back(std::move(conf));
  }
  if (!out.name_id && out.confirmations.empty()) {
    return malformed("Subject has neither NameID nor SubjectConfirmation");
  }
  return out;
}

Result<Conditions> parseConditions(const xmlNode* node) {
  Conditions out;
  GARDE_ASSIGN_OR_RETURN(out.not_before, optionalTime(node, "NotBefore"));
  GARDE_ASSIGN_OR_RETURN(out.not_on_or_after, optionalTime(node, "NotOnOrAfter"));
  for (xmlNode* child : childElements(node)) {
    if (isElement(child, ns::kAssertion, "AudienceRestriction")) {
      std::vector<std::string> audiences;
      for (xmlNode* a : childElements(child, ns::kAssertion, "Audience")) {
        GARDE_ASSIGN_OR_RETURN(auto text, requiredText(a));
        audiences.push_back(std::move(text));
      }
      if (audiences.empty()) {
        return malformed("AudienceRestriction has no Audience");
      }
      out.audience_restrictions.push_back(std::move(audiences));
    } else if (isElement(child, ns::kAssertion, "OneTimeUse")) {
      out.one_time_use = true;
    } else if (isElement(child, ns::kAssertion, "ProxyRestriction")) {
      GARDE_ASSIGN_OR_RETURN(auto count, optionalUnsigned(child, "Count", 1 << 20));
      out.proxy_restriction_count = count.value_or(1 << 20);
    } else {
      // SAML2 Core 2.5.1: a condition we cannot evaluate makes the assertion invalid.
      return malformed("Conditions holds an unsupported condition " + nameOf(child));
    }
  }
  return out;
}

Result<AuthnStatement> parseAuthnStatement(const xmlNode* node) {
  AuthnStatement out;
  GARDE_ASSIGN_OR_RETURN(out.authn_instant, requiredTime(node, "AuthnInstant"));
  out.session_index = attribute(node, "SessionIndex").value_or("");
  GARDE_ASSIGN_OR_RETURN(out.session_not_on_or_after, optionalTime(node, "SessionNotOnOrAfter"));
  GARDE_ASSIGN_OR_RETURN(auto context, optionalChild(node, ns::kAssertion, "AuthnContext"));
  if (context == nullptr) {
    return malformed("AuthnStatement has no AuthnContext");
  }
  GARDE_ASSIGN_OR_RETURN(auto class_ref,
                         optionalChild(context, ns::kAssertion, "AuthnContextClassRef"));
  if (class_ref != nullptr) {
    GARDE_ASSIGN_OR_RETURN(out.authn_context_class_ref, requiredText(class_ref));
  }
  return out;
}

Result<Attribute> parseAttribute(const xmlNode* node) {
  Attribute out;
  GARDE_ASSIGN_OR_RETURN(out.name, requiredAttr(node, "Name"));
  out.name_format = attribute(node, "NameFormat").value_or("");
  out.friendly_name = attribute(node, "FriendlyName").value_or("");
  for (xmlNode* v : childElements(node, ns::kAssertion, "AttributeValue")) {
    out.values.push_back(textContent(v));
  }
  return out;
}

// Fields common to RequestAbstractType and StatusResponseType.
template <class T>
core::Status parseMessageHeader(const xmlNode* node, T& out) {
  GARDE_TRY(checkVersion(node));
  GARDE_ASSIGN_OR_RETURN(out.id, requiredAttr(node, "ID"));
  GARDE_ASSIGN_OR_RETURN(out.issue_instant, requiredTime(node, "IssueInstant"));
  GARDE_ASSIGN_OR_RETURN(out.destination, optionalAttr(node, "Destination"));
  GARDE_ASSIGN_OR_RETURN(out.issuer, parseIssuer(node));
  return {};
}

template <class T>
core::Status parseStatusResponse(const xmlNode* node, T& out) {
  GARDE_TRY(parseMessageHeader(node, out));
  GARDE_ASSIGN_OR_RETURN(out.in_response_to, optionalAttr(node, "InResponseTo"));
  GARDE_ASSIGN_OR_RETURN(out.status, parseStatus(node));
  return {};
}

}  // namespace

std::string Status::describe() const {
  auto last = [](std::string_view uri) {
    const auto pos = uri.rfind(':');
    return std::string(pos == std::string_view::npos ? uri : uri.substr(pos + 1));
  };
  std::string out = last(code);
  if (!sub_code.empty()) {
    out += "/" + last(sub_code);
  }
  return out;
}

// ---- Builders -----------------------------------------------------------------------------------

Result<XmlDoc> buildAuthnRequest(const AuthnRequest& r) {
  TreeBuilder b;
  xmlNode* root = buildHeader(b, "AuthnRequest", r.id, r.issue_instant, r.destination);
  xmlNs* samlp = root->ns;
  if (r.force_authn) {
    b.attr(root, "ForceAuthn", "true");
  }
  if (r.is_passive) {
    b.attr(root, "IsPassive", "true");
  }
  b.attrIfSet(root, "ProtocolBinding", r.protocol_binding);
  b.attrIfSet(root, "AssertionConsumerServiceURL", r.assertion_consumer_service_url);
  if (r.assertion_consumer_service_index) {
    b.attr(root, "AssertionConsumerServiceIndex",
           std::to_string(*r.assertion_consumer_service_index));
  }
  b.attrIfSet(root, "ProviderName", r.provider_name);
  buildIssuer(b, root, samlNs(root), r.issuer);
  if (r.name_id_policy) {
    xmlNode* p = b.element(root, samlp, "NameIDPolicy");
    b.attrIfSet(p, "Format", r.name_id_policy->format);
    b.attrIfSet(p, "SPNameQualifier", r.name_id_policy->sp_name_qualifier);
    if (r.name_id_policy->allow_create) {
      b.attr(p, "AllowCreate", *r.name_id_policy->allow_create ? "true" : "false");
    }
  }
  if (r.requested_authn_context) {
    xmlNode* c = b.element(root, samlp, "RequestedAuthnContext");
    b.attrIfSet(c, "Comparison", r.requested_authn_context->comparison);
    for (const std::string& ref : r.requested_authn_context->class_refs) {
      b.textElement(c, samlNs(root), "AuthnContextClassRef", ref);
    }
  }
  return b.finish();
}

Result<XmlDoc> buildResponse(const Response& r, const std::vector<Assertion>& assertions) {
  TreeBuilder b;
  xmlNode* root = buildHeader(b, "Response", r.id, r.issue_instant, r.destination);
  b.attrIfPresent(root, "InResponseTo", r.in_response_to);
  buildIssuer(b, root, samlNs(root), r.issuer);
  buildStatus(b, root, root->ns, r.status);
  for (const Assertion& a : assertions) {
    buildAssertionInto(b, root, a);
  }
  return b.finish();
}

Result<XmlDoc> buildAssertion(const Assertion& assertion) {
  TreeBuilder b;
  buildAssertionInto(b, nullptr, assertion);
  return b.finish();
}

Result<XmlDoc> buildLogoutRequest(const LogoutRequest& r) {
  TreeBuilder b;
  xmlNode* root = buildHeader(b, "LogoutRequest", r.id, r.issue_instant, r.destination);
  b.timeAttrIfSet(root, "NotOnOrAfter", r.not_on_or_after);
  b.attrIfSet(root, "Reason", r.reason);
  buildIssuer(b, root, samlNs(root), r.issuer);
  buildNameId(b, root, samlNs(root), r.name_id);
  for (const std::string& index : r.session_indexes) {
    b.textElement(root, root->ns, "SessionIndex", index);
  }
  return b.finish();
}

Result<XmlDoc> buildLogoutResponse(const LogoutResponse& r) {
  TreeBuilder b;
  xmlNode* root = buildHeader(b, "LogoutResponse", r.id, r.issue_instant, r.destination);
  b.attrIfPresent(root, "InResponseTo", r.in_response_to);
  buildIssuer(b, root, samlNs(root), r.issuer);
  buildStatus(b, root, root->ns, r.status);
  return b.finish();
}

// ---- Parsers ------------------------------------------------------------------------------------

Result<AuthnRequest> parseAuthnRequest(const xmlNode* element) {
  GARDE_TRY(expectElement(element, ns::kProtocol, "AuthnRequest"));
  AuthnRequest out;
  GARDE_TRY(parseMessageHeader(element, out));
  GARDE_ASSIGN_OR_RETURN(auto force, optionalBool(element, "ForceAuthn"));
  GARDE_ASSIGN_OR_RETURN(auto passive, optionalBool(element, "IsPassive"));
  out.force_authn = force.value_or(false);
  out.is_passive = passive.value_or(false);
  out.protocol_binding = attribute(element, "ProtocolBinding").value_or("");
  out.assertion_consumer_service_url =
      attribute(element, "AssertionConsumerServiceURL").value_or("");
  GARDE_ASSIGN_OR_RETURN(out.assertion_consumer_service_index,
                         optionalUnsigned(element, "AssertionConsumerServiceIndex", 65535));
  out.provider_name = attribute(element, "ProviderName").value_or("");

  GARDE_ASSIGN_OR_RETURN(auto policy, optionalChild(element, ns::kProtocol, "NameIDPolicy"));
  if (policy != nullptr) {
    NameIDPolicy p;
    p.format = attribute(policy, "Format").value_or("");
    p.sp_name_qualifier = attribute(policy, "SPNameQualifier").value_or("");
    GARDE_ASSIGN_OR_RETURN(p.allow_create, optionalBool(policy, "AllowCreate"));
    out.name_id_policy = std::move(p);
  }
  GARDE_ASSIGN_OR_RETURN(auto context,
                         optionalChild(element, ns::kProtocol, "RequestedAuthnContext"));
  if (context != nullptr) {
    RequestedAuthnContext c;
    c.comparison = attribute(context, "Comparison").value_or("");
    if (!c.comparison.empty() && c.comparison != "exact" && c.comparison != "minimum" &&
        c.comparison != "maximum" && c.comparison != "better") {
      return malformed("RequestedAuthnContext/@Comparison is not a known comparison");
    }
    for (xmlNode* ref : childElements(context, ns::kAssertion, "AuthnContextClassRef")) {
      GARDE_ASSIGN_OR_RETURN(auto text, requiredText(ref));
      c.class_refs.push_back(std::move(text));
    }
    if (c.class_refs.empty()) {
      return malformed("RequestedAuthnContext has no AuthnContextClassRef");
    }
    out.requested_authn_context = std::move(c);
  }
  return out;
}

Result<Response> parseResponse(const xmlNode* element) {
  GARDE_TRY(expectElement(element, ns::kProtocol, "Response"));
  Response out;
  GARDE_TRY(parseStatusResponse(element, out));
  return out;
}

Result<Assertion> parseAssertion(const xmlNode* element) {
  GARDE_TRY(expectElement(element, ns::kAssertion, "Assertion"));
  Assertion out;
  GARDE_TRY(checkVersion(element));
  GARDE_ASSIGN_OR_RETURN(out.id, requiredAttr(element, "ID"));
  GARDE_ASSIGN_OR_RETURN(out.issue_instant, requiredTime(element, "IssueInstant"));
  GARDE_ASSIGN_OR_RETURN(auto issuer, parseIssuer(element));
  if (issuer.empty()) {
    return malformed("Assertion has no Issuer");
  }
  out.issuer = std::move(issuer);

  GARDE_ASSIGN_OR_RETURN(auto subject, optionalChild(element, ns::kAssertion, "Subject"));
  if (subject != nullptr) {
    GARDE_ASSIGN_OR_RETURN(out.subject, parseSubject(subject));
  }
  GARDE_ASSIGN_OR_RETURN(auto conditions, optionalChild(element, ns::kAssertion, "Conditions"));
  if (conditions != nullptr) {
    GARDE_ASSIGN_OR_RETURN(out.conditions, parseConditions(conditions));
  }
  for (xmlNode* st : childElements(element, ns::kAssertion, "AuthnStatement")) {
    GARDE_ASSIGN_OR_RETURN(auto s, parseAuthnStatement(st));
    out.authn_statements.push_back(std::move(s));
  }
  for (xmlNode* st : childElements(element, ns::kAssertion, "AttributeStatement")) {
    if (firstChildElement(st, ns::kAssertion, "EncryptedAttribute") != nullptr) {
      return malformed("EncryptedAttribute is not supported");
    }
    for (xmlNode* a : childElements(st, ns::kAssertion, "Attribute")) {
      GARDE_ASSIGN_OR_RETURN(auto attr, parseAttribute(a));
      out.attributes.push_back(std::move(attr));
    }
  }
  return out;
}

Result<LogoutRequest> parseLogoutRequest(const xmlNode* element) {
  GARDE_TRY(expectElement(element, ns::kProtocol, "LogoutRequest"));
  LogoutRequest out;
  GARDE_TRY(parseMessageHeader(element, out));
  GARDE_ASSIGN_OR_RETURN(out.not_on_or_after, optionalTime(element, "NotOnOrAfter"));
  out.reason = attribute(element, "Reason").value_or("");
  GARDE_ASSIGN_OR_RETURN(auto name_id_node, optionalChild(element, ns::kAssertion, "NameID"));
  if (name_id_node == nullptr) {
    return malformed("LogoutRequest has no NameID (BaseID and EncryptedID are not supported)");
  }
  GARDE_ASSIGN_OR_RETURN(out.name_id, parseNameId(name_id_node));
  for (xmlNode* index : childElements(element, ns::kProtocol, "SessionIndex")) {
    GARDE_ASSIGN_OR_RETURN(auto text, requiredText(index));
    out.session_indexes.push_back(std::move(text));
  }
  return out;
}

Result<LogoutResponse> parseLogoutResponse(const xmlNode* element) {
  GARDE_TRY(expectElement(element, ns::kProtocol, "LogoutResponse"));
  LogoutResponse out;
  GARDE_TRY(parseStatusResponse(element, out));
  return out;
}

}  // namespace garde::saml
