#include "broker/api/contracts.h"

#include <boost/json.hpp>

#include <charconv>

#include "broker/api/admin_action.h"
#include "broker/api/json_body.h"
#include "broker/api/json_reply.h"
#include "core/log.h"
#include "policy/preview.h"
#include "policy/release.h"
#include "store/policy_store.h"
#include "store/publishers.h"

namespace garde::broker::api {
namespace {

constexpr core::Logger kLog("api.contracts");

std::string actorOf(const Request& req) { return req.caller ? req.caller->id : std::string(); }

void audit(const ContractsDeps& deps, const Request& req, std::string_view action, bool done,
           std::string_view detail, std::string resource = {}) {
  auditAdminAction(deps.audit, deps.clock.now(), req, actorOf(req),
                   detail.empty() ? std::string(action)
                                  : std::string(action) + ":" + std::string(detail),
                   done, std::move(resource));
}

std::optional<std::int64_t> pathId(const Request& req) {
  const std::string* id = req.pathParam("id");
  std::int64_t n = 0;
  if (id == nullptr) {
    return std::nullopt;
  }
  const auto [end, ec] = std::from_chars(id->data(), id->data() + id->size(), n);
  if (ec != std::errc() || end != id->data() + id->size() || n <= 0) {
    return std::nullopt;
  }
  return n;
}

/// The validation context over `db` (in the caller's transaction).
struct DbContext {
  explicit DbContext(store::Db& db) : db_(db) {}

  core::Result<ParsedContract> validated(ParsedContract contract,
                                         const std::vector<saml::Certificate>& signers,
                                         core::UnixTime now) {
    store::SqlPolicySource source(db_);
    GARDE_ASSIGN_OR_RETURN(const auto policy, source.currentPolicy());
    bool failed = false;
    ContractContext ctx{
        policy,
        [&](std::string_view id) -> std::optional<std::string> {
          auto r = store::findResource(db_, id);
          if (!r) {
            failed = failed || r.error().code != core::ErrorCode::kUnknownResource;
            return std::nullopt;
          }
          return r->publisher_id;
        },
        [&](std::string_view entity_id) -> std::optional<std::string> {
          auto p = store::findPublisherBySpEntityId(db_, entity_id);
          if (!p) {
            failed = failed || p.error().code != core::ErrorCode::kUnknownPeer;
            return std::nullopt;
          }
          return p->id;
        },
        signers,
        now};
    validateContract(contract, ctx);
    if (failed) {
      return core::fail(core::ErrorCode::kStoreError, "the contract could not be checked");
    }
    return contract;
  }

 private:
  store::Db& db_;
};

std::string flagsJson(const std::vector<ContractProblem>& problems) {
  boost::json::array flags;
  appendProblems(flags, problems, ContractProblem::Severity::kFlag);
  return boost::json::serialize(flags);
}

boost::json::value storedFlags(const std::string& text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  return ec ? boost::json::value(boost::json::array()) : v;
}

boost::json::object summaryJson(const store::ContractSubmission& s) {
  boost::json::object o{{"id", s.id},
                        {"publisher", s.publisher_id},
                        {"revision", s.revision},
                        {"status", store::submissionStatusCode(s.status)},
                        {"submitted_by", s.submitted_by},
                        {"submitted_at", core::formatIso8601(s.submitted_at)},
                        {"flags", storedFlags(s.flags)}};
  if (!s.decided_by.empty()) {
    o["decided_by"] = s.decided_by;
    o["decided_at"] = core::formatIso8601(s.decided_at);
  }
  if (!s.decision_reason.empty()) o["decision_reason"] = s.decision_reason;
  return o;
}

policy::ResourceContract approvedContract(const store::ContractResource& r) {
  policy::ResourceContract c;
  c.resource_id = r.resource.id;
  c.publisher_id = r.resource.publisher_id;
  c.category = r.resource.category;
  c.launch_mode = r.resource.launch_mode;
  c.status = policy::ContractStatus::kApproved;
  c.declared = r.needs;
  return c;
}

/// A GET handler's lease and read transaction, or its refusal.
template <class F>
Response reading(const ContractsDeps& deps, const Request& req, F&& body) {
  auto lease = deps.db.acquire();
  if (!lease) {
    return jsonStoreProblem(kLog, req, lease.error());
  }
  auto tx = store::Transaction::begin(lease->db(), store::Transaction::Kind::kDeferred);
  if (!tx) {
    return jsonStoreProblem(kLog, req, tx.error());
  }
  return body(lease->db());
}

/// The stored submission and its document parsed back (it passed the parser when submitted).
struct Loaded {
  store::ContractSubmission submission;
  ParsedContract contract;
};
core::Result<Loaded> load(store::Db& db, std::int64_t id) {
  GARDE_ASSIGN_OR_RETURN(auto s, store::findSubmission(db, id));
  ParsedContract c = parseContractDocument(s.document);
  if (c.hasErrors()) {
    return core::fail(core::ErrorCode::kStoreError, "a stored contract document does not parse");
  }
  return Loaded{std::move(s), std::move(c)};
}

// --- the publisher's side ---------------------------------------------------------------------

Response refuseNonPublisher(const Request& req) {
  return jsonProblem(kLog, req, 403, "this API is for publishers' client certificates",
                     "caller is not a publisher");
}

Response handleSubmit(const Request& req, const ContractsDeps& deps) {
  if (!req.caller || req.caller->kind != Caller::Kind::kPublisher) {
    return refuseNonPublisher(req);
  }
  ParsedContract parsed = parseContractDocument(req.body);
  if (!parsed.doc.publisher_id.empty() && parsed.doc.publisher_id != req.caller->id) {
    audit(deps, req, "contract_submit", false, "other_publisher");
    return jsonProblem(kLog, req, 403, "the contract's publisher.id is not the caller's",
                       "contract for another publisher");
  }
  auto lease = deps.db.acquire();
  if (!lease) {
    return jsonStoreProblem(kLog, req, lease.error());
  }
  auto outcome = submitCheckedContract(lease->db(), std::move(parsed), deps.metadata_signers,
                                       req.caller->id, deps.clock.now());
  if (!outcome) {
    audit(deps, req, "contract_submit", false, core::errorCodeName(outcome.error().code));
    return jsonStoreProblem(kLog, req, outcome.error());
  }
  boost::json::array problems;
  appendProblems(problems, outcome->problems);
  if (!outcome->submission) {
    audit(deps, req, "contract_submit", false, "invalid");
    kLog.info("contract refused", {{"request_id", req.request_id},
                                   {"publisher", req.caller->id},
                                   {"problems", std::to_string(outcome->problems.size())}});
    return jsonReply(422, boost::json::object{{"error", "the contract has problems"},
                                              {"problems", std::move(problems)},
                                              {"request_id", req.request_id}});
  }
  const auto& s = *outcome->submission;
  audit(deps, req, "contract_submit", true, std::to_string(s.id));
  boost::json::object out = summaryJson(s);
  out["problems"] = std::move(problems);
  return jsonReply(201, out);
}

Response handleOwnList(const Request& req, const ContractsDeps& deps) {
  if (!req.caller || req.caller->kind != Caller::Kind::kPublisher) {
    return refuseNonPublisher(req);
  }
  return reading(deps, req, [&](store::Db& db) {
    auto all = store::listSubmissions(db, req.caller->id);
    if (!all) {
      return jsonStoreProblem(kLog, req, all.error());
    }
    boost::json::array out;
    for (const auto& s : *all) {
      out.push_back(summaryJson(s));
    }
    return jsonReply(200, boost::json::object{{"contracts", std::move(out)}});
  });
}

// --- the ministry's side ----------------------------------------------------------------------

Response handleList(const Request& req, const ContractsDeps& deps) {
  std::optional<store::SubmissionStatus> status;
  std::optional<std::string_view> publisher;
  for (const auto& [name, value] : req.query) {
    if (name == "status" && (status = store::parseSubmissionStatus(value))) {
      continue;
    }
    if (name == "publisher") {
      publisher = value;
      continue;
    }
    return jsonProblem(kLog, req, 400, "parameters: status (submitted, approved, ...), publisher",
                       "bad contract list parameter");
  }
  return reading(deps, req, [&](store::Db& db) {
    auto all = store::listSubmissions(db, publisher, status);
    if (!all) {
      return jsonStoreProblem(kLog, req, all.error());
    }
    boost::json::array out;
    for (const auto& s : *all) {
      out.push_back(summaryJson(s));
    }
    return jsonReply(200, boost::json::object{{"contracts", std::move(out)}});
  });
}

Response handleShow(const Request& req, const ContractsDeps& deps) {
  const auto id = pathId(req);
  if (!id) {
    return jsonProblem(kLog, req, 404, "no such contract", "bad id");
  }
  return reading(deps, req, [&](store::Db& db) {
    auto loaded = load(db, *id);
    store::SqlPolicySource source(db);
    auto policy = source.currentPolicy();
    if (!loaded || !policy) {
      return jsonStoreProblem(kLog, req, !loaded ? loaded.error() : policy.error());
    }
    auto checked = DbContext(db).validated(loaded->contract, deps.metadata_signers,
                                           deps.clock.now());
    if (!checked) {
      return jsonStoreProblem(kLog, req, checked.error());
    }
    const auto& doc = checked->doc;
    boost::json::array resources;
    for (const auto& r : doc.resources) {
      boost::json::array needs;
      for (const auto& [profile, declared] : r.needs) {
        for (const auto& d : declared) {
          needs.push_back(
              {{"profile", policy::profileCode(profile)},
               {"attribute", d.code},
               {"justification", d.justification},
               {"in_catalogue", policy->findInCatalogue(d.code) != nullptr},
               {"within_ceiling", policy->ceilings.allows(profile, r.resource.category, d.code)}});
        }
      }
      boost::json::object o{{"id", r.resource.id},
                            {"title", r.resource.name},
                            {"category", r.resource.category},
                            {"url", r.resource.url},
                            {"launch_mode", policy::launchModeCode(r.resource.launch_mode)},
                            {"needs", std::move(needs)}};
      if (r.resource.login_url) o["login_url"] = *r.resource.login_url;
      if (r.resource.logo_url) o["logo"] = *r.resource.logo_url;
      resources.push_back(std::move(o));
    }
    boost::json::array problems;
    appendProblems(problems, checked->problems);
    boost::json::object out = summaryJson(loaded->submission);
    out["publisher_name"] = doc.publisher_name;
    out["sp_entity_id"] = doc.sp_entity_id;
    out["sp_metadata"] = doc.sp_metadata_xml;
    if (!doc.comment.empty()) out["comment"] = doc.comment;
    out["policy_version"] = policy->version;
    out["problems"] = std::move(problems);
    out["resources"] = std::move(resources);
    return jsonReply(200, out);
  });
}

Response handlePreview(const Request& req, const ContractsDeps& deps) {
  const auto id = pathId(req);
  if (!id) {
    return jsonProblem(kLog, req, 404, "no such contract", "bad id");
  }
  return reading(deps, req, [&](store::Db& db) {
    auto loaded = load(db, *id);
    store::SqlPolicySource source(db);
    auto policy = source.currentPolicy();
    if (!loaded || !policy) {
      return jsonStoreProblem(kLog, req, !loaded ? loaded.error() : policy.error());
    }
    const auto& publisher = loaded->submission.publisher_id;
    // Before: what is in force for this publisher's resources (whatever their status).
    auto contracted = store::listContractedResources(db, publisher);
    if (!contracted) {
      return jsonStoreProblem(kLog, req, contracted.error());
    }
    std::vector<policy::ResourceContract> before;
    for (const auto& r : *contracted) {
      auto c = store::findContract(db, r.id);
      if (!c) {
        return jsonStoreProblem(kLog, req, c.error());
      }
      before.push_back(std::move(*c));
    }
    std::vector<policy::ResourceContract> after;
    for (const auto& r : loaded->contract.doc.resources) {
      after.push_back(approvedContract(r));
    }
    boost::json::array impacts;
    for (const auto& impact : policy::previewContractChange(*policy, before, after)) {
      auto people = store::countPeopleReached(db, impact.resource_id, impact.profile);
      auto establishments = store::establishmentsReached(db, impact.resource_id);
      if (!people || !establishments) {
        return jsonStoreProblem(kLog, req, !people ? people.error() : establishments.error());
      }
      impacts.push_back(
          {{"resource", impact.resource_id},
           {"profile", policy::profileCode(impact.profile)},
           {"people", *people},
           {"establishments", boost::json::array(establishments->uais.begin(),
                                                 establishments->uais.end())},
           {"establishments_total", establishments->total},
           {"start_flowing", boost::json::array(impact.gained.begin(), impact.gained.end())},
           {"stop_flowing", boost::json::array(impact.lost.begin(), impact.lost.end())}});
    }
    return jsonReply(200, boost::json::object{{"contract", *id},
                                              {"publisher", publisher},
                                              {"status", store::submissionStatusCode(
                                                             loaded->submission.status)},
                                              {"policy_version", policy->version},
                                              {"impacts", std::move(impacts)}});
  });
}

/// The {"reason"} body of a decision: required for all but an approval.
std::optional<std::string> decisionReason(const Request& req, bool required) {
  if (req.body.empty() && !required) {
    return std::string();
  }
  auto o = parseJsonObject(req.body, 2);
  if (!o || o->size() > 1) {
    return std::nullopt;
  }
  const auto* r = o->if_contains("reason");
  if (r == nullptr) {
    return required ? std::nullopt : std::optional<std::string>(std::string());
  }
  if (!r->is_string() || r->as_string().size() > 1000 || (required && r->as_string().empty())) {
    return std::nullopt;
  }
  return std::string(r->as_string());
}

enum class Decision { kApprove, kReject, kSuspend, kReinstate };

Response handleDecision(const Request& req, const ContractsDeps& deps, Decision decision) {
  static constexpr const char* kActions[] = {"contract_approve", "contract_reject",
                                             "contract_suspend", "contract_reinstate"};
  const char* action = kActions[static_cast<int>(decision)];
  const auto id = pathId(req);
  if (!id) {
    return jsonProblem(kLog, req, 404, "no such contract", "bad id");
  }
  const auto reason = decisionReason(req, decision != Decision::kApprove);
  if (!reason) {
    audit(deps, req, action, false, "bad_request");
    return jsonProblem(kLog, req, 400, "{\"reason\": why, 1 to 1000 characters}", "no reason");
  }
  auto lease = deps.db.acquire();
  if (!lease) {
    return jsonStoreProblem(kLog, req, lease.error());
  }
  store::Db& db = lease->db();
  auto tx = store::Transaction::begin(db);
  if (!tx) {
    return jsonStoreProblem(kLog, req, tx.error());
  }
  auto loaded = load(db, *id);
  if (!loaded) {
    audit(deps, req, action, false, core::errorCodeName(loaded.error().code));
    return jsonStoreProblem(kLog, req, loaded.error());
  }
  const std::string actor = actorOf(req);
  const core::UnixTime now = deps.clock.now();
  const auto& doc = loaded->contract.doc;
  core::Status done;
  switch (decision) {
    case Decision::kApprove: {
      // Checked again: the catalogue, the entityIDs or the resources may have changed since.
      auto checked = DbContext(db).validated(loaded->contract, deps.metadata_signers, now);
      if (!checked) {
        return jsonStoreProblem(kLog, req, checked.error());
      }
      if (checked->hasErrors()) {
        audit(deps, req, action, false, "invalid", loaded->submission.publisher_id);
        boost::json::array problems;
        appendProblems(problems, checked->problems, ContractProblem::Severity::kError);
        return jsonReply(409, boost::json::object{{"error", "the contract has problems now"},
                                                  {"problems", std::move(problems)},
                                                  {"request_id", req.request_id}});
      }
      done = store::approveSubmission(db, *id, checked->doc, actor, *reason, now);
      break;
    }
    case Decision::kReject:
      done = store::rejectSubmission(db, *id, actor, *reason, now);
      break;
    case Decision::kSuspend:
      done = store::suspendSubmission(db, *id, actor, *reason, now);
      break;
    case Decision::kReinstate:
      done = store::reinstateSubmission(db, *id, doc, actor, *reason, now);
      break;
  }
  if (done) {
    done = tx->commit();
  }
  if (!done) {
    audit(deps, req, action, false, core::errorCodeName(done.error().code),
          loaded->submission.publisher_id);
    return jsonStoreProblem(kLog, req, done.error());
  }
  audit(deps, req, action, true, std::to_string(*id), loaded->submission.publisher_id);
  auto after = store::findSubmission(db, *id);
  if (!after) {
    return jsonStoreProblem(kLog, req, after.error());
  }
  return jsonReply(200, summaryJson(*after));
}

}  // namespace

core::Result<SubmitOutcome> submitCheckedContract(store::Db& db, ParsedContract contract,
                                                  const std::vector<saml::Certificate>& signers,
                                                  std::string_view actor, core::UnixTime now) {
  SubmitOutcome out;
  if (contract.hasErrors()) {  // the document itself: nothing to check it against
    out.problems = std::move(contract.problems);
    return out;
  }
  GARDE_ASSIGN_OR_RETURN(auto tx, store::Transaction::begin(db));
  GARDE_ASSIGN_OR_RETURN(auto checked, DbContext(db).validated(std::move(contract), signers, now));
  const bool refused = checked.hasErrors();
  out.problems = std::move(checked.problems);
  if (refused) {
    return out;
  }
  GARDE_ASSIGN_OR_RETURN(auto stored,
                         store::submitContract(db, checked.doc, contractDocumentJson(checked.doc),
                                               flagsJson(out.problems), actor, now));
  GARDE_TRY(tx.commit());
  out.submission = std::move(stored);
  return out;
}

void mountContracts(Router& router, const ContractsDeps& deps) {
  const auto route = [&](std::string_view method, std::string_view pattern, CallerAuth auth,
                         auto handler) {
    if (auth == CallerAuth::kClientCertificate) {
      router.add(method, pattern, auth, [deps, handler](const Request& r) { return handler(r, deps); });
    } else {
      router.add(method, pattern, auth, deps.sessions.refreshing([deps, handler](const Request& r) {
        return handler(r, deps);
      }));
    }
  };
  using H = Response (*)(const Request&, const ContractsDeps&);
  route("POST", "/api/v1/publisher/contracts", CallerAuth::kClientCertificate, H(handleSubmit));
  route("GET", "/api/v1/publisher/contracts", CallerAuth::kClientCertificate, H(handleOwnList));
  route("GET", "/api/v1/admin/contracts", CallerAuth::kMinistryReader, H(handleList));
  route("GET", "/api/v1/admin/contracts/{id}", CallerAuth::kMinistryReader, H(handleShow));
  route("GET", "/api/v1/admin/contracts/{id}/preview", CallerAuth::kMinistryReader,
        H(handlePreview));
  route("POST", "/api/v1/admin/contracts/{id}/approve", CallerAuth::kMinistryAdmin,
        H([](const Request& r, const ContractsDeps& d) {
          return handleDecision(r, d, Decision::kApprove);
        }));
  route("POST", "/api/v1/admin/contracts/{id}/reject", CallerAuth::kMinistryAdmin,
        H([](const Request& r, const ContractsDeps& d) {
          return handleDecision(r, d, Decision::kReject);
        }));
  route("POST", "/api/v1/admin/contracts/{id}/suspend", CallerAuth::kMinistryAdmin,
        H([](const Request& r, const ContractsDeps& d) {
          return handleDecision(r, d, Decision::kSuspend);
        }));
  route("POST", "/api/v1/admin/contracts/{id}/reinstate", CallerAuth::kMinistryAdmin,
        H([](const Request& r, const ContractsDeps& d) {
          return handleDecision(r, d, Decision::kReinstate);
        }));
}

}  // namespace garde::broker::api
