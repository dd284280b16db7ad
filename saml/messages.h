#pragma once
/// @file SAML 2.0 protocol messages and assertions (SAML2 Core 2 and 3) as plain structs, with
/// builders producing libxml2 trees and strict parsers reading from an element.
///
/// Builders are pure: IDs and `IssueInstant`s are fields the caller fills (ids from
/// core::Random::newId(), times from its clock). Each built document has its ID attributes
/// registered (registerId) so signElement() can sign the elements in place, and keeps the schema's
/// element order (Issuer first, so the Signature goes right after it).
///
/// Parsers read one element, normally the one returned by verifyEnvelopedSignature(). They are
/// strict: a wrong Version, a missing required attribute or element, or an unparsable time is
/// kMalformedMessage with a detail naming the element or attribute (never its value).
/// parseResponse() reads the Response's own fields only, never its assertions: assertions are read
/// with parseAssertion() from the element that validateResponse() verified.

#include <libxml/tree.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "saml/xml.h"

namespace garde::saml {

/// Top-level and second-level status codes (SAML2 Core 3.2.2.2).
namespace status_code {
inline constexpr std::string_view kSuccess = "urn:oasis:names:tc:SAML:2.0:status:Success";
inline constexpr std::string_view kRequester = "urn:oasis:names:tc:SAML:2.0:status:Requester";
inline constexpr std::string_view kResponder = "urn:oasis:names:tc:SAML:2.0:status:Responder";
inline constexpr std::string_view kVersionMismatch =
    "urn:oasis:names:tc:SAML:2.0:status:VersionMismatch";
inline constexpr std::string_view kAuthnFailed = "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed";
inline constexpr std::string_view kInvalidAttrNameOrValue =
    "urn:oasis:names:tc:SAML:2.0:status:InvalidAttrNameOrValue";
inline constexpr std::string_view kInvalidNameIdPolicy =
    "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy";
inline constexpr std::string_view kNoAuthnContext =
    "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext";
inline constexpr std::string_view kNoAvailableIdp =
    "urn:oasis:names:tc:SAML:2.0:status:NoAvailableIDP";
inline constexpr std::string_view kNoPassive = "urn:oasis:names:tc:SAML:2.0:status:NoPassive";
inline constexpr std::string_view kNoSupportedIdp =
    "urn:oasis:names:tc:SAML:2.0:status:NoSupportedIDP";
inline constexpr std::string_view kPartialLogout =
    "urn:oasis:names:tc:SAML:2.0:status:PartialLogout";
inline constexpr std::string_view kProxyCountExceeded =
    "urn:oasis:names:tc:SAML:2.0:status:ProxyCountExceeded";
inline constexpr std::string_view kRequestDenied =
    "urn:oasis:names:tc:SAML:2.0:status:RequestDenied";
inline constexpr std::string_view kRequestUnsupported =
    "urn:oasis:names:tc:SAML:2.0:status:RequestUnsupported";
inline constexpr std::string_view kResourceNotRecognized =
    "urn:oasis:names:tc:SAML:2.0:status:ResourceNotRecognized";
inline constexpr std::string_view kUnknownPrincipal =
    "urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal";
inline constexpr std::string_view kUnsupportedBinding =
    "urn:oasis:names:tc:SAML:2.0:status:UnsupportedBinding";
}  // namespace status_code

/// NameID formats (SAML2 Core 8.3).
namespace name_id_format {
inline constexpr std::string_view kUnspecified =
    "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
inline constexpr std::string_view kEmailAddress =
    "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
inline constexpr std::string_view kPersistent =
    "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
inline constexpr std::string_view kTransient =
    "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
inline constexpr std::string_view kEntity = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity";
}  // namespace name_id_format

/// Attribute NameFormats (SAML2 Core 8.2).
namespace attribute_name_format {
inline constexpr std::string_view kUnspecified =
    "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified";
inline constexpr std::string_view kUri = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri";
inline constexpr std::string_view kBasic = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic";
}  // namespace attribute_name_format

/// SubjectConfirmation methods (SAML2 Profiles 3).
inline constexpr std::string_view kBearerMethod = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

/// Protocol bindings (SAML2 Bindings 3).
namespace binding {
inline constexpr std::string_view kHttpPost = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
inline constexpr std::string_view kHttpRedirect =
    "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
inline constexpr std::string_view kHttpArtifact =
    "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact";
}  // namespace binding

/// Authentication context classes (SAML2 AuthnContext 3.4).
namespace authn_context {
inline constexpr std::string_view kPasswordProtectedTransport =
    "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";
inline constexpr std::string_view kPassword = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password";
inline constexpr std::string_view kUnspecified =
    "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified";
}  // namespace authn_context

/// samlp:Status. (Not core::Status, which is Result<void>.)
struct Status {
  std::string code = std::string(status_code::kSuccess);  ///< top-level StatusCode Value
  std::string sub_code;  ///< second-level StatusCode Value; empty when absent
  std::string message;   ///< StatusMessage; empty when absent

  bool isSuccess() const noexcept { return code == status_code::kSuccess; }
  /// "Requester/UnknownPrincipal": the codes' last segments, for logs and error details.
  std::string describe() const;
  bool operator==(const Status&) const = default;
};

/// saml:NameID. Optional attributes are empty when absent.
struct NameID {
  std::string value;  ///< the full text content (comments do not truncate it)
  std::string format;
  std::string name_qualifier;
  std::string sp_name_qualifier;
  bool operator==(const NameID&) const = default;
};

/// saml:SubjectConfirmationData (SAML2 Core 2.4.1.2).
struct SubjectConfirmationData {
  std::optional<core::UnixTime> not_before;  ///< must be absent for bearer (Profiles 4.1.4.2)
  std::optional<core::UnixTime> not_on_or_after;
  std::string recipient;  ///< empty when absent
  std::optional<std::string> in_response_to;
  bool operator==(const SubjectConfirmationData&) const = default;
};

/// saml:SubjectConfirmation.
struct SubjectConfirmation {
  std::string method = std::string(kBearerMethod);
  std::optional<SubjectConfirmationData> data;
  bool operator==(const SubjectConfirmation&) const = default;
};

/// saml:Subject. (BaseID and EncryptedID are not supported: parsing them is kMalformedMessage.)
struct Subject {
  std::optional<NameID> name_id;
  std::vector<SubjectConfirmation> confirmations;
  bool operator==(const Subject&) const = default;
};

/// saml:Conditions (SAML2 Core 2.5).
struct Conditions {
  std::optional<core::UnixTime> not_before;
  std::optional<core::UnixTime> not_on_or_after;
  /// One inner list per AudienceRestriction: every restriction must name us (they are ANDed; the
  /// audiences inside one restriction are ORed, SAML2 Core 2.5.1.4).
  std::vector<std::vector<std::string>> audience_restrictions;
  bool one_time_use = false;
  /// ProxyRestriction Count, when present (its Audience list is not kept).
  std::optional<int> proxy_restriction_count;
  bool operator==(const Conditions&) const = default;
};

/// saml:AuthnStatement with an AuthnContextClassRef.
struct AuthnStatement {
  core::UnixTime authn_instant = 0;
  std::string session_index;  ///< empty when absent
  std::optional<core::UnixTime> session_not_on_or_after;
  std::string authn_context_class_ref;  ///< empty when absent
  bool operator==(const AuthnStatement&) const = default;
};

/// saml:Attribute; each value is one AttributeValue (built with xsi:type="xs:string").
struct Attribute {
  std::string name;
  std::string name_format;    ///< empty when absent
  std::string friendly_name;  ///< empty when absent
  std::vector<std::string> values;
  bool operator==(const Attribute&) const = default;
};

/// saml:Assertion. Attributes of every AttributeStatement are read into one list; the builder
/// writes them as one AttributeStatement (omitted when the list is empty).
struct Assertion {
  std::string id;
  core::UnixTime issue_instant = 0;
  std::string issuer;
  std::optional<Subject> subject;
  std::optional<Conditions> conditions;
  std::vector<AuthnStatement> authn_statements;
  std::vector<Attribute> attributes;
  bool operator==(const Assertion&) const = default;
};

/// samlp:Response, without its assertions (see buildResponse / parseAssertion).
struct Response {
  std::string id;
  std::optional<std::string> in_response_to;
  core::UnixTime issue_instant = 0;
  std::optional<std::string> destination;
  std::string issuer;  ///< empty when absent (the Issuer is optional on a Response)
  Status status;
  bool operator==(const Response&) const = default;
};

/// samlp:NameIDPolicy.
struct NameIDPolicy {
  std::string format;             ///< empty when absent
  std::string sp_name_qualifier;  ///< empty when absent
  std::optional<bool> allow_create;
  bool operator==(const NameIDPolicy&) const = default;
};

/// samlp:RequestedAuthnContext with AuthnContextClassRefs.
struct RequestedAuthnContext {
  std::string comparison;  ///< "exact" (default when absent), "minimum", "maximum", "better"
  std::vector<std::string> class_refs;
  bool operator==(const RequestedAuthnContext&) const = default;
};

/// samlp:AuthnRequest (SAML2 Core 3.4.1). The Issuer is optional in the schema; the Web SSO
/// profile requires it, which the flow checks (empty when absent).
struct AuthnRequest {
  std::string id;
  core::UnixTime issue_instant = 0;
  std::optional<std::string> destination;
  std::string issuer;
  std::string assertion_consumer_service_url;  ///< empty when absent
  std::optional<int> assertion_consumer_service_index;
  std::string protocol_binding;  ///< empty when absent
  std::string provider_name;     ///< empty when absent
  bool force_authn = false;
  bool is_passive = false;
  std::optional<NameIDPolicy> name_id_policy;
  std::optional<RequestedAuthnContext> requested_authn_context;
  bool operator==(const AuthnRequest&) const = default;
};

/// samlp:LogoutRequest (SAML2 Core 3.7.1), identified by a NameID.
struct LogoutRequest {
  std::string id;
  core::UnixTime issue_instant = 0;
  std::optional<std::string> destination;
  std::string issuer;
  std::optional<core::UnixTime> not_on_or_after;
  std::string reason;  ///< empty when absent
  NameID name_id;
  std::vector<std::string> session_indexes;
  bool operator==(const LogoutRequest&) const = default;
};

/// samlp:LogoutResponse (a StatusResponseType).
struct LogoutResponse {
  std::string id;
  std::optional<std::string> in_response_to;
  core::UnixTime issue_instant = 0;
  std::optional<std::string> destination;
  std::string issuer;
  Status status;
  bool operator==(const LogoutResponse&) const = default;
};

// ---- Builders -----------------------------------------------------------------------------------
// Every builder returns a new document whose root is the message, IDs registered. Errors:
// kMalformedMessage when a required field is empty (id, issuer of an assertion, NameID value...),
// kBadEncoding when a string is not valid UTF-8 or holds characters XML cannot carry.

/// samlp:AuthnRequest.
Result<XmlDoc> buildAuthnRequest(const AuthnRequest& request);

/// samlp:Response carrying `assertions` (in order, as direct children after Status). Sign an
/// assertion with signElement() on `childElements(root, ns::kAssertion, "Assertion")[i]`, then
/// (optionally) encryptAssertion(), then sign the root.
Result<XmlDoc> buildResponse(const Response& response,
                             const std::vector<Assertion>& assertions = {});

/// A standalone saml:Assertion document (for tests and tools).
Result<XmlDoc> buildAssertion(const Assertion& assertion);

/// samlp:LogoutRequest.
Result<XmlDoc> buildLogoutRequest(const LogoutRequest& request);

/// samlp:LogoutResponse.
Result<XmlDoc> buildLogoutResponse(const LogoutResponse& response);

// ---- Parsers ------------------------------------------------------------------------------------
// Each reads `element` (which must be the named element, else kMalformedMessage) and nothing
// outside it. The element is normally the one a signature verification returned.

Result<AuthnRequest> parseAuthnRequest(const xmlNode* element);
/// Reads the Response's attributes, Issuer and Status; its assertions are not read.
Result<Response> parseResponse(const xmlNode* element);
Result<Assertion> parseAssertion(const xmlNode* element);
Result<LogoutRequest> parseLogoutRequest(const xmlNode* element);
Result<LogoutResponse> parseLogoutResponse(const xmlNode* element);

}  // namespace garde::saml
