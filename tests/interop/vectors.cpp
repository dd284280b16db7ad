// garde_interop_vectors: garde-signed SAML messages and metadata on stdout, built with the saml
// library's own builders and signer, for the garde -> peer interop checks (tests/interop/*.py).
//
//   garde_interop_vectors response --key K --cert C --issuer IDP --audience SP --acs URL
//       --request-id ID --now ISO8601 [--destination URL] [--name-id V] [--attr NAME=VALUE]...
//       [--sign-assertion] [--sign-response] [--encrypt-for CERT]
//     -> the Response XML (Assertion then Response signed, each when asked)
//   garde_interop_vectors authn-request --key K --cert C --issuer SP --destination SSO --acs URL
//       --id ID --now ISO8601 [--relay-state RS] [--unsigned]
//     -> the HTTP-Redirect Location URL (SigAlg + Signature over the query unless --unsigned)
//   garde_interop_vectors metadata --role idp|sp --key K --cert C --entity-id ID --location URL
//       --now ISO8601 [--valid-until ISO8601] [--id ID] [--unsigned]
//     -> the EntityDescriptor (signed unless --unsigned)
//
// Exit 0 on success; 2 on bad usage; 1 with a message on stderr when the library refuses.

#include <libxml/tree.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/file.h"
#include "core/random.h"
#include "core/time.h"
#include "saml/binding/redirect.h"
#include "saml/keys.h"
#include "saml/messages.h"
#include "saml/metadata.h"
#include "saml/signature.h"
#include "saml/xml.h"
#include "support/credentials.h"
#include "support/saml_builders.h"

namespace {

using garde::core::Error;
using garde::core::UnixTime;
namespace saml = garde::saml;

/// Usage errors (exit 2) and library refusals (exit 1).
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct Refused : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <class T>
T need(garde::core::Result<T> r, std::string_view what) {
  if (!r) {
    throw Refused(std::string(what) + ": " + r.error().detail);
  }
  return std::move(r).value();
}

void need(const garde::core::Status& s, std::string_view what) {
  if (!s) {
    throw Refused(std::string(what) + ": " + s.error().detail);
  }
}

/// --name value options (repeatable ones keep every value) and --flag switches.
class Args {
 public:
  Args(int argc, char** argv, int first, const std::vector<std::string>& flags) {
    for (int i = first; i < argc; ++i) {
      std::string a = argv[i];
      if (a.rfind("--", 0) != 0) {
        throw UsageError("unexpected argument " + a);
      }
      a = a.substr(2);
      if (std::find(flags.begin(), flags.end(), a) != flags.end()) {
        values_[a].push_back("1");
        continue;
      }
      if (i + 1 >= argc) {
        throw UsageError("--" + a + " needs a value");
      }
      values_[a].push_back(argv[++i]);
    }
  }
  std::string get(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end()) {
      throw UsageError("missing --" + name);
    }
    return it->second.back();
  }
  std::optional<std::string> opt(const std::string& name) const {
    auto it = values_.find(name);
    return it == values_.end() ? std::nullopt : std::optional(it->second.back());
  }
  bool flag(const std::string& name) const { return values_.count(name) != 0; }
  std::vector<std::string> all(const std::string& name) const {
    auto it = values_.find(name);
    return it == values_.end() ? std::vector<std::string>{} : it->second;
  }

 private:
  std::map<std::string, std::vector<std::string>> values_;
};

UnixTime timeArg(const Args& args, const std::string& name) {
  auto t = garde::core::parseIso8601(args.get(name));
  if (!t) {
    throw UsageError("--" + name + " is not an xs:dateTime");
  }
  return *t;
}

saml::Credential credential(const Args& args) {
  auto cred = garde::test::readCredential(args.get("key"), args.get("cert"));
  if (!cred && cred.error().code == garde::core::ErrorCode::kBadRequest) {
    throw UsageError("--key does not match --cert");  // readCredential's code for a mismatch
  }
  return need(std::move(cred), "--key or --cert");
}

/// The Response an IdP sends garde's SP (or a peer SP) after an AuthnRequest: a bearer assertion
/// valid five minutes, the attributes given as --attr NAME=VALUE (URI name format).
int response(const Args& args) {
  const auto cred = credential(args);
  const UnixTime now = timeArg(args, "now");
  const std::string issuer = args.get("issuer");
  const std::string acs = args.get("acs");
  const std::string request_id = args.get("request-id");
  auto& random = garde::core::systemRandom();

  std::vector<saml::Attribute> attributes;
  for (const auto& spec : args.all("attr")) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw UsageError("--attr wants NAME=VALUE");
    }
    const std::string name = spec.substr(0, eq);
    auto it = std::find_if(attributes.begin(), attributes.end(),
                           [&](const saml::Attribute& x) { return x.name == name; });
    if (it == attributes.end()) {
      attributes.push_back(
          saml::Attribute{name, std::string(saml::attribute_name_format::kUri), "", {}});
      it = attributes.end() - 1;
    }
    it->values.push_back(spec.substr(eq + 1));
  }

  const std::string audience = args.get("audience");
  const saml::Assertion assertion =
      garde::test::bearerAssertion({.id = random.newId(),
                                    .now = now,
                                    .issuer = issuer,
                                    .audience = audience,
                                    .acs_url = acs,
                                    .in_response_to = request_id,
                                    .name_id = args.opt("name-id").value_or(random.newId()),
                                    .name_id_format = std::string(saml::name_id_format::kTransient),
                                    .authn_age = 0,
                                    .session_index = random.newId(),
                                    .attributes = attributes});
  const saml::Response response =
      garde::test::successResponse({.id = random.newId(),
                                    .in_response_to = request_id,
                                    .now = now,
                                    .destination = args.opt("destination").value_or(acs),
                                    .issuer = issuer});
  std::optional<saml::Certificate> recipient;
  if (auto path = args.opt("encrypt-for")) {
    recipient =
        need(saml::Certificate::fromPem(need(garde::core::readFile(*path), "--encrypt-for")),
             "--encrypt-for");
  }
  auto doc =
      need(garde::test::buildSignedResponse(response, {assertion},
                                            {.sign_assertion = args.flag("sign-assertion"),
                                             .sign_response = args.flag("sign-response"),
                                             .encrypt_assertion = recipient.has_value(),
                                             .signer = &cred,
                                             .recipient = recipient ? &*recipient : nullptr}),
           "building, signing or encrypting the Response");
  std::cout << saml::serialize(doc.get());
  return 0;
}

/// garde's SP sending an AuthnRequest by HTTP-Redirect, signed over the query (Bindings 3.4.4.1).
int authnRequest(const Args& args) {
  const auto cred = credential(args);
  const saml::AuthnRequest req =
      garde::test::authnRequest({.id = args.get("id"),
                                 .now = timeArg(args, "now"),
                                 .destination = args.get("destination"),
                                 .issuer = args.get("issuer"),
                                 .acs_url = args.get("acs"),
                                 .name_id_policy = saml::NameIDPolicy{
                                     std::string(saml::name_id_format::kTransient), "", true}});
  auto doc = need(saml::buildAuthnRequest(req), "buildAuthnRequest");
  const std::string xml = saml::serialize(doc.get());
  const bool sign = !args.flag("unsigned");
  auto url = need(saml::encodeRedirect(xml, *req.destination, args.opt("relay-state").value_or(""),
                                       /*is_request=*/true, sign ? &cred : nullptr,
                                       saml::defaultAlgorithm(cred.key)),
                  "encodeRedirect");
  std::cout << url << "\n";
  return 0;
}

/// garde's own metadata: an IdP (SingleSignOnService, Redirect and POST) or an SP
/// (AssertionConsumerService, POST), signing key, plus --encryption-cert for an SP (default:
/// --cert).
int metadata(const Args& args) {
  const auto cred = credential(args);
  const std::string role = args.get("role");
  const std::string location = args.get("location");
  saml::EntityDescriptor entity;
  entity.entity_id = args.get("entity-id");
  entity.id = args.opt("id").value_or("");
  if (auto vu = args.opt("valid-until")) {
    entity.valid_until = timeArg(args, "valid-until");
  }
  std::vector<saml::KeyDescriptor> keys{saml::KeyDescriptor{saml::KeyUse::kSigning, cred.cert, {}}};
  const std::vector<std::string> name_id_formats{std::string(saml::name_id_format::kTransient),
                                                 std::string(saml::name_id_format::kPersistent)};
  if (role == "idp") {
    saml::IdpSsoDescriptor idp;
    idp.keys = keys;
    idp.name_id_formats = name_id_formats;
    idp.want_authn_requests_signed = true;
    idp.sso.push_back(
        saml::Endpoint{std::string(saml::binding::kHttpRedirect), location, "", {}, {}});
    idp.sso.push_back(saml::Endpoint{std::string(saml::binding::kHttpPost), location, "", {}, {}});
    entity.idp = idp;
  } else if (role == "sp") {
    saml::SpSsoDescriptor sp;
    auto enc_cert = cred.cert;
    if (auto path = args.opt("encryption-cert")) {
      enc_cert =
          need(saml::Certificate::fromPem(need(garde::core::readFile(*path), "--encryption-cert")),
               "--encryption-cert");
    }
    keys.push_back(saml::KeyDescriptor{saml::KeyUse::kEncryption, enc_cert, {}});
    sp.keys = keys;
    sp.name_id_formats = name_id_formats;
    sp.authn_requests_signed = true;
    sp.want_assertions_signed = true;
    sp.acs.push_back(saml::Endpoint{std::string(saml::binding::kHttpPost), location, "", 0, true});
    entity.sp = sp;
  } else {
    throw UsageError("--role is idp or sp");
  }
  auto doc = need(saml::generateMetadata(entity), "generateMetadata");
  if (!args.flag("unsigned")) {
    need(saml::signElement(xmlDocGetRootElement(doc.get()), cred), "signing the EntityDescriptor");
  }
  std::cout << saml::serialize(doc.get());
  return 0;
}

int usage() {
  std::fputs(
      "usage: garde_interop_vectors response|authn-request|metadata --key K --cert C ...\n"
      "       (see the comment at the top of tests/interop/vectors.cpp)\n",
      stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    return usage();
  }
  saml::LibraryGuard guard;
  const std::string command = argv[1];
  try {
    if (command == "response") {
      return response(Args(argc, argv, 2, {"sign-assertion", "sign-response"}));
    }
    if (command == "authn-request") {
      return authnRequest(Args(argc, argv, 2, {"unsigned"}));
    }
    if (command == "metadata") {
      return metadata(Args(argc, argv, 2, {"unsigned"}));
    }
    return usage();
  } catch (const UsageError& e) {
    std::fprintf(stderr, "garde_interop_vectors %s: %s\n", command.c_str(), e.what());
    return 2;
  } catch (const Refused& e) {
    std::fprintf(stderr, "garde_interop_vectors %s: %s\n", command.c_str(), e.what());
    return 1;
  }
}
