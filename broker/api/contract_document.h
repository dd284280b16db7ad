#pragma once
/// @file A publisher's contract as a JSON document (docs/contracts.md): parsed strictly, every
/// problem listed at once, then validated against the SP metadata, the ministry's catalogue and
/// ceilings, and what garde already knows (ADR 0024).
///
/// The parser (contract_document.cpp) is untrusted-input code with a fuzz target of its own
/// (fuzz/contract.cpp) and links alone with Boost.JSON; the validation (contract_validation.cpp)
/// reads the metadata through saml::parseMetadata.

#include <boost/json/fwd.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"
#include "policy/policy_source.h"
#include "saml/keys.h"
#include "store/contract_submissions.h"

namespace garde::broker::api {

/// One thing wrong or worth a reviewer's look in a contract.
struct ContractProblem {
  enum class Severity {
    kError,  ///< the submission is refused (or, at approval, the approval)
    kFlag,   ///< allowed, shown to the reviewer (a need above the ministry's ceiling)
  };
  Severity severity = Severity::kError;
  std::string field;    ///< where: "resources[0].needs.National_elv[1].justification"
  std::string code;     ///< stable, snake_case: "acs_not_https", "above_ceiling", ...
  std::string message;  ///< for a person, in English
};

struct ParsedContract {
  store::ContractDocument doc;  ///< what could be read (sp_entity_id is filled by validation)
  std::vector<ContractProblem> problems;
  bool hasErrors() const;
};

/// Reads a contract document. Never throws; every problem found is listed (structure, types,
/// lengths, identifiers, profiles, URLs on https, duplicates, a need without justification), not
/// only the first. `max_resources` bounds the work a document can ask for.
ParsedContract parseContractDocument(std::string_view json, std::size_t max_resources = 500);

/// The document as the store keeps it: what parseContractDocument reads back to the same
/// ContractDocument (sp_entity_id aside).
std::string contractDocumentJson(const store::ContractDocument& doc);

/// What validation needs to know beyond the document.
struct ContractContext {
  const policy::PolicySnapshot& policy;
  /// The publisher a resource id belongs to, or nullopt when garde does not know it.
  std::function<std::optional<std::string>(std::string_view resource_id)> resource_owner;
  /// The publisher an SP entityID is registered to, or nullopt.
  std::function<std::optional<std::string>(std::string_view entity_id)> entity_owner;
  /// When non-empty, the metadata must carry a valid enveloped signature by one of these
  /// (`[contracts] metadata_signers_file`).
  const std::vector<saml::Certificate>& metadata_signers;
  core::UnixTime now = 0;
};

/// Checks `contract` against its metadata and garde's policy, appending every problem: metadata
/// not parseable, unsigned or badly signed where signatures are required, not exactly one SP,
/// its entityID another publisher's, an ACS endpoint not on https, no signing or no encryption
/// key; an attribute not in the catalogue (errors); a need above the ceiling (flag); a resource of
/// another publisher (error). Fills contract.doc.sp_entity_id.
void validateContract(ParsedContract& contract, const ContractContext& context);

/// The problems as JSON objects {"severity","field","code","message"}, appended to `out`.
void appendProblems(boost::json::array& out, const std::vector<ContractProblem>& problems,
                    std::optional<ContractProblem::Severity> only = std::nullopt);

}  // namespace garde::broker::api
