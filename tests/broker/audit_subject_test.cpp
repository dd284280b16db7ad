// Who an audit row is about (broker/flows/audit_subject.h): a keyed digest, stable, distinct per
// person and per ENT, unambiguous, and what a launch's audit row carries instead of the identifier.

#include "broker/flows/audit_subject.h"
#include "store/demo_data.h"
#include "support/flows_world.h"

namespace {
using garde::broker::flows::AuditSubjects;
}

TEST_CASE("The audit subject is a keyed digest: stable, distinct, unambiguous", "[broker][audit]") {
  const AuditSubjects subjects(std::string(32, 'k'));
  const std::string a = subjects.of("ENTTEST1", "elv-0001");
  CHECK(a.size() == 64);
  CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(subjects.of("ENTTEST1", "elv-0001") == a);
  CHECK(subjects.of("ENTTEST1", "elv-0002") != a);
  CHECK(subjects.of("ENTTEST2", "elv-0001") != a);
  CHECK(subjects.of("ab", "c") != subjects.of("a", "bc"));  // the parts cannot slide
  CHECK(AuditSubjects(std::string(32, 'x')).of("ENTTEST1", "elv-0001") != a);  // another secret
  CHECK_THROWS_AS(AuditSubjects(std::string(31, 'k')), std::invalid_argument);
}

TEST_CASE("A launch's audit row names the person by digest only", "[broker][audit][flows]") {
  Flows f;
  const Response form =
      f.entLeg(f.get(std::string(kResourceBPath) + kTileQuery), store::demo::kPupil);
  f.publisherReceives(form, kPubBEntity, kPubBAcs, std::nullopt);
  const auto rows = f.auditRows();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].subject == f.services().audit_subjects.of(store::demo::kEnt, store::demo::kPupil));
  CHECK(rows[0].subject != f.services().audit_subjects.of(store::demo::kEnt, store::demo::kTeacher));
  for (const auto& line : f.audit()) {
    CHECK(line.find(store::demo::kPupil) == std::string::npos);
    CHECK(line.find("\"subject\":\"" + rows[0].subject + "\"") != std::string::npos);
  }
}
