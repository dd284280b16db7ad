#include "message_shapes.h"

#include <boost/pfr.hpp>
#include <catch2/catch.hpp>
#include <random>
#include <typeinfo>
#include <utility>

#include "saml/signature.h"
#include "support/saml_builders.h"

namespace garde::test::shapes {
namespace {

// A member added to one of these structs needs an entry in the field tables below (and the
// writers, the parsers and this count updated): the tables are the generator's one list of what
// the writers read.
static_assert(boost::pfr::tuple_size_v<saml::Response> == 6, "update kResponseFields");
static_assert(boost::pfr::tuple_size_v<saml::Status> == 3, "update kResponseFields");
static_assert(boost::pfr::tuple_size_v<saml::Assertion> == 7, "update kResponseFields");
static_assert(boost::pfr::tuple_size_v<saml::Subject> == 2, "update kResponseFields");
static_assert(boost::pfr::tuple_size_v<saml::NameID> == 4, "update kResponseFields");
static_assert(boost::pfr::tuple_size_v<saml::SubjectConfirmation> == 2, "update kResponseFields");
static_assert(boost::pfr::tuple_size_v<saml::SubjectConfirmationData> == 4,
              "update kResponseFields");
static_assert(boost::pfr::tuple_size_v<saml::Conditions> == 5, "update kResponseFields");
static_assert(boost::pfr::tuple_size_v<saml::AuthnStatement> == 4, "update kResponseFields");
static_assert(boost::pfr::tuple_size_v<saml::Attribute> == 4, "update kResponseFields");
static_assert(boost::pfr::tuple_size_v<saml::AuthnRequest> == 12, "update kAuthnRequestFields");
static_assert(boost::pfr::tuple_size_v<saml::NameIDPolicy> == 3, "update kAuthnRequestFields");
static_assert(boost::pfr::tuple_size_v<saml::RequestedAuthnContext> == 2,
              "update kAuthnRequestFields");

std::string longText() {
  std::string out = "long:";
  while (out.size() < 20000) {
    out += " a&b<c>d\"e'f é€𝄞 ]]> ";
  }
  return out;
}

// The texts every field takes in turn.
const std::vector<std::string>& texts() {
  static const std::vector<std::string> all = {
      "https://idp.example.org/saml2/idp?x=1&y=2",
      "a&b<c>d\"e'f",  // every character XML escapes, in text or in attributes
      "x]]>y",         // the end of a CDATA section
      "</saml:Issuer><saml:Issuer>evil\" x=\"1",  // would close the element or the attribute
      "\xC3\xA9\xC3\xA8 \xE2\x82\xAC \xF0\x9D\x84\x9E \xE6\x97\xA5\xE6\x9C\xAC",  // é è € 𝄞 日本
      "  spaced\tout\nover\r\nlines  ",  // what XML would normalize if it were not escaped
      longText(),
      "0",
  };
  return all;
}

// Draws the values of one shape. Texts come in turn from texts(), starting at a different place in
// each shape, so that every field meets every text across the shapes.
class Draw {
 public:
  Draw(Values values, std::size_t seed) : values_(values), next_(seed) {}

  bool hostile() const { return values_ == Values::kHostile; }

  /// A non-empty text (for a string whose empty value means absent, or is refused).
  std::string text() { return texts()[next_++ % texts().size()]; }

  /// Sometimes empty: for a value written even when empty (std::optional<std::string>, list
  /// items); only in hostile shapes when the parsers refuse it empty (`empty_parses` false).
  std::string maybeEmpty(bool empty_parses) {
    if ((hostile() || empty_parses) && next_++ % 4 == 0) {
      return {};
    }
    return text();
  }

  /// An xs:ID the direct verification path takes (signature_direct.cpp: letters, digits, _ - .),
  /// unique in the shape.
  std::string id(const char* prefix) {
    static const char* const kTails[] = {"", "-0123456789abcdef0123456789abcdef01234567", ".x_y-z",
                                         "_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"};
    const std::size_t n = next_++;
    return prefix + std::to_string(n) + kTails[n % 4];
  }

  core::UnixTime time() {
    static const core::UnixTime kTimes[] = {kNow, 0, kNow + 40LL * 365 * 86400, 1};
    return kTimes[next_++ % 4];
  }

  /// An integer the parsers read back up to `max`; beyond, and negative, in hostile shapes.
  int count(int max) {
    const int values[] = {0, 1, max, hostile() ? max + 1 : 2, hostile() ? -1 : 3};
    return values[next_++ % 5];
  }

  bool flag() { return next_++ % 2 == 0; }

  /// A RequestedAuthnContext Comparison: any text in hostile shapes (the parser knows four).
  std::string comparison() {
    static const char* const kKnown[] = {"exact", "minimum", "maximum", "better"};
    return hostile() && next_ % 2 == 0 ? text() : kKnown[next_++ % 4];
  }

 private:
  Values values_;
  std::size_t next_;
};

template <class S, class T>
Member member(const char* name, T S::*m) {
  return Member{std::type_index(typeid(S)), name,
                [m](const void* s) -> const void* { return &(static_cast<const S*>(s)->*m); }};
}

// One entry of a field table: the member it sets, the entry it needs set first (-1: none), whether
// a shape may leave it out, and how it sets it.
template <class M>
struct Field {
  Member member;
  int parent;
  bool optional;
  std::function<void(M&, Draw&)> set;
};

struct ResponseMessage {
  saml::Response r;
  saml::Assertion a;
};

// Sets `set` on every element of a list the parent entry made.
template <class T, class F>
void forEach(std::vector<T>& list, F&& set) {
  for (T& item : list) {
    set(item);
  }
}

using RF = Field<ResponseMessage>;
using Rm = ResponseMessage;

// Everything writeResponseWithSignedAssertion() reads, parents first.
const std::vector<RF>& responseFields() {
  using namespace saml;
  static const std::vector<RF> fields = {
      /* 0 */ {member("Response.id", &Response::id), -1, false,
               [](Rm& m, Draw& d) { m.r.id = d.id("_r"); }},
      /* 1 */
      {member("Response.issue_instant", &Response::issue_instant), -1, false,
       [](Rm& m, Draw& d) { m.r.issue_instant = d.time(); }},
      /* 2 */
      {member("Response.in_response_to", &Response::in_response_to), -1, true,
       [](Rm& m, Draw& d) { m.r.in_response_to = d.maybeEmpty(false); }},
      /* 3 */
      {member("Response.destination", &Response::destination), -1, true,
       [](Rm& m, Draw& d) { m.r.destination = d.maybeEmpty(false); }},
      /* 4 */
      {member("Response.issuer", &Response::issuer), -1, true,
       [](Rm& m, Draw& d) { m.r.issuer = d.text(); }},
      /* 5 */ {member("Response.status", &Response::status), -1, false, [](Rm&, Draw&) {}},
      /* 6 */
      {member("Status.code", &Status::code), 5, false,
       [](Rm& m, Draw& d) { m.r.status.code = d.text(); }},
      /* 7 */
      {member("Status.sub_code", &Status::sub_code), 5, true,
       [](Rm& m, Draw& d) { m.r.status.sub_code = d.text(); }},
      /* 8 */
      {member("Status.message", &Status::message), 5, true,
       [](Rm& m, Draw& d) { m.r.status.message = d.text(); }},
      /* 9 */
      {member("Assertion.id", &Assertion::id), -1, false,
       [](Rm& m, Draw& d) { m.a.id = d.id("_a"); }},
      /* 10 */
      {member("Assertion.issue_instant", &Assertion::issue_instant), -1, false,
       [](Rm& m, Draw& d) { m.a.issue_instant = d.time(); }},
      /* 11 */
      {member("Assertion.issuer", &Assertion::issuer), -1, false,
       [](Rm& m, Draw& d) { m.a.issuer = d.text(); }},
      /* 12 */
      {member("Assertion.subject", &Assertion::subject), -1, true,
       [](Rm& m, Draw&) { m.a.subject = Subject{}; }},
      /* 13 */
      {member("Subject.name_id", &Subject::name_id), 12, true,
       [](Rm& m, Draw&) { m.a.subject->name_id = NameID{}; }},
      /* 14 */
      {member("NameID.value", &NameID::value), 13, false,
       [](Rm& m, Draw& d) { m.a.subject->name_id->value = d.text(); }},
      /* 15 */
      {member("NameID.format", &NameID::format), 13, true,
       [](Rm& m, Draw& d) { m.a.subject->name_id->format = d.text(); }},
      /* 16 */
      {member("NameID.name_qualifier", &NameID::name_qualifier), 13, true,
       [](Rm& m, Draw& d) { m.a.subject->name_id->name_qualifier = d.text(); }},
      /* 17 */
      {member("NameID.sp_name_qualifier", &NameID::sp_name_qualifier), 13, true,
       [](Rm& m, Draw& d) { m.a.subject->name_id->sp_name_qualifier = d.text(); }},
      /* 18 */
      {member("Subject.confirmations", &Subject::confirmations), 12, true,
       [](Rm& m, Draw&) { m.a.subject->confirmations.resize(2); }},
      /* 19 */
      {member("SubjectConfirmation.method", &SubjectConfirmation::method), 18, false,
       [](Rm& m, Draw& d) {
         forEach(m.a.subject->confirmations, [&](SubjectConfirmation& c) { c.method = d.text(); });
       }},
      /* 20 */
      {member("SubjectConfirmation.data", &SubjectConfirmation::data), 18, true,
       [](Rm& m, Draw&) {
         forEach(m.a.subject->confirmations,
                 [](SubjectConfirmation& c) { c.data = SubjectConfirmationData{}; });
       }},
      /* 21 */
      {member("SubjectConfirmationData.not_before", &SubjectConfirmationData::not_before), 20,
       true,
       [](Rm& m, Draw& d) {
         forEach(m.a.subject->confirmations,
                 [&](SubjectConfirmation& c) { c.data->not_before = d.time(); });
       }},
      /* 22 */
      {member("SubjectConfirmationData.not_on_or_after",
              &SubjectConfirmationData::not_on_or_after),
       20, true,
       [](Rm& m, Draw& d) {
         forEach(m.a.subject->confirmations,
                 [&](SubjectConfirmation& c) { c.data->not_on_or_after = d.time(); });
       }},
      /* 23 */
      {member("SubjectConfirmationData.recipient", &SubjectConfirmationData::recipient), 20, true,
       [](Rm& m, Draw& d) {
         forEach(m.a.subject->confirmations,
                 [&](SubjectConfirmation& c) { c.data->recipient = d.text(); });
       }},
      /* 24 */
      {member("SubjectConfirmationData.in_response_to", &SubjectConfirmationData::in_response_to),
       20, true,
       [](Rm& m, Draw& d) {
         forEach(m.a.subject->confirmations,
                 [&](SubjectConfirmation& c) { c.data->in_response_to = d.maybeEmpty(false); });
       }},
      /* 25 */
      {member("Assertion.conditions", &Assertion::conditions), -1, true,
       [](Rm& m, Draw&) { m.a.conditions = Conditions{}; }},
      /* 26 */
      {member("Conditions.not_before", &Conditions::not_before), 25, true,
       [](Rm& m, Draw& d) { m.a.conditions->not_before = d.time(); }},
      /* 27 */
      {member("Conditions.not_on_or_after", &Conditions::not_on_or_after), 25, true,
       [](Rm& m, Draw& d) { m.a.conditions->not_on_or_after = d.time(); }},
      /* 28 */
      {member("Conditions.audience_restrictions", &Conditions::audience_restrictions), 25, true,
       [](Rm& m, Draw& d) {
         auto& restrictions = m.a.conditions->audience_restrictions;
         restrictions = {{d.text(), d.text()}, {d.text()}};
         if (d.hostile()) {
           restrictions.push_back({});  // no Audience: written, refused by the parser
           restrictions.push_back({d.maybeEmpty(false)});
         }
       }},
      /* 29 */
      {member("Conditions.one_time_use", &Conditions::one_time_use), 25, true,
       [](Rm& m, Draw&) { m.a.conditions->one_time_use = true; }},
      /* 30 */
      {member("Conditions.proxy_restriction_count", &Conditions::proxy_restriction_count), 25,
       true, [](Rm& m, Draw& d) { m.a.conditions->proxy_restriction_count = d.count(1 << 20); }},
      /* 31 */
      {member("Assertion.authn_statements", &Assertion::authn_statements), -1, true,
       [](Rm& m, Draw&) { m.a.authn_statements.resize(2); }},
      /* 32 */
      {member("AuthnStatement.authn_instant", &AuthnStatement::authn_instant), 31, false,
       [](Rm& m, Draw& d) {
         forEach(m.a.authn_statements, [&](AuthnStatement& s) { s.authn_instant = d.time(); });
       }},
      /* 33 */
      {member("AuthnStatement.session_index", &AuthnStatement::session_index), 31, true,
       [](Rm& m, Draw& d) {
         forEach(m.a.authn_statements, [&](AuthnStatement& s) { s.session_index = d.text(); });
       }},
      /* 34 */
      {member("AuthnStatement.session_not_on_or_after", &AuthnStatement::session_not_on_or_after),
       31, true,
       [](Rm& m, Draw& d) {
         forEach(m.a.authn_statements,
                 [&](AuthnStatement& s) { s.session_not_on_or_after = d.time(); });
       }},
      /* 35 */
      {member("AuthnStatement.authn_context_class_ref", &AuthnStatement::authn_context_class_ref),
       31, true,
       [](Rm& m, Draw& d) {
         forEach(m.a.authn_statements,
                 [&](AuthnStatement& s) { s.authn_context_class_ref = d.text(); });
       }},
      /* 36 */
      {member("Assertion.attributes", &Assertion::attributes), -1, true,
       [](Rm& m, Draw&) { m.a.attributes.resize(3); }},
      /* 37 */
      {member("Attribute.name", &Attribute::name), 36, false,
       [](Rm& m, Draw& d) {
         forEach(m.a.attributes, [&](Attribute& a) { a.name = d.text(); });
       }},
      /* 38 */
      {member("Attribute.name_format", &Attribute::name_format), 36, true,
       [](Rm& m, Draw& d) {
         forEach(m.a.attributes, [&](Attribute& a) { a.name_format = d.text(); });
       }},
      /* 39 */
      {member("Attribute.friendly_name", &Attribute::friendly_name), 36, true,
       [](Rm& m, Draw& d) {
         forEach(m.a.attributes, [&](Attribute& a) { a.friendly_name = d.text(); });
       }},
      /* 40 */
      {member("Attribute.values", &Attribute::values), 36, true,
       [](Rm& m, Draw& d) {
         std::size_t n = 0;
         forEach(m.a.attributes, [&](Attribute& a) {
           a.values.clear();
           for (std::size_t i = 0; i <= n; ++i) {
             a.values.push_back(d.maybeEmpty(true));
           }
           ++n;
         });
       }},
  };
  return fields;
}

using AF = Field<saml::AuthnRequest>;
using Am = saml::AuthnRequest;

// Everything writeAuthnRequest() reads, parents first.
const std::vector<AF>& authnRequestFields() {
  using namespace saml;
  static const std::vector<AF> fields = {
      /* 0 */ {member("AuthnRequest.id", &AuthnRequest::id), -1, false,
               [](Am& r, Draw& d) { r.id = d.id("_q"); }},
      /* 1 */
      {member("AuthnRequest.issue_instant", &AuthnRequest::issue_instant), -1, false,
       [](Am& r, Draw& d) { r.issue_instant = d.time(); }},
      /* 2 */
      {member("AuthnRequest.destination", &AuthnRequest::destination), -1, true,
       [](Am& r, Draw& d) { r.destination = d.maybeEmpty(false); }},
      /* 3 */
      {member("AuthnRequest.issuer", &AuthnRequest::issuer), -1, true,
       [](Am& r, Draw& d) { r.issuer = d.text(); }},
      /* 4 */
      {member("AuthnRequest.assertion_consumer_service_url",
              &AuthnRequest::assertion_consumer_service_url),
       -1, true, [](Am& r, Draw& d) { r.assertion_consumer_service_url = d.text(); }},
      /* 5 */
      {member("AuthnRequest.assertion_consumer_service_index",
              &AuthnRequest::assertion_consumer_service_index),
       -1, true, [](Am& r, Draw& d) { r.assertion_consumer_service_index = d.count(65535); }},
      /* 6 */
      {member("AuthnRequest.protocol_binding", &AuthnRequest::protocol_binding), -1, true,
       [](Am& r, Draw& d) { r.protocol_binding = d.text(); }},
      /* 7 */
      {member("AuthnRequest.provider_name", &AuthnRequest::provider_name), -1, true,
       [](Am& r, Draw& d) { r.provider_name = d.text(); }},
      /* 8 */
      {member("AuthnRequest.force_authn", &AuthnRequest::force_authn), -1, true,
       [](Am& r, Draw&) { r.force_authn = true; }},
      /* 9 */
      {member("AuthnRequest.is_passive", &AuthnRequest::is_passive), -1, true,
       [](Am& r, Draw&) { r.is_passive = true; }},
      /* 10 */
      {member("AuthnRequest.name_id_policy", &AuthnRequest::name_id_policy), -1, true,
       [](Am& r, Draw&) { r.name_id_policy = NameIDPolicy{}; }},
      /* 11 */
      {member("NameIDPolicy.format", &NameIDPolicy::format), 10, true,
       [](Am& r, Draw& d) { r.name_id_policy->format = d.text(); }},
      /* 12 */
      {member("NameIDPolicy.sp_name_qualifier", &NameIDPolicy::sp_name_qualifier), 10, true,
       [](Am& r, Draw& d) { r.name_id_policy->sp_name_qualifier = d.text(); }},
      /* 13 */
      {member("NameIDPolicy.allow_create", &NameIDPolicy::allow_create), 10, true,
       [](Am& r, Draw& d) { r.name_id_policy->allow_create = d.flag(); }},
      /* 14 */
      {member("AuthnRequest.requested_authn_context", &AuthnRequest::requested_authn_context), -1,
       true, [](Am& r, Draw&) { r.requested_authn_context = RequestedAuthnContext{}; }},
      /* 15 */
      {member("RequestedAuthnContext.comparison", &RequestedAuthnContext::comparison), 14, true,
       [](Am& r, Draw& d) { r.requested_authn_context->comparison = d.comparison(); }},
      /* 16 */
      {member("RequestedAuthnContext.class_refs", &RequestedAuthnContext::class_refs), 14, true,
       [](Am& r, Draw& d) {
         r.requested_authn_context->class_refs = {d.maybeEmpty(false), d.text()};
       }},
  };
  return fields;
}

template <class M>
std::vector<std::string> namesOf(const std::vector<Field<M>>& fields) {
  std::vector<std::string> out;
  for (const auto& f : fields) {
    out.push_back(f.member.name);
  }
  return out;
}

template <class M>
std::vector<bool> optionalOf(const std::vector<Field<M>>& fields) {
  std::vector<bool> out;
  for (const auto& f : fields) {
    out.push_back(f.optional);
  }
  return out;
}

// A choice of optional fields, before their parents are taken into account.
struct Mask {
  std::string name;
  std::vector<bool> wanted;
};

// Nothing optional, everything, each optional field alone (with the fields it needs) and each left
// out alone, then seeded random choices.
template <class M>
std::vector<Mask> masks(const std::vector<Field<M>>& fields, std::size_t random_count) {
  const std::size_t n = fields.size();
  std::vector<Mask> out;
  out.push_back({"nothing optional", std::vector<bool>(n, false)});
  out.push_back({"everything", std::vector<bool>(n, true)});
  for (std::size_t i = 0; i < n; ++i) {
    if (!fields[i].optional) {
      continue;
    }
    Mask only{"only " + fields[i].member.name, std::vector<bool>(n, false)};
    for (int at = static_cast<int>(i); at >= 0; at = fields[static_cast<std::size_t>(at)].parent) {
      only.wanted[static_cast<std::size_t>(at)] = true;
    }
    out.push_back(std::move(only));
    Mask all_but{"all but " + fields[i].member.name, std::vector<bool>(n, true)};
    all_but.wanted[i] = false;
    out.push_back(std::move(all_but));
  }
  std::mt19937 rng(20261123);
  for (std::size_t k = 0; k < random_count; ++k) {
    Mask random{"random #" + std::to_string(k), std::vector<bool>(n)};
    for (std::size_t i = 0; i < n; ++i) {
      random.wanted[i] = (rng() & 1U) != 0;
    }
    out.push_back(std::move(random));
  }
  return out;
}

// What a mask sets: a field is set when it is required or wanted, and its parent is set.
template <class M>
std::vector<bool> effective(const std::vector<Field<M>>& fields, const std::vector<bool>& wanted) {
  std::vector<bool> on(fields.size());
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const int parent = fields[i].parent;
    REQUIRE(parent < static_cast<int>(i));  // parents come first
    on[i] =
        (!fields[i].optional || wanted[i]) && (parent < 0 || on[static_cast<std::size_t>(parent)]);
  }
  return on;
}

template <class M>
M build(const std::vector<Field<M>>& fields, const std::vector<bool>& on, Draw& draw) {
  M message{};
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (on[i]) {
      fields[i].set(message, draw);
    }
  }
  return message;
}

template <class M>
std::string describe(const std::vector<Field<M>>& fields, const Mask& mask,
                     const std::vector<bool>& on, Values values) {
  std::string out = values == Values::kHostile ? "hostile, " : "parseable, ";
  out += mask.name;
  if (mask.name.rfind("random", 0) == 0) {
    out += ":";
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (fields[i].optional && on[i]) {
        out += " " + fields[i].member.name;
      }
    }
  }
  return out;
}

template <class M, class Make>
auto shapesOf(const std::vector<Field<M>>& fields, std::size_t random_count, Make make) {
  std::vector<decltype(make(std::string(), Values::kHostile, M{}, std::vector<bool>()))> out;
  std::size_t seed = 0;
  for (const Mask& mask : masks(fields, random_count)) {
    const auto on = effective(fields, mask.wanted);
    for (const Values values : {Values::kParseable, Values::kHostile}) {
      Draw draw(values, seed++);
      out.push_back(make(describe(fields, mask, on, values), values, build(fields, on, draw), on));
    }
  }
  return out;
}

}  // namespace

std::vector<ResponseShape> responseShapes() {
  return shapesOf(responseFields(), 24,
                  [](std::string name, Values values, ResponseMessage m, std::vector<bool> on) {
                    const bool empty_subject =
                        m.a.subject && !m.a.subject->name_id && m.a.subject->confirmations.empty();
                    const bool parses = values == Values::kParseable && !empty_subject;
                    return ResponseShape{std::move(name), values,        std::move(m.r),
                                         std::move(m.a),  std::move(on), parses};
                  });
}

std::vector<AuthnRequestShape> authnRequestShapes() {
  return shapesOf(
      authnRequestFields(), 24,
      [](std::string name, Values values, saml::AuthnRequest r, std::vector<bool> on) {
        const bool no_class_ref =
            r.requested_authn_context && r.requested_authn_context->class_refs.empty();
        const bool parses = values == Values::kParseable && !no_class_ref;
        return AuthnRequestShape{std::move(name), values, std::move(r), std::move(on), parses};
      });
}

std::vector<std::string> responseFieldNames() { return namesOf(responseFields()); }
std::vector<std::string> authnRequestFieldNames() { return namesOf(authnRequestFields()); }
std::vector<bool> responseFieldOptional() { return optionalOf(responseFields()); }
std::vector<bool> authnRequestFieldOptional() { return optionalOf(authnRequestFields()); }

std::vector<Member> coveredMembers() {
  std::vector<Member> out;
  for (const auto& f : responseFields()) {
    out.push_back(f.member);
  }
  for (const auto& f : authnRequestFields()) {
    out.push_back(f.member);
  }
  return out;
}

saml::ParseLimits shapeLimits() { return {8u * 1024 * 1024, 64, 1'000'000}; }

std::string treeResponse(const saml::Response& r, const saml::Assertion& a,
                         const saml::Credential& signing) {
  auto doc = saml::buildResponse(r, {a});
  REQUIRE(doc.has_value());
  xmlNode* root = xmlDocGetRootElement(doc->get());
  xmlNode* assertion = saml::firstChildElement(root, saml::ns::kAssertion, "Assertion");
  REQUIRE(assertion != nullptr);
  REQUIRE(saml::signElement(assertion, signing).has_value());
  return saml::serialize(doc->get());
}

std::string canonicalDocument(const std::string& xml) {
  auto doc = saml::parseUntrusted(xml, shapeLimits());
  REQUIRE(doc.has_value());
  auto c14n = saml::canonicalize(doc->get(), xmlDocGetRootElement(doc->get()));
  REQUIRE(c14n.has_value());
  return *c14n;
}

}  // namespace garde::test::shapes
