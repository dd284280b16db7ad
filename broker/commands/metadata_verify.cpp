// `garde metadata verify FILE [--cert FILE]`: check a metadata document or aggregate with the
// server's own parser (signature with --cert, validUntil, structure) and summarise it.
#include <CLI/CLI.hpp>
#include <iostream>
#include <string>

#include "broker/commands/commands.h"
#include "core/file.h"
#include "core/time.h"
#include "saml/metadata.h"

namespace garde::broker::commands {
namespace {

struct VerifyOptions {
  std::string file;
  std::vector<std::string> certs;
  std::string now;
  bool require_valid_until = false;
};

void runVerify(const VerifyOptions& opt) {
  auto text = core::readFile(opt.file);
  if (!text) {
    std::cerr << "garde: " << text.error().detail << "\n";
    throw CLI::RuntimeError(kExitUsage);
  }
  saml::MetadataOptions mopt;
  mopt.now = core::systemNow();
  if (!opt.now.empty()) {
    auto parsed = core::parseIso8601(opt.now);
    if (!parsed) {
      std::cerr << "garde: --now: expected an xs:dateTime\n";
      throw CLI::RuntimeError(kExitUsage);
    }
    mopt.now = *parsed;
  }
  mopt.require_valid_until = opt.require_valid_until;
  for (const auto& path : opt.certs) {
    auto pem = core::readFile(path);
    auto cert = pem ? saml::Certificate::fromPem(*pem)
                    : core::Result<saml::Certificate>(core::fail(pem.error()));
    if (!cert) {
      std::cerr << "garde: --cert " << path << ": " << cert.error().describe() << "\n";
      throw CLI::RuntimeError(kExitUsage);
    }
    mopt.trusted.push_back(std::move(cert).value());
  }
  auto entities = saml::parseMetadata(*text, mopt);
  if (!entities) {
    std::cout << "INVALID: " << entities.error().describe() << "\n";
    throw CLI::RuntimeError(kExitFailure);
  }
  std::cout << "signature: " << (mopt.trusted.empty() ? "not checked (no --cert)" : "valid")
            << "\n";
  for (const auto& e : *entities) {
    std::cout << "entity: " << e.entity_id;
    if (e.valid_until) {
      std::cout << " (validUntil " << core::formatIso8601(*e.valid_until) << ")";
    }
    std::cout << "\n";
    if (e.idp) {
      std::cout << "  IdP: " << e.idp->sso.size() << " SSO endpoint(s), "
                << e.idp->signingCertificates().size()
                << " signing key(s), WantAuthnRequestsSigned="
                << (e.idp->want_authn_requests_signed ? "true" : "false") << "\n";
    }
    if (e.sp) {
      std::cout << "  SP: " << e.sp->acs.size() << " ACS endpoint(s), "
                << e.sp->signingCertificates().size() << " signing key(s), "
                << e.sp->encryptionCertificates().size()
                << " encryption key(s), AuthnRequestsSigned="
                << (e.sp->authn_requests_signed ? "true" : "false") << "\n";
    }
  }
  std::cout << "VALID: " << entities->size() << " entit" << (entities->size() == 1 ? "y" : "ies")
            << "\n";
}

}  // namespace

void addMetadataVerify(CLI::App& app) {
  auto opt = std::make_shared<VerifyOptions>();
  CLI::App* sub = subcommandGroup(app, "metadata", "SAML metadata")
                      .add_subcommand("verify",
                                      "Check a metadata document or aggregate (signature with "
                                      "--cert, validUntil); exit 0 only when valid");
  sub->add_option("file", opt->file, "metadata file")->required();
  sub->add_option("--cert", opt->certs,
                  "PEM certificate that must have signed the metadata (repeatable)");
  sub->add_option("--now", opt->now, "the time to check validUntil at (xs:dateTime), default now");
  sub->add_flag("--require-valid-until", opt->require_valid_until,
                "refuse metadata without validUntil");
  sub->callback([opt] { runVerify(*opt); });
}

}  // namespace garde::broker::commands
