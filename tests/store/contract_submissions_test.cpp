// Migration 13 and store/contract_submissions.h: numbered revisions per publisher, a revision
// waiting for review changing nothing in force, approval applying the document to the resources
// and contracts a launch reads (a left-out resource suspended), suspension and reinstatement, and
// the refusals that keep the tables as they were.
#include "store/contract_submissions.h"

#include <catch2/catch.hpp>

#include "store/demo_data.h"
#include "store/publishers.h"
#include "temp_db.h"

using namespace garde;
using core::ErrorCode;
using policy::ContractStatus;
using policy::Profile;
using store::SubmissionStatus;

namespace {

constexpr core::UnixTime kT = 1'800'000'000;

class Submissions : public test::MigratedDb {
 protected:
  Submissions() { REQUIRE(store::loadDemoPartners(db_).has_value()); }

  /// Publisher A's contract with resource A alone, pupils needing `codes`.
  static store::ContractDocument documentA(const std::vector<std::string>& codes) {
    store::ContractDocument d;
    d.publisher_id = store::demo::kPublisherA;
    d.publisher_name = "Éditions A, renamed";
    d.sp_entity_id = "https://edition-a.example/sp";
    d.sp_metadata_xml = "<md:EntityDescriptor/>";
    store::ContractResource r;
    r.resource = {store::demo::kResourceA, store::demo::kPublisherA, "Manuel A",
                  "https://edition-a.example/manuel", std::nullopt, "manuel",
                  policy::LaunchMode::kDirect};
    for (const auto& c : codes) r.needs[Profile::kElv].push_back({c, "why " + c});
    d.resources.push_back(std::move(r));
    return d;
  }

  store::ContractSubmission submit(const store::ContractDocument& d) {
    auto s = store::submitContract(db_, d, "{}", "[]", store::demo::kPublisherA, kT);
    REQUIRE(s.has_value());
    return *s;
  }

  ContractStatus statusOf(const char* resource) {
    auto c = store::findContract(db_, resource);
    REQUIRE(c.has_value());
    return c->status;
  }

  std::vector<std::string> pupilCodes(const char* resource) {
    auto c = store::findContract(db_, resource);
    REQUIRE(c.has_value());
    std::vector<std::string> out;
    if (const auto it = c->declared.find(Profile::kElv); it != c->declared.end()) {
      for (const auto& d : it->second) out.push_back(d.code);
    }
    return out;
  }
};

}  // namespace

TEST_CASE_METHOD(Submissions, "Approval applies the revision; a left-out resource is suspended",
                 "[store][contracts]") {
  const auto before = pupilCodes(store::demo::kResourceA);
  const auto first = submit(documentA({"IDO"}));
  CHECK(first.revision == 1);
  CHECK(first.status == SubmissionStatus::kSubmitted);
  // Waiting for review: the contracts in force are untouched.
  CHECK(pupilCodes(store::demo::kResourceA) == before);
  CHECK(statusOf(store::demo::kResourceA2) == ContractStatus::kApproved);

  REQUIRE(store::approveSubmission(db_, first.id, documentA({"IDO"}), "alice", "ok", kT + 1)
              .has_value());
  CHECK(pupilCodes(store::demo::kResourceA) == std::vector<std::string>{"IDO"});
  CHECK(statusOf(store::demo::kResourceA) == ContractStatus::kApproved);
  CHECK(statusOf(store::demo::kResourceA2) == ContractStatus::kSuspended);
  auto publisher = store::findPublisher(db_, store::demo::kPublisherA);
  REQUIRE(publisher.has_value());
  CHECK(publisher->sp_entity_id == std::optional<std::string>("https://edition-a.example/sp"));
  CHECK(publisher->name == "Éditions A, renamed");
  auto in_force = store::submissionInForce(db_, store::demo::kPublisherA);
  REQUIRE(in_force.has_value());
  REQUIRE(in_force->has_value());
  CHECK((*in_force)->id == first.id);

  // A second revision: numbered 2; approved, it supersedes the first.
  const auto second = submit(documentA({"IDO", "PRO"}));
  CHECK(second.revision == 2);
  CHECK(pupilCodes(store::demo::kResourceA) == std::vector<std::string>{"IDO"});
  REQUIRE(store::approveSubmission(db_, second.id, documentA({"IDO", "PRO"}), "alice", "ok", kT + 2)
              .has_value());
  CHECK(pupilCodes(store::demo::kResourceA) == std::vector<std::string>{"IDO", "PRO"});
  CHECK(store::findSubmission(db_, first.id)->status == SubmissionStatus::kSuperseded);
  // Decided once: neither can be decided again.
  CHECK(store::approveSubmission(db_, second.id, documentA({"IDO"}), "alice", "again", kT + 3)
            .error()
            .code == ErrorCode::kConflict);
  CHECK(store::rejectSubmission(db_, first.id, "alice", "late", kT + 3).error().code ==
        ErrorCode::kConflict);
}

TEST_CASE_METHOD(Submissions, "A new submission supersedes one still waiting; rejection keeps all",
                 "[store][contracts]") {
  const auto first = submit(documentA({"IDO"}));
  const auto second = submit(documentA({"IDO", "UAI"}));
  CHECK(store::findSubmission(db_, first.id)->status == SubmissionStatus::kSuperseded);
  const auto before = pupilCodes(store::demo::kResourceA);
  REQUIRE(store::rejectSubmission(db_, second.id, "alice", "UAI not needed", kT + 1).has_value());
  const auto rejected = store::findSubmission(db_, second.id);
  CHECK(rejected->status == SubmissionStatus::kRejected);
  CHECK(rejected->decision_reason == "UAI not needed");
  CHECK(rejected->decided_by == "alice");
  CHECK(pupilCodes(store::demo::kResourceA) == before);
  const auto listed = store::listSubmissions(db_, std::string_view(store::demo::kPublisherA));
  REQUIRE(listed.has_value());
  REQUIRE(listed->size() == 2);
  CHECK(listed->front().id == second.id);  // newest first
  CHECK(store::listSubmissions(db_, std::nullopt, SubmissionStatus::kRejected)->size() == 1);
}

TEST_CASE_METHOD(Submissions, "Suspension stops every resource at once; reinstatement restores",
                 "[store][contracts]") {
  const auto s = submit(documentA({"IDO"}));
  CHECK(store::suspendSubmission(db_, s.id, "alice", "not in force", kT).error().code ==
        ErrorCode::kConflict);
  REQUIRE(store::approveSubmission(db_, s.id, documentA({"IDO"}), "alice", "ok", kT).has_value());
  REQUIRE(store::suspendSubmission(db_, s.id, "alice", "complaint", kT + 1).has_value());
  CHECK(statusOf(store::demo::kResourceA) == ContractStatus::kSuspended);
  // No revision is approved over a suspension.
  const auto next = submit(documentA({"IDO", "PRO"}));
  CHECK(store::approveSubmission(db_, next.id, documentA({"IDO", "PRO"}), "alice", "ok", kT + 2)
            .error()
            .code == ErrorCode::kConflict);
  CHECK(statusOf(store::demo::kResourceA) == ContractStatus::kSuspended);
  REQUIRE(store::reinstateSubmission(db_, s.id, documentA({"IDO"}), "alice", "closed", kT + 3)
              .has_value());
  CHECK(statusOf(store::demo::kResourceA) == ContractStatus::kApproved);
  CHECK(pupilCodes(store::demo::kResourceA) == std::vector<std::string>{"IDO"});
  CHECK(store::reinstateSubmission(db_, s.id, documentA({"IDO"}), "alice", "twice", kT + 4)
            .error()
            .code == ErrorCode::kConflict);
}

TEST_CASE_METHOD(Submissions, "Refused submissions leave the tables as they were",
                 "[store][contracts]") {
  store::ContractDocument unknown = documentA({"IDO"});
  unknown.publisher_id = "111111111_0000000000000009";
  for (auto& r : unknown.resources) r.resource.publisher_id = unknown.publisher_id;
  CHECK(store::submitContract(db_, unknown, "{}", "[]", "x", kT).error().code ==
        ErrorCode::kUnknownPeer);
  // Publisher A claiming publisher B's resource.
  store::ContractDocument grab = documentA({"IDO"});
  grab.resources[0].resource.id = store::demo::kResourceB;
  CHECK(store::submitContract(db_, grab, "{}", "[]", "x", kT).error().code ==
        ErrorCode::kConflict);
  CHECK(store::listSubmissions(db_)->empty());
  auto b = store::findResource(db_, store::demo::kResourceB);
  REQUIRE(b.has_value());
  CHECK(b->publisher_id == store::demo::kPublisherB);
  CHECK(store::findSubmission(db_, 42).error().code == ErrorCode::kNotFound);
}
