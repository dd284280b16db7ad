// `garde saml inspect`: decode a SAML message as it travels, print it, and with --metadata verify
// and validate it for a stated expectation, printing each check. Uses the server's own saml/ code.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>

#include "broker/commands/commands.h"
#include "core/file.h"
#include "core/time.h"
#include "saml/binding/decode_any.h"
#include "saml/binding/redirect.h"
#include "saml/encryption.h"
#include "saml/messages.h"
#include "saml/metadata.h"
#include "saml/replay_cache.h"
#include "saml/signature.h"
#include "saml/validate.h"
#include "saml/xml.h"

namespace garde::broker::commands {
namespace {

struct InspectOptions {
  std::string message = "-";
  std::string metadata;
  std::string audience;
  std::string acs;
  std::string destination;
  std::string request_id;
  bool unsolicited = false;
  std::string now;
  std::vector<std::string> decrypt_keys;
  bool require_signed_assertion = false;
};

[[noreturn]] void failWith(int code, const std::string& message) {
  std::cerr << "garde: " << message << "\n";
  throw CLI::RuntimeError(code);
}

std::string readInput(const std::string& arg) {
  if (arg == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  // A path to a file holding the message, or the message itself.
  std::ifstream in(arg, std::ios::binary);
  if (in && arg.size() < 4096 && arg.find('<') == std::string::npos) {
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  return arg;
}

std::string fileOrFail(const std::string& path, const char* what) {
  auto text = core::readFile(path);
  if (!text) {
    failWith(kExitUsage, std::string(what) + ": " + text.error().detail);
  }
  return std::move(text).value();
}

std::string prettyXml(xmlDoc* doc) {
  xmlChar* mem = nullptr;
  int size = 0;
  xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
  const saml::XmlString owned(mem);
  return mem ? std::string(reinterpret_cast<char*>(mem), static_cast<std::size_t>(size)) : "";
}

void printCheck(bool ok, std::string_view name, std::string_view detail) {
  std::cout << (ok ? "  [ok]   " : "  [FAIL] ") << name;
  if (!detail.empty()) {
    std::cout << ": " << detail;
  }
  std::cout << "\n";
}

const saml::EntityDescriptor* findEntity(const std::vector<saml::EntityDescriptor>& entities,
                                         const std::string& entity_id) {
  for (const auto& e : entities) {
    if (e.entity_id == entity_id) {
      return &e;
    }
  }
  return nullptr;
}

std::string issuerOf(xmlNode* root) {
  xmlNode* issuer = saml::firstChildElement(root, saml::ns::kAssertion, "Issuer");
  if (issuer == nullptr) {
    // A Response may omit its Issuer; the assertion's then names the IdP.
    xmlNode* assertion = saml::firstChildElement(root, saml::ns::kAssertion, "Assertion");
    issuer = saml::firstChildElement(assertion, saml::ns::kAssertion, "Issuer");
  }
  return issuer ? saml::textContent(issuer) : std::string();
}

// Validates a Response for our SP; true when accepted.
bool checkResponse(xmlDoc* doc, const InspectOptions& opt, const saml::EntityDescriptor& idp,
                   core::UnixTime now) {
  saml::ResponseExpectation expect;
  expect.trusted_certificates =
      idp.idp ? idp.idp->signingCertificates() : idp.signingCertificates();
  expect.idp_entity_id = idp.entity_id;
  expect.sp_entity_id = opt.audience;
  expect.acs_url = opt.acs.empty() ? opt.destination : opt.acs;
  if (!opt.request_id.empty()) {
    expect.request_id = opt.request_id;
  }
  expect.allow_unsolicited = opt.unsolicited;
  expect.now = now;
  for (const auto& path : opt.decrypt_keys) {
    auto key = saml::PrivateKey::fromPem(fileOrFail(path, "--decrypt-key"));
    if (!key) {
      failWith(kExitUsage, "--decrypt-key " + path + ": " + key.error().describe());
    }
    expect.decryption_keys.push_back(std::move(key).value());
  }
  // SAML2 Profiles 4.1.4.2: a signed Response protects its assertion; demand more only when asked.
  expect.require_signed_assertion = opt.require_signed_assertion;
  saml::InMemoryReplayCache replay;
  expect.replay_cache = &replay;
  saml::ValidationTrace trace;
  auto result = saml::validateResponse(doc, expect, &trace);
  for (const auto& check : trace.checks) {
    printCheck(check.passed, check.name, check.detail);
  }
  if (!result) {
    if (trace.checks.empty() || trace.checks.back().passed) {
      printCheck(false, "response", result.error().describe());
    }
    std::cout << "REJECTED: " << result.error().describe() << "\n";
    return false;
  }
  if (!opt.destination.empty() && !opt.acs.empty()) {
    const bool ok = result->response.destination.value_or("") == opt.destination;
    printCheck(ok, "destination-option",
               ok ? opt.destination : "Destination differs from --destination");
    if (!ok) {
      std::cout << "REJECTED: destination_mismatch\n";
      return false;
    }
  }
  if (result->assertion_encrypted) {
    // Operators inspecting their own traffic see what the decrypted assertion carried.
    xmlNode* assertion =
        saml::firstChildElement(xmlDocGetRootElement(doc), saml::ns::kAssertion, "Assertion");
    std::cout << "decrypted assertion:\n" << saml::serializeNode(assertion) << "\n";
  }
  const auto& a = result->assertion;
  if (a.subject && a.subject->name_id) {
    std::cout << "NameID: " << a.subject->name_id->value << " (" << a.subject->name_id->format
              << ")\n";
  }
  for (const auto& attr : a.attributes) {
    std::cout << "attribute " << attr.name << ":";
    for (const auto& v : attr.values) {
      std::cout << " [" << v << "]";
    }
    std::cout << "\n";
  }
  std::cout << "ACCEPTED: response " << result->response.id << ", assertion "
            << result->assertion.id << (result->assertion_encrypted ? " (decrypted)" : "") << ", "
            << result->assertion.attributes.size() << " attribute(s)\n";
  return true;
}

// Checks a request or logout message: signature (XML or Redirect), issuer, destination.
bool checkOther(xmlDoc* doc, const saml::DecodedMessage& decoded, const InspectOptions& opt,
                const saml::EntityDescriptor& peer) {
  xmlNode* root = xmlDocGetRootElement(doc);
  const auto certs = peer.signingCertificates();
  bool signed_ok = false;
  if (saml::findSignature(root) != nullptr) {
    auto v = saml::verifyEnvelopedSignature(root, certs);
    printCheck(v.has_value(), "xml-signature", v ? "valid" : v.error().describe());
    if (!v) {
      std::cout << "REJECTED: " << v.error().describe() << "\n";
      return false;
    }
    signed_ok = true;
  }
  if (decoded.signature) {
    auto v = saml::verifyRedirectSignature(decoded.asInbound(), certs);
    printCheck(v.has_value(), "redirect-signature", v ? "valid" : v.error().describe());
    if (!v) {
      std::cout << "REJECTED: " << v.error().describe() << "\n";
      return false;
    }
    signed_ok = true;
  }
  const bool wants_signed =
      (peer.sp && peer.sp->authn_requests_signed && saml::localName(root) == "AuthnRequest");
  if (!signed_ok) {
    printCheck(!wants_signed, "signature",
               wants_signed ? "metadata requires signed AuthnRequests" : "unsigned");
    if (wants_signed) {
      std::cout << "REJECTED: signature_missing\n";
      return false;
    }
  }
  const std::string issuer = issuerOf(root);
  const bool issuer_ok = issuer == peer.entity_id;
  printCheck(issuer_ok, "issuer",
             issuer_ok ? issuer : "Issuer '" + issuer + "' is not " + peer.entity_id);
  if (!issuer_ok) {
    std::cout << "REJECTED: issuer_mismatch\n";
    return false;
  }
  if (!opt.destination.empty()) {
    const std::string dest = saml::attribute(root, "Destination").value_or("");
    const bool ok = dest == opt.destination;
    printCheck(ok, "destination",
               ok ? dest : "Destination '" + dest + "' is not " + opt.destination);
    if (!ok) {
      std::cout << "REJECTED: destination_mismatch\n";
      return false;
    }
  }
  if (saml::localName(root) == "AuthnRequest") {
    auto request = saml::parseAuthnRequest(root);
    printCheck(request.has_value(), "authn-request",
               request ? "well-formed" : request.error().describe());
    if (!request) {
      std::cout << "REJECTED: " << request.error().describe() << "\n";
      return false;
    }
  }
  std::cout << "ACCEPTED: " << saml::localName(root) << "\n";
  return true;
}

void runInspect(const InspectOptions& opt) {
  const std::string input = readInput(opt.message);
  auto decoded = saml::decodeAny(input);
  if (!decoded) {
    failWith(kExitFailure, "cannot decode the message: " + decoded.error().describe());
  }
  std::cout << "form: " << saml::inputFormName(decoded->form) << "\n";
  if (decoded->binding) {
    std::cout << "binding: " << saml::bindingUri(*decoded->binding) << "\n";
  }
  if (decoded->relay_state) {
    std::cout << "RelayState: " << *decoded->relay_state << "\n";
  }
  if (decoded->sig_alg) {
    std::cout << "SigAlg: " << *decoded->sig_alg << "\n";
  }
  auto doc = saml::parseUntrusted(decoded->xml);
  if (!doc) {
    std::cout << "REJECTED: " << doc.error().describe() << "\n";
    throw CLI::RuntimeError(kExitFailure);
  }
  std::cout << prettyXml(doc->get());
  if (opt.metadata.empty()) {
    return;  // decode and print only
  }
  core::UnixTime now = core::systemNow();
  if (!opt.now.empty()) {
    auto parsed = core::parseIso8601(opt.now);
    if (!parsed) {
      failWith(kExitUsage, "--now: expected an xs:dateTime such as 2026-11-23T18:00:00Z");
    }
    now = *parsed;
  }
  saml::MetadataOptions mopt;
  mopt.now = now;
  auto entities = saml::parseMetadata(fileOrFail(opt.metadata, "--metadata"), mopt);
  if (!entities) {
    failWith(kExitUsage, "--metadata: " + entities.error().describe());
  }
  xmlNode* root = xmlDocGetRootElement(doc->get());
  const std::string issuer = issuerOf(root);
  const saml::EntityDescriptor* peer = findEntity(*entities, issuer);
  std::cout << "checks:\n";
  printCheck(peer != nullptr, "peer",
             peer ? issuer : "Issuer '" + issuer + "' is not in the metadata");
  if (peer == nullptr) {
    std::cout << "REJECTED: unknown_peer\n";
    throw CLI::RuntimeError(kExitFailure);
  }
  bool accepted = false;
  if (saml::isElement(root, saml::ns::kProtocol, "Response")) {
    if (opt.audience.empty() || (opt.acs.empty() && opt.destination.empty())) {
      failWith(kExitUsage, "validating a Response needs --audience and --acs (or --destination)");
    }
    if (opt.request_id.empty() && !opt.unsolicited) {
      failWith(kExitUsage, "validating a Response needs --request-id ID or --unsolicited");
    }
    accepted = checkResponse(doc->get(), opt, *peer, now);
  } else {
    accepted = checkOther(doc->get(), *decoded, opt, *peer);
  }
  if (!accepted) {
    throw CLI::RuntimeError(kExitFailure);
  }
}

}  // namespace

void addSamlInspect(CLI::App& app) {
  auto opt = std::make_shared<InspectOptions>();
  CLI::App* sub =
      subcommandGroup(app, "saml", "SAML messages")
          .add_subcommand("inspect",
                          "Decode a SAML message (raw XML, base64, base64+DEFLATE, Redirect URL, "
                          "POST body), print it, and "
                          "with --metadata verify and validate it; exit 0 only when accepted");
  sub->add_option("message", opt->message, "the message, a file holding it, or - for stdin")
      ->required();
  sub->add_option("--metadata", opt->metadata, "metadata of the peer that sent the message");
  sub->add_option("--audience", opt->audience, "our entityID, expected in the AudienceRestriction");
  sub->add_option("--acs", opt->acs, "our ACS URL, expected as Recipient and Destination");
  sub->add_option("--destination", opt->destination, "expected Destination");
  auto* rid = sub->add_option("--request-id", opt->request_id, "ID of the request answered");
  auto* uns = sub->add_flag("--unsolicited", opt->unsolicited, "accept an unsolicited Response");
  rid->excludes(uns);
  sub->add_option("--now", opt->now, "the time to validate at (xs:dateTime), default now");
  sub->add_option("--decrypt-key", opt->decrypt_keys,
                  "PEM private key for an EncryptedAssertion (repeatable)");
  sub->add_flag("--require-signed-assertion", opt->require_signed_assertion,
                "refuse an unsigned Assertion even inside a signed Response");
  sub->callback([opt] { runInspect(*opt); });
}

}  // namespace garde::broker::commands
