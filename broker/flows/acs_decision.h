#pragma once
/// @file What POST /saml/sp/acs decides, as data: pure functions over what the handler parsed,
/// verified and read (no Request, no Response, no I/O), each tested on its own
/// (tests/broker/acs_decision_test.cpp). handleAcs (acs.cpp) parses, calls them, then renders.
///
///   parse (RelayState, binding cookie) -> verify the ENT's Response (replay cache)
///     -> assessEntAnswer -> read the store -> decideRelease -> write the audit -> render

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "broker/flows/state.h"
#include "connectors/ent/ent_side.h"
#include "connectors/publisher/publisher_side.h"
#include "core/result.h"
#include "core/time.h"
#include "policy/date.h"
#include "policy/pseudonym.h"
#include "policy/release.h"
#include "store/audit.h"
#include "store/launch.h"

namespace garde::broker::flows {

/// What the ENT's answer (consumeEntResponse's result) means for the transaction.
struct EntAnswerAssessment {
  enum class Next {
    kDecide,     ///< a valid authentication: go on to the store and the release rule
    kNoPassive,  ///< the publisher's passive request could not be met: its NoPassive, no page
    kRefuse,     ///< the refusal page (with the way back to the publisher when it asked)
  };
  Next next = Next::kDecide;
  std::optional<core::Error> error;  ///< kRefuse: what was wrong
  std::string_view reason;           ///< kRefuse: the metrics label, when not the error code's
  std::string_view why;              ///< kNoPassive: for the log
};

/// `identity`: the verified ENT Response, or why it was refused. `skew_seconds`: broker.clock_skew.
/// `publisher_known`: the transaction's publisher is (still) in the registry. Pure.
EntAnswerAssessment assessEntAnswer(const SsoTransaction& tx,
                                    const core::Result<connectors::ent::EntIdentity>& identity,
                                    std::int64_t skew_seconds, bool publisher_known);

/// What the decision read from the store (readDecisionInputs in acs.cpp), or why it could not.
struct DecisionReads {
  std::string uai;  ///< the session's establishment (chosen when the transaction had none)
  std::optional<store::LaunchInputs> inputs;
  std::shared_ptr<const policy::PolicySnapshot> policy;
  std::optional<core::Error> error;
  std::string_view reason;     ///< refusal reason when not derived from the error code
  bool audit_refusal = false;  ///< a refusal before the decision, to be audited
};

/// What to do with an authenticated person: the audit record to write first, then the refusal or
/// the assertion's content.
struct ReleaseDecision {
  /// Written before anything is answered. `audit_required`: a release or a policy refusal, which
  /// is refused (`audit_failed`) when its record cannot be written; otherwise (a refusal before
  /// the decision) a failed write is only logged.
  std::optional<store::AuditRecord> audit;
  bool audit_required = false;
  std::optional<core::Error> refusal;  ///< set: refused, nothing released
  std::string_view reason;             ///< the refusal's metrics label, when not the error code's
  /// A release: the content of the assertion. An empty `content.pseudonym` means the contract does
  /// not declare IDO: the caller gives the NameID a one-time value.
  connectors::publisher::AssertionContent content;
  std::string policy_version;
};

/// Decides the release for `identity` in transaction `tx` from what was read: the release rule
/// (policy::decide with `pseudonyms` and `today`), its audit record (`correlation_id`, `now`), and
/// the assertion's content. Pure.
ReleaseDecision decideRelease(const SsoTransaction& tx,
                              const connectors::ent::EntIdentity& identity,
                              const DecisionReads& reads, const policy::Pseudonymizer& pseudonyms,
                              policy::Date today, const std::string& correlation_id,
                              core::UnixTime now);

}  // namespace garde::broker::flows
