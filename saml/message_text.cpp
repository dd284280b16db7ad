#include "saml/message_text.h"

#include <array>
#include <utility>
#include <vector>

#include "core/time.h"
#include "saml/build_problems.h"
#include "saml/canonical_text.h"
#include "saml/encryption.h"
#include "saml/signature.h"
#include "saml/xml.h"

namespace garde::saml {
namespace {

using core::fail;

struct Attr {
  std::string_view name;  ///< unqualified: canonical order is by name alone
  std::string_view value;
};

constexpr std::size_t kMaxAttrs = 10;

// Writes elements in canonical form and remembers the first problem, as saml/messages.cpp's
// TreeBuilder does, so that the writing code reads straight through.
class CanonicalWriter {
 public:
  explicit CanonicalWriter(std::string& out) : out_(out) {}

  /// `<qname` + `namespaces` (already in canonical order, each " xmlns:p=\"uri\"") + the
  /// unqualified `attrs` sorted by name + `qualified` (one attribute in a namespace, which sorts
  /// after every unqualified one; empty when none) + `>`. Unset attributes have a null name.
  void start(std::string_view qname, std::string_view namespaces, std::array<Attr, kMaxAttrs> attrs,
             std::string_view qualified = {}) {
    // Insertion sort of the set attributes: at most kMaxAttrs of them.
    std::size_t used = 0;
    for (const Attr a : attrs) {  // a copy: the loop moves elements under it
      if (a.name.data() == nullptr) {
        continue;
      }
      std::size_t at = used++;
      for (; at > 0 && a.name < attrs[at - 1].name; --at) {
        attrs[at] = attrs[at - 1];
      }
      attrs[at] = a;
    }
    out_ += '<';
    out_ += qname;
    out_ += namespaces;
    for (auto it = attrs.begin(); it != attrs.begin() + used; ++it) {
      if (!check(it->value, it->name)) {
        continue;
      }
      out_ += ' ';
      out_ += it->name;
      out_ += "=\"";
      c14n::appendAttributeValue(out_, it->value);
      out_ += '"';
    }
    out_ += qualified;
    out_ += '>';
  }

  void end(std::string_view qname) {
    out_ += "</";
    out_ += qname;
    out_ += '>';
  }

  void textElement(std::string_view qname, std::string_view text,
                   std::array<Attr, kMaxAttrs> attrs = {}, std::string_view namespaces = {},
                   std::string_view qualified = {}) {
    start(qname, namespaces, attrs, qualified);
    if (check(text, localPart(qname))) {
      c14n::appendText(out_, text);
    }
    end(qname);
  }

  /// The empty-value errors of the tree builder ("cannot build X without Y").
  void require(std::string_view value, std::string_view element, const char* what) {
    problems_.require(value, element, what);
  }

  core::Status status() const { return problems_.status(); }

 private:
  static std::string_view localPart(std::string_view qname) {
    return qname.substr(qname.find(':') + 1);
  }

  bool check(std::string_view text, std::string_view what) {
    return problems_.checkText(text, what);
  }

  std::string& out_;
  detail::BuildProblems problems_;
};

/// An optional attribute: unset (null name) when `value` is empty.
Attr ifSet(std::string_view name, std::string_view value) {
  return value.empty() ? Attr{} : Attr{name, value};
}

constexpr std::string_view kXsiDeclaration =
    " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"";
constexpr std::string_view kAttributeValueTag = "<saml:AttributeValue";

/// The assertion in exclusive canonical form with InclusiveNamespaces "xs" (the digest's input),
/// and where its text changes on the wire: the Signature goes in after the Issuer, and the xsi
/// namespace is declared once on the Assertion instead of on every AttributeValue, as the tree path
/// writes it (exclusive C14N renders it on each AttributeValue either way: same digest).
struct CanonicalAssertion {
  std::string text;
  std::size_t apex_end = 0;         ///< the '>' of the Assertion's start tag
  std::size_t signature_at = 0;     ///< just after the Issuer
  std::vector<std::size_t> xsi_at;  ///< each AttributeValue's xsi declaration
};

core::Result<CanonicalAssertion> canonicalAssertion(const Assertion& a) {
  CanonicalAssertion out;
  out.text.reserve(4096);
  CanonicalWriter w(out.text);
  const std::string saml_ns = std::string(" xmlns:saml=\"") + ns::kAssertion + "\"";
  // The xs binding is on the InclusiveNamespaces list, so it is rendered on the apex; xsi is
  // visibly used by each AttributeValue only, where exclusive C14N renders it.
  const std::string apex_ns =
      a.attributes.empty() ? saml_ns : saml_ns + " xmlns:xs=\"" + ns::kXs + "\"";
  w.require(a.id, "Assertion", "ID");
  const std::string issue_instant = core::formatIso8601(a.issue_instant);
  w.start("saml:Assertion", apex_ns,
          {Attr{"ID", a.id}, Attr{"IssueInstant", issue_instant}, Attr{"Version", "2.0"}});
  out.apex_end = out.text.size() - 1;
  w.textElement("saml:Issuer", a.issuer);
  w.require(a.issuer, "Assertion", "an Issuer");
  out.signature_at = out.text.size();

  if (a.subject) {
    w.start("saml:Subject", {}, {});
    if (const auto& name_id = a.subject->name_id) {
      w.textElement(
          "saml:NameID", name_id->value,
          {ifSet("Format", name_id->format), ifSet("NameQualifier", name_id->name_qualifier),
           ifSet("SPNameQualifier", name_id->sp_name_qualifier)});
      w.require(name_id->value, "NameID", "a value");
    }
    for (const SubjectConfirmation& sc : a.subject->confirmations) {
      w.require(sc.method, "SubjectConfirmation", "a Method");
      w.start("saml:SubjectConfirmation", {}, {Attr{"Method", sc.method}});
      if (const auto& data = sc.data) {
        const std::string not_before =
            data->not_before ? core::formatIso8601(*data->not_before) : std::string();
        const std::string not_on_or_after =
            data->not_on_or_after ? core::formatIso8601(*data->not_on_or_after) : std::string();
        w.start("saml:SubjectConfirmationData", {},
                {ifSet("NotBefore", not_before), ifSet("NotOnOrAfter", not_on_or_after),
                 ifSet("Recipient", data->recipient),
                 data->in_response_to ? Attr{"InResponseTo", *data->in_response_to} : Attr{}});
        w.end("saml:SubjectConfirmationData");
      }
      w.end("saml:SubjectConfirmation");
    }
    w.end("saml:Subject");
  }

  if (const auto& c = a.conditions) {
    const std::string not_before = c->not_before ? core::formatIso8601(*c->not_before) : "";
    const std::string not_on_or_after =
        c->not_on_or_after ? core::formatIso8601(*c->not_on_or_after) : "";
    w.start("saml:Conditions", {},
            {ifSet("NotBefore", not_before), ifSet("NotOnOrAfter", not_on_or_after)});
    for (const auto& restriction : c->audience_restrictions) {
      w.start("saml:AudienceRestriction", {}, {});
      for (const std::string& audience : restriction) {
        w.textElement("saml:Audience", audience);
      }
      w.end("saml:AudienceRestriction");
    }
    if (c->one_time_use) {
      w.start("saml:OneTimeUse", {}, {});
      w.end("saml:OneTimeUse");
    }
    if (c->proxy_restriction_count) {
      const std::string count = std::to_string(*c->proxy_restriction_count);
      w.start("saml:ProxyRestriction", {}, {Attr{"Count", count}});
      w.end("saml:ProxyRestriction");
    }
    w.end("saml:Conditions");
  }

  for (const AuthnStatement& s : a.authn_statements) {
    const std::string authn_instant = core::formatIso8601(s.authn_instant);
    const std::string session_end =
        s.session_not_on_or_after ? core::formatIso8601(*s.session_not_on_or_after) : "";
    w.start("saml:AuthnStatement", {},
            {Attr{"AuthnInstant", authn_instant}, ifSet("SessionIndex", s.session_index),
             ifSet("SessionNotOnOrAfter", session_end)});
    w.start("saml:AuthnContext", {}, {});
    if (!s.authn_context_class_ref.empty()) {
      w.textElement("saml:AuthnContextClassRef", s.authn_context_class_ref);
    }
    w.end("saml:AuthnContext");
    w.end("saml:AuthnStatement");
  }

  if (!a.attributes.empty()) {
    w.start("saml:AttributeStatement", {}, {});
    for (const Attribute& attr : a.attributes) {
      w.require(attr.name, "Attribute", "a Name");
      w.start("saml:Attribute", {},
              {Attr{"Name", attr.name}, ifSet("NameFormat", attr.name_format),
               ifSet("FriendlyName", attr.friendly_name)});
      for (const std::string& value : attr.values) {
        out.xsi_at.push_back(out.text.size() + kAttributeValueTag.size());
        w.textElement(kAttributeValueTag.substr(1), value, {}, kXsiDeclaration,
                      " xsi:type=\"xs:string\"");
      }
      w.end("saml:Attribute");
    }
    w.end("saml:AttributeStatement");
  }
  w.end("saml:Assertion");
  GARDE_TRY(w.status());
  return out;
}

/// The XML declaration and the Response up to where its assertion goes: start tag (declaring
/// samlp and saml), Issuer, Status.
core::Status appendResponseHead(std::string& out, const Response& r) {
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  CanonicalWriter w(out);
  w.require(r.id, "Response", "ID");
  const std::string namespaces =
      std::string(" xmlns:samlp=\"") + ns::kProtocol + "\" xmlns:saml=\"" + ns::kAssertion + "\"";
  const std::string issue_instant = core::formatIso8601(r.issue_instant);
  w.start("samlp:Response", namespaces,
          {Attr{"ID", r.id}, Attr{"Version", "2.0"}, Attr{"IssueInstant", issue_instant},
           r.destination ? Attr{"Destination", *r.destination} : Attr{},
           r.in_response_to ? Attr{"InResponseTo", *r.in_response_to} : Attr{}});
  if (!r.issuer.empty()) {
    w.textElement("saml:Issuer", r.issuer);
  }
  w.start("samlp:Status", {}, {});
  w.require(r.status.code, "StatusCode", "a Value");
  w.start("samlp:StatusCode", {}, {Attr{"Value", r.status.code}});
  if (!r.status.sub_code.empty()) {
    w.start("samlp:StatusCode", {}, {Attr{"Value", r.status.sub_code}});
    w.end("samlp:StatusCode");
  }
  w.end("samlp:StatusCode");
  if (!r.status.message.empty()) {
    w.textElement("samlp:StatusMessage", r.status.message);
  }
  w.end("samlp:Status");
  return w.status();
}

/// The signed assertion as sent: its canonical text with the Signature after the Issuer and the
/// xsi declaration once on the Assertion. Self-contained: it declares every namespace it uses.
void appendSignedAssertion(std::string& out, const CanonicalAssertion& canonical,
                           std::string_view signature) {
  const std::string_view text = canonical.text;
  out += text.substr(0, canonical.apex_end);
  if (!canonical.xsi_at.empty()) {
    out += kXsiDeclaration;
  }
  out += text.substr(canonical.apex_end, canonical.signature_at - canonical.apex_end);
  out += signature;
  std::size_t done = canonical.signature_at;
  for (const std::size_t at : canonical.xsi_at) {
    out += text.substr(done, at - done);
    done = at + kXsiDeclaration.size();
  }
  out += text.substr(done);
}

}  // namespace

core::Result<std::string> writeResponseWithSignedAssertion(const Response& r,
                                                           const Assertion& assertion,
                                                           const Credential& signing) {
  GARDE_ASSIGN_OR_RETURN(auto canonical, canonicalAssertion(assertion));
  GARDE_ASSIGN_OR_RETURN(auto signature,
                         envelopedSignatureText(assertion.id, canonical.text, signing));

  std::string out;
  out.reserve(canonical.text.size() + signature.size() + 1024);
  GARDE_TRY(appendResponseHead(out, r));
  appendSignedAssertion(out, canonical, signature);
  out += "</samlp:Response>\n";
  return out;
}

core::Result<std::string> writeResponseWithEncryptedAssertion(const Response& r,
                                                              const Assertion& assertion,
                                                              const Credential& signing,
                                                              const Certificate& recipient,
                                                              core::Random& random) {
  GARDE_ASSIGN_OR_RETURN(auto canonical, canonicalAssertion(assertion));
  GARDE_ASSIGN_OR_RETURN(auto signature,
                         envelopedSignatureText(assertion.id, canonical.text, signing));
  std::string out;
  out.reserve(2 * (canonical.text.size() + signature.size()) + 3072);
  GARDE_TRY(appendResponseHead(out, r));
  std::string plaintext;
  plaintext.reserve(canonical.text.size() + signature.size() + 64);
  appendSignedAssertion(plaintext, canonical, signature);
  GARDE_ASSIGN_OR_RETURN(auto encrypted, encryptedAssertionText(plaintext, recipient, random));
  out += encrypted;
  out += "</samlp:Response>\n";
  return out;
}

core::Result<std::string> writeAuthnRequest(const AuthnRequest& r) {
  std::string out;
  out.reserve(1024);
  CanonicalWriter w(out);
  w.require(r.id, "AuthnRequest", "ID");
  const std::string namespaces =
      std::string(" xmlns:samlp=\"") + ns::kProtocol + "\" xmlns:saml=\"" + ns::kAssertion + "\"";
  const std::string issue_instant = core::formatIso8601(r.issue_instant);
  const std::string acs_index = r.assertion_consumer_service_index
                                    ? std::to_string(*r.assertion_consumer_service_index)
                                    : std::string();
  w.start(
      "samlp:AuthnRequest", namespaces,
      {Attr{"ID", r.id}, Attr{"Version", "2.0"}, Attr{"IssueInstant", issue_instant},
       r.destination ? Attr{"Destination", *r.destination} : Attr{},
       r.force_authn ? Attr{"ForceAuthn", "true"} : Attr{},
       r.is_passive ? Attr{"IsPassive", "true"} : Attr{},
       ifSet("ProtocolBinding", r.protocol_binding),
       ifSet("AssertionConsumerServiceURL", r.assertion_consumer_service_url),
       ifSet("AssertionConsumerServiceIndex", acs_index), ifSet("ProviderName", r.provider_name)});
  if (!r.issuer.empty()) {
    w.textElement("saml:Issuer", r.issuer);
  }
  if (const auto& policy = r.name_id_policy) {
    w.start("samlp:NameIDPolicy", {},
            {ifSet("Format", policy->format), ifSet("SPNameQualifier", policy->sp_name_qualifier),
             policy->allow_create ? Attr{"AllowCreate", *policy->allow_create ? "true" : "false"}
                                  : Attr{}});
    w.end("samlp:NameIDPolicy");
  }
  if (const auto& context = r.requested_authn_context) {
    w.start("samlp:RequestedAuthnContext", {}, {ifSet("Comparison", context->comparison)});
    for (const std::string& ref : context->class_refs) {
      w.textElement("saml:AuthnContextClassRef", ref);
    }
    w.end("samlp:RequestedAuthnContext");
  }
  w.end("samlp:AuthnRequest");
  GARDE_TRY(w.status());
  return out;
}

}  // namespace garde::saml
