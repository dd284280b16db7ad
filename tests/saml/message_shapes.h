#pragma once
// Generated shapes of the messages garde writes two ways, as a libxml2 tree (saml/messages.h:
// buildResponse + signElement, buildAuthnRequest) and as text (saml/message_text.h): every
// optional element and attribute of the Response, its Assertion and the AuthnRequest on and off,
// the values drawn from hostile text (XML's special characters, "]]>", markup, non-ASCII UTF-8,
// whitespace, a very long value, empty strings where the writers take them).
//
// The members the generator sets are listed once, in the field tables of message_shapes.cpp; each
// entry names the struct member it covers. message_shapes_test.cpp checks with Boost.PFR that the
// tables cover every member of every struct the writers read, and message_shapes.cpp
// static_asserts their member counts, so a field added to a writer's input struct without the
// generator fails the build or a test.

#include <functional>
#include <string>
#include <typeindex>
#include <vector>

#include "saml/keys.h"
#include "saml/messages.h"
#include "saml/xml.h"

namespace garde::test::shapes {

/// Values: every value fits the strict parsers of saml/messages.h (the shape must read back to
/// its structs); or hostile: anything the writers accept, such as an empty InResponseTo or an
/// unknown Comparison, which the parsers refuse.
enum class Values { kParseable, kHostile };

struct ResponseShape {
  std::string name;
  Values values;
  saml::Response response;
  saml::Assertion assertion;
  std::vector<bool> on;  ///< per responseFieldNames() entry: set in this shape
  /// kParseable and no element the parsers refuse empty (a Subject without NameID or
  /// SubjectConfirmation): the parsers read the message back to these structs.
  bool parses;
};

struct AuthnRequestShape {
  std::string name;
  Values values;
  saml::AuthnRequest request;
  std::vector<bool> on;  ///< per authnRequestFieldNames() entry
  /// kParseable and no RequestedAuthnContext without AuthnContextClassRef.
  bool parses;
};

/// Every shape of the Response with one assertion: all optional fields off, all on, each alone on
/// (with what it needs), each alone off, and seeded random combinations; each in both Values.
std::vector<ResponseShape> responseShapes();
std::vector<AuthnRequestShape> authnRequestShapes();

/// "Assertion.subject", "NameID.format"...: one per field table entry, in table order.
std::vector<std::string> responseFieldNames();
std::vector<std::string> authnRequestFieldNames();
/// Per field table entry: false for what every message carries (IDs, IssueInstant, Issuer...).
std::vector<bool> responseFieldOptional();
std::vector<bool> authnRequestFieldOptional();

/// One struct member covered by a field table.
struct Member {
  std::type_index owner;  ///< the struct that declares it
  std::string name;
  std::function<const void*(const void*)> address;  ///< of the member within an `owner` object
};
/// Every member the field tables cover, of every struct.
std::vector<Member> coveredMembers();

/// Parse caps that fit the shapes' longest values.
saml::ParseLimits shapeLimits();

/// What the tree path writes for `r` carrying `a`: buildResponse, signElement on the assertion,
/// serialize.
std::string treeResponse(const saml::Response& r, const saml::Assertion& a,
                         const saml::Credential& signing);

/// The exclusive canonical form of the whole document `xml`.
std::string canonicalDocument(const std::string& xml);

}  // namespace garde::test::shapes
