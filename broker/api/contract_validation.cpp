// A parsed contract checked against its SP metadata, the ministry's policy and what garde knows
// (docs/contracts.md, "What is checked").
#include <string>

#include "broker/api/contract_document.h"
#include "saml/metadata.h"

namespace garde::broker::api {
namespace {

void problem(ParsedContract& c, ContractProblem::Severity severity, std::string field,
             std::string code, std::string message) {
  c.problems.push_back({severity, std::move(field), std::move(code), std::move(message)});
}

void error(ParsedContract& c, std::string field, std::string code, std::string message) {
  problem(c, ContractProblem::Severity::kError, std::move(field), std::move(code),
          std::move(message));
}

bool onHttps(std::string_view url) { return url.rfind("https://", 0) == 0 && url.size() > 8; }

void checkMetadata(ParsedContract& c, const ContractContext& ctx) {
  auto& doc = c.doc;
  if (doc.sp_metadata_xml.empty()) {
    return;  // reported by the parser
  }
  saml::MetadataOptions options;
  options.trusted = ctx.metadata_signers;
  options.now = ctx.now;
  auto entities = saml::parseMetadata(doc.sp_metadata_xml, options);
  if (!entities) {
    const auto code = entities.error().code;
    if (!ctx.metadata_signers.empty() && code == core::ErrorCode::kSignatureMissing) {
      error(c, "sp_metadata", "metadata_unsigned",
            "garde requires SP metadata signed by a certificate it trusts");
    } else if (!ctx.metadata_signers.empty() &&
               (code == core::ErrorCode::kSignatureInvalid ||
                code == core::ErrorCode::kSignatureProfile ||
                code == core::ErrorCode::kNoTrustedKey ||
                code == core::ErrorCode::kAlgorithmForbidden)) {
      error(c, "sp_metadata", "metadata_signature_invalid",
            "the metadata signature does not verify with a trusted certificate: " +
                entities.error().detail);
    } else if (code == core::ErrorCode::kExpired) {
      error(c, "sp_metadata", "metadata_expired", "the metadata's validUntil has passed");
    } else {
      error(c, "sp_metadata", "metadata_unparseable",
            "not SAML 2.0 metadata garde can read: " + entities.error().detail);
    }
    return;
  }
  const saml::EntityDescriptor* sp = nullptr;
  for (const auto& e : *entities) {
    if (e.sp) {
      if (sp != nullptr) {
        error(c, "sp_metadata", "metadata_not_one_sp",
              "the metadata describes more than one service provider");
        return;
      }
      sp = &e;
    }
  }
  if (sp == nullptr) {
    error(c, "sp_metadata", "metadata_not_one_sp",
          "the metadata describes no SAML 2.0 service provider (SPSSODescriptor)");
    return;
  }
  doc.sp_entity_id = sp->entity_id;
  if (auto owner = ctx.entity_owner(sp->entity_id); owner && *owner != doc.publisher_id) {
    error(c, "sp_metadata", "entity_id_taken",
          "the entityID " + sp->entity_id + " is registered to another publisher");
  }
  if (sp->sp->acs.empty()) {
    error(c, "sp_metadata", "no_acs", "the SP has no AssertionConsumerService");
  }
  for (std::size_t i = 0; i < sp->sp->acs.size(); ++i) {
    const auto& acs = sp->sp->acs[i];
    if (!onHttps(acs.location)) {
      error(c, "sp_metadata", "acs_not_https",
            "AssertionConsumerService " + std::to_string(i + 1) + " (" + acs.location +
                ") is not on https");
    }
  }
  if (sp->signingCertificates().empty()) {
    error(c, "sp_metadata", "no_signing_key",
          "no KeyDescriptor for signing: garde verifies the SP's AuthnRequests with it");
  }
  if (sp->encryptionCertificates().empty()) {
    error(c, "sp_metadata", "no_encryption_key",
          "no KeyDescriptor for encryption: garde encrypts the assertions it sends with it");
  }
}

void checkNeeds(ParsedContract& c, const ContractContext& ctx) {
  for (std::size_t i = 0; i < c.doc.resources.size(); ++i) {
    const auto& r = c.doc.resources[i];
    const std::string where = "resources[" + std::to_string(i) + "]";
    if (!r.resource.id.empty()) {
      if (auto owner = ctx.resource_owner(r.resource.id); owner && *owner != c.doc.publisher_id) {
        error(c, where + ".id", "resource_of_another_publisher",
              "resource " + r.resource.id + " belongs to another publisher");
      }
    }
    for (const auto& [profile, needs] : r.needs) {
      for (std::size_t j = 0; j < needs.size(); ++j) {
        const auto& need = needs[j];
        const std::string field = where + ".needs." + std::string(policy::profileCode(profile)) +
                                  "[" + std::to_string(j) + "].attribute";
        const policy::CatalogueEntry* entry = ctx.policy.findInCatalogue(need.code);
        if (entry == nullptr) {
          error(c, field, "attribute_not_in_catalogue",
                need.code + " is not in the ministry's attribute catalogue");
        } else if (!entry->existsFor(profile)) {
          error(c, field, "attribute_not_for_profile",
                need.code + " does not exist for " + std::string(policy::profileCode(profile)) +
                    " in the ministry's attribute catalogue");
        } else if (!ctx.policy.ceilings.allows(profile, r.resource.category, need.code)) {
          problem(c, ContractProblem::Severity::kFlag, field, "above_ceiling",
                  need.code + " is above the ministry's ceiling for " +
                      std::string(policy::profileCode(profile)) + " and category " +
                      r.resource.category + ": it will not be released unless the ceiling allows it");
        }
      }
    }
  }
}

}  // namespace

void validateContract(ParsedContract& contract, const ContractContext& context) {
  checkMetadata(contract, context);
  checkNeeds(contract, context);
}

}  // namespace garde::broker::api
