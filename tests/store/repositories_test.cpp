#include <catch2/catch.hpp>

#include "store/audit.h"
#include "store/directory.h"
#include "store/policy_store.h"
#include "store/publishers.h"
#include "store/subscriptions.h"
#include "temp_db.h"

using namespace garde;
using core::ErrorCode;
using policy::Profile;

namespace {

constexpr const char* kPub = "123456789_0000000000000001";
constexpr const char* kArk = "ark:/49591/r1";

class Directory : public test::MigratedDb {
 protected:
  Directory() {
    REQUIRE(store::upsertEnt(db_, {"ENTTEST1", "ENT", "https://idp.test", "<md/>"}, 0).has_value());
    REQUIRE(
        store::upsertEnt(db_, {"ENTTEST2", "ENT 2", std::nullopt, std::nullopt}, 0).has_value());
    REQUIRE(store::upsertEstablishment(db_, {"0561534N", "ENTTEST1", "Collège", "RENNES", "340"})
                .has_value());
    REQUIRE(store::upsertEstablishment(
                db_, {"0350000A", "ENTTEST1", "Lycée", std::nullopt, std::nullopt})
                .has_value());
    REQUIRE(store::upsertEstablishment(
                db_, {"0290000Z", "ENTTEST2", "Autre", std::nullopt, std::nullopt})
                .has_value());
    pupil_ = *store::upsertPerson(db_, {"ENTTEST1", "elv-1", "Martin", "Léa", ""});
    teacher_ = *store::upsertPerson(db_, {"ENTTEST1", "ens-1", "Durand", "Paul", "M."});
    REQUIRE(store::addPersonProfile(db_, pupil_, "0561534N", Profile::kElv).has_value());
    REQUIRE(store::addPersonProfile(db_, teacher_, "0561534N", Profile::kEns).has_value());
    REQUIRE(store::addPersonProfile(db_, teacher_, "0561534N", Profile::kDoc).has_value());
    REQUIRE(store::addPersonProfile(db_, teacher_, "0350000A", Profile::kEns).has_value());
    const auto c3a = *store::upsertGroup(db_, "0561534N", "3A", store::GroupKind::kClass, "3e A");
    const auto latin =
        *store::upsertGroup(db_, "0561534N", "LATIN", store::GroupKind::kGroup, "Latin");
    const auto other =
        *store::upsertGroup(db_, "0350000A", "2B", store::GroupKind::kClass, "2de B");
    REQUIRE(store::addGroupMember(db_, c3a, pupil_).has_value());
    REQUIRE(store::addGroupMember(db_, latin, pupil_).has_value());
    REQUIRE(store::addGroupMember(db_, c3a, teacher_).has_value());
    REQUIRE(store::addGroupMember(db_, other, teacher_).has_value());
    REQUIRE(store::addPersonEmail(db_, teacher_, "paul@x.test").has_value());
    REQUIRE(store::addPersonMef(db_, pupil_, "0561534N", "10310019110").has_value());
    REQUIRE(store::addPersonSubject(db_, pupil_, "0561534N", "030201", false).has_value());
    REQUIRE(store::addPersonSubject(db_, teacher_, "0561534N", "L0202", true).has_value());
  }
  std::int64_t pupil_ = 0;
  std::int64_t teacher_ = 0;
};

class Catalogue : public Directory {
 protected:
  Catalogue() {
    REQUIRE(
        store::upsertPublisher(db_, {kPub, "Pub", "https://sp.test", "<sp/>", "ab12"}).has_value());
    REQUIRE(
        store::upsertResource(db_, {kArk, kPub, "R1", "https://r1.test/", "https://r1.test/login",
                                    "manuel", policy::LaunchMode::kBounce})
            .has_value());
    policy::ResourceContract c;
    c.resource_id = kArk;
    c.publisher_id = kPub;
    c.status = policy::ContractStatus::kSubmitted;
    c.declared[Profile::kElv] = {{"IDO", "account"}, {"DIV", "classes"}};
    REQUIRE(store::saveContract(db_, c, "pub", "first submission", 100).has_value());
  }

  store::SubscriptionRecord subscription(std::string id = "ABO1") {
    store::SubscriptionRecord s;
    s.id = std::move(id);
    s.publisher_id = kPub;
    s.resource_id = kArk;
    s.resource_label = "R1";
    s.valid_from = *policy::Date::parse("2025-09-01");
    s.valid_until = *policy::Date::parse("2026-07-14");
    s.uais = {"0561534N"};
    s.audiences = {policy::Audience::kEleve};
    s.audience_licences[policy::Audience::kEleve] = 30;
    return s;
  }
};

}  // namespace

TEST_CASE_METHOD(Directory, "ENTs are found by id and by IdP entityID", "[store][directory]") {
  const auto ent = store::findEnt(db_, "ENTTEST1");
  REQUIRE(ent.has_value());
  CHECK(ent->name == "ENT");
  CHECK(ent->idp_metadata_xml == "<md/>");
  CHECK(store::findEntByIdpEntityId(db_, "https://idp.test")->id == "ENTTEST1");
  CHECK(store::findEnt(db_, "NOPE").error().code == ErrorCode::kUnknownPeer);
  CHECK(store::findEntByIdpEntityId(db_, "https://nope").error().code == ErrorCode::kUnknownPeer);
  // Another ENT may not claim the same IdP.
  CHECK(
      store::upsertEnt(db_, {"ENTTEST3", "x", "https://idp.test", std::nullopt}, 0).error().code ==
      ErrorCode::kConflict);
}

TEST_CASE_METHOD(Directory, "Person facts are those of the session's establishment only",
                 "[store][directory]") {
  const auto f = store::findPersonFacts(db_, "ENTTEST1", "elv-1", "0561534N");
  REQUIRE(f.has_value());
  CHECK(f->profile == Profile::kElv);
  CHECK(f->uai == "0561534N");
  CHECK(f->last_name == "Martin");
  CHECK(f->first_name == "Léa");
  CHECK(f->classes == std::vector<std::string>{"3A"});
  CHECK(f->groups == std::vector<std::string>{"LATIN"});
  CHECK(f->mefs == std::vector<std::string>{"10310019110"});
  CHECK(f->pupil_subjects == std::vector<std::string>{"030201"});
  CHECK(f->teacher_subjects.empty());

  const auto t = store::findPersonFacts(db_, "ENTTEST1", "ens-1", "0350000A");
  REQUIRE(t.has_value());
  CHECK(t->classes == std::vector<std::string>{"2B"});
  CHECK(t->emails == std::vector<std::string>{"paul@x.test"});
  CHECK(t->teacher_subjects.empty());  // taught in the other establishment
}

TEST_CASE_METHOD(Directory, "Person facts come back sorted within each kind, none lost",
                 "[store][directory]") {
  // Added out of order, with values of one kind that would sort between another kind's.
  const auto zeta = *store::upsertGroup(db_, "0561534N", "ZETA", store::GroupKind::kGroup, "Z");
  const auto c3b = *store::upsertGroup(db_, "0561534N", "3B", store::GroupKind::kClass, "3e B");
  const auto alpha = *store::upsertGroup(db_, "0561534N", "ALPHA", store::GroupKind::kGroup, "A");
  for (auto g : {zeta, c3b, alpha}) {
    REQUIRE(store::addGroupMember(db_, g, teacher_).has_value());
  }
  REQUIRE(store::addPersonEmail(db_, teacher_, "alice@x.test").has_value());
  REQUIRE(store::addPersonMef(db_, teacher_, "0561534N", "2").has_value());
  REQUIRE(store::addPersonMef(db_, teacher_, "0561534N", "1").has_value());
  REQUIRE(store::addPersonSubject(db_, teacher_, "0561534N", "Z0001", true).has_value());
  REQUIRE(store::addPersonSubject(db_, teacher_, "0561534N", "A0001", true).has_value());
  REQUIRE(store::addPersonSubject(db_, teacher_, "0561534N", "M0001", false).has_value());
  const auto t = store::findPersonFacts(db_, "ENTTEST1", "ens-1", "0561534N");
  REQUIRE(t.has_value());
  CHECK(t->classes == std::vector<std::string>{"3A", "3B"});
  CHECK(t->groups == std::vector<std::string>{"ALPHA", "ZETA"});
  CHECK(t->emails == std::vector<std::string>{"alice@x.test", "paul@x.test"});
  CHECK(t->mefs == std::vector<std::string>{"1", "2"});
  CHECK(t->teacher_subjects == std::vector<std::string>{"A0001", "L0202", "Z0001"});
  CHECK(t->pupil_subjects == std::vector<std::string>{"M0001"});
}

TEST_CASE_METHOD(Directory,
                 "Several profiles in one establishment: first in order, or the wanted one",
                 "[store][directory]") {
  CHECK(store::findPersonFacts(db_, "ENTTEST1", "ens-1", "0561534N")->profile == Profile::kEns);
  CHECK(store::findPersonFacts(db_, "ENTTEST1", "ens-1", "0561534N", Profile::kDoc)->profile ==
        Profile::kDoc);
  CHECK(store::findPersonFacts(db_, "ENTTEST1", "ens-1", "0561534N", Profile::kDir).error().code ==
        ErrorCode::kNotEntitled);
}

TEST_CASE_METHOD(Directory, "Unknown people and foreign establishments are refused",
                 "[store][directory]") {
  CHECK(store::findPersonFacts(db_, "ENTTEST1", "nobody", "0561534N").error().code ==
        ErrorCode::kUnknownUser);
  // The same identifier at another ENT is another person.
  CHECK(store::findPersonFacts(db_, "ENTTEST2", "elv-1", "0561534N").error().code ==
        ErrorCode::kUnknownUser);
  // No profile there.
  CHECK(store::findPersonFacts(db_, "ENTTEST1", "elv-1", "0350000A").error().code ==
        ErrorCode::kNotEntitled);
  // An establishment of another ENT.
  CHECK(store::findPersonFacts(db_, "ENTTEST1", "elv-1", "0290000Z").error().code ==
        ErrorCode::kNotEntitled);
}

TEST_CASE_METHOD(Directory, "Upserting a person keeps its id and updates its names",
                 "[store][directory]") {
  const auto again = store::upsertPerson(db_, {"ENTTEST1", "elv-1", "Martin-Roy", "Léa", ""});
  REQUIRE(again.has_value());
  CHECK(*again == pupil_);
  CHECK(store::findPersonFacts(db_, "ENTTEST1", "elv-1", "0561534N")->last_name == "Martin-Roy");
}

TEST_CASE_METHOD(Directory, "Feed bookkeeping records start and end", "[store][directory]") {
  const auto feed =
      store::beginFeed(db_, "ENTTEST1", "complet", "ENTTEST1_GAR-ENT_Complet_x.xml", 10);
  REQUIRE(feed.has_value());
  REQUIRE(store::upsertPerson(db_, {"ENTTEST1", "elv-9", "A", "B", ""}, *feed).has_value());
  REQUIRE(store::finishFeed(db_, *feed, true, 1, "ok", 20).has_value());
  CHECK(store::finishFeed(db_, 999, true, 1, "", 20).error().code == ErrorCode::kNotFound);
  CHECK(store::beginFeed(db_, "NOPE", "complet", "x", 1).error().code == ErrorCode::kConflict);
}

TEST_CASE_METHOD(Catalogue, "Publishers and resources round-trip", "[store][publishers]") {
  const auto p = store::findPublisher(db_, kPub);
  REQUIRE(p.has_value());
  CHECK(p->sp_entity_id == "https://sp.test");
  CHECK(store::findPublisherBySpEntityId(db_, "https://sp.test")->id == kPub);
  CHECK(store::findPublisherByCertificate(db_, "ab12")->id == kPub);
  CHECK(store::findPublisher(db_, "nope").error().code == ErrorCode::kUnknownPeer);
  // SIREN_ISNI shape is enforced.
  CHECK(store::upsertPublisher(db_, {"12345", "bad", std::nullopt, std::nullopt, std::nullopt})
            .error()
            .code == ErrorCode::kConflict);

  const auto r = store::findResource(db_, kArk);
  REQUIRE(r.has_value());
  CHECK(r->login_url == "https://r1.test/login");
  CHECK(r->launch_mode == policy::LaunchMode::kBounce);
  CHECK(store::findResource(db_, "ark:/none").error().code == ErrorCode::kUnknownResource);
}

TEST_CASE_METHOD(Catalogue, "A publisher's resources with a contract are listed, and only they",
                 "[store][publishers]") {
  const char* other_pub = "987654321_0000000000000001";
  REQUIRE(store::upsertPublisher(db_, {other_pub, "Other", "https://sp2.test", "<sp/>", "cd34"})
              .has_value());
  // A second contracted resource of kPub (sorts before kArk), one without a contract, and one of
  // another publisher with a contract.
  const store::Resource second{"ark:/0/a",
                               kPub,
                               "R0",
                               "https://r0.test/",
                               std::nullopt,
                               "manuel",
                               policy::LaunchMode::kDirect};
  REQUIRE(store::upsertResource(db_, second).has_value());
  REQUIRE(store::upsertResource(db_, {"ark:/0/z", kPub, "No contract", "https://nc.test/",
                                      std::nullopt, "manuel", policy::LaunchMode::kBounce})
              .has_value());
  REQUIRE(store::upsertResource(db_, {"ark:/0/o", other_pub, "Theirs", "https://o.test/",
                                      std::nullopt, "manuel", policy::LaunchMode::kBounce})
              .has_value());
  for (const auto& [ark, pub] : {std::pair{second.id, std::string(kPub)},
                                 std::pair{std::string("ark:/0/o"), std::string(other_pub)}}) {
    policy::ResourceContract c;
    c.resource_id = ark;
    c.publisher_id = pub;
    c.status = policy::ContractStatus::kApproved;
    c.declared[Profile::kElv] = {{"IDO", "account"}};
    REQUIRE(store::saveContract(db_, c, "pub", "x", 100).has_value());
  }

  const auto mine = store::listContractedResources(db_, kPub);
  REQUIRE(mine.has_value());
  REQUIRE(mine->size() == 2);
  CHECK((*mine)[0].id == second.id);
  CHECK((*mine)[0].launch_mode == policy::LaunchMode::kDirect);
  CHECK_FALSE((*mine)[0].login_url.has_value());
  CHECK((*mine)[1].id == kArk);
  CHECK((*mine)[1].login_url == "https://r1.test/login");
  const auto theirs = store::listContractedResources(db_, other_pub);
  REQUIRE(theirs.has_value());
  REQUIRE(theirs->size() == 1);
  CHECK(theirs->front().id == "ark:/0/o");
  CHECK(store::listContractedResources(db_, "nobody")->empty());
}

TEST_CASE_METHOD(Catalogue, "Contracts keep declarations, status and history",
                 "[store][publishers]") {
  auto c = store::findContract(db_, kArk);
  REQUIRE(c.has_value());
  CHECK(c->status == policy::ContractStatus::kSubmitted);
  CHECK(c->publisher_id == kPub);
  CHECK(c->category == "manuel");
  REQUIRE(c->declaredFor(Profile::kElv) != nullptr);
  CHECK(c->declaredFor(Profile::kElv)->at(1).code == "DIV");
  CHECK(c->declaredFor(Profile::kElv)->at(1).justification == "classes");
  CHECK(c->declaredFor(Profile::kEns) == nullptr);

  REQUIRE(store::setContractStatus(db_, kArk, policy::ContractStatus::kApproved, "ministry",
                                   "checked", 200)
              .has_value());
  CHECK(store::findContract(db_, kArk)->status == policy::ContractStatus::kApproved);

  c->declared[Profile::kElv] = {{"IDO", "account"}};
  c->status = policy::ContractStatus::kSubmitted;
  REQUIRE(store::saveContract(db_, *c, "pub", "fewer attributes", 300).has_value());
  CHECK(store::findContract(db_, kArk)->declaredFor(Profile::kElv)->size() == 1);

  const auto h = store::contractHistory(db_, kArk);
  REQUIRE(h.has_value());
  REQUIRE(h->size() == 3);
  CHECK((*h)[0].revision == 1);
  CHECK_FALSE((*h)[0].old_status.has_value());
  CHECK((*h)[1].old_status == "submitted");
  CHECK((*h)[1].new_status == "approved");
  CHECK((*h)[1].actor == "ministry");
  CHECK((*h)[1].declarations == "National_elv:IDO,DIV");
  CHECK((*h)[2].declarations == "National_elv:IDO");
  CHECK(store::setContractStatus(db_, "ark:/none", policy::ContractStatus::kApproved, "m", "", 1)
            .error()
            .code == ErrorCode::kNotFound);
}

TEST_CASE_METHOD(Catalogue, "An empty justification is refused and changes nothing",
                 "[store][publishers]") {
  auto c = *store::findContract(db_, kArk);
  c.declared[Profile::kElv].push_back({"NOM", ""});
  CHECK(store::saveContract(db_, c, "pub", "x", 400).error().code == ErrorCode::kConflict);
  CHECK(store::findContract(db_, kArk)->declaredFor(Profile::kElv)->size() == 2);
  CHECK(store::contractHistory(db_, kArk)->size() == 1);
}

TEST_CASE_METHOD(Directory, "A person's facts come sorted by value whatever the order of insertion",
                 "[store][directory]") {
  const auto zed = *store::upsertGroup(db_, "0561534N", "Z9", store::GroupKind::kClass, "Z");
  const auto abc = *store::upsertGroup(db_, "0561534N", "0A", store::GroupKind::kClass, "A");
  const auto grp = *store::upsertGroup(db_, "0561534N", "AAA", store::GroupKind::kGroup, "G");
  REQUIRE(store::addGroupMember(db_, zed, teacher_).has_value());
  REQUIRE(store::addGroupMember(db_, abc, teacher_).has_value());
  REQUIRE(store::addGroupMember(db_, grp, teacher_).has_value());
  REQUIRE(store::addPersonEmail(db_, teacher_, "zz@x.test").has_value());
  REQUIRE(store::addPersonEmail(db_, teacher_, "Paul@x.test").has_value());
  REQUIRE(store::addPersonSubject(db_, teacher_, "0561534N", "L0101", true).has_value());
  REQUIRE(store::addPersonSubject(db_, teacher_, "0561534N", "Z0101", false).has_value());
  REQUIRE(store::addPersonSubject(db_, teacher_, "0561534N", "A0101", false).has_value());
  const auto t = store::findPersonFacts(db_, "ENTTEST1", "ens-1", "0561534N");
  REQUIRE(t.has_value());
  CHECK(t->classes == std::vector<std::string>{"0A", "3A", "Z9"});
  CHECK(t->groups == std::vector<std::string>{"AAA"});
  CHECK(t->emails == std::vector<std::string>{"Paul@x.test", "paul@x.test", "zz@x.test"});
  CHECK(t->teacher_subjects == std::vector<std::string>{"L0101", "L0202"});
  CHECK(t->pupil_subjects == std::vector<std::string>{"A0101", "Z0101"});
}

TEST_CASE_METHOD(Catalogue, "Subscriptions round-trip with every GAR field",
                 "[store][subscriptions]") {
  auto s = subscription();
  s.comment = "note";
  s.end_school_year = "2025-2026";
  s.project_code = "PRJ";
  s.licences_global = 120;
  REQUIRE(store::createSubscription(db_, s, 1000).has_value());
  auto back = store::findSubscription(db_, "ABO1");
  REQUIRE(back.has_value());
  CHECK(back->valid_from == s.valid_from);
  CHECK(back->valid_until == s.valid_until);
  CHECK(back->uais == s.uais);
  CHECK(back->audiences == s.audiences);
  CHECK(back->audience_licences.at(policy::Audience::kEleve) == 30);
  CHECK(back->licences_global == 120);
  CHECK_FALSE(back->licences_unlimited);
  CHECK(back->end_school_year == "2025-2026");
  CHECK(back->project_code == "PRJ");

  SECTION("creating it twice is a conflict") {
    CHECK(store::createSubscription(db_, s, 1000).error().code == ErrorCode::kConflict);
  }
  SECTION("an update changes fields but not establishments") {
    s.audiences = {policy::Audience::kEleve, policy::Audience::kEnseignant};
    s.uais = {"0350000A"};
    s.licences_global.reset();
    s.licences_unlimited = true;
    REQUIRE(store::updateSubscription(db_, s, 2000).has_value());
    back = store::findSubscription(db_, "ABO1");
    CHECK(back->audiences.size() == 2);
    CHECK(back->uais == std::vector<std::string>{"0561534N"});
    CHECK(back->licences_unlimited);
    CHECK_FALSE(back->licences_global.has_value());
    CHECK(store::updateSubscription(db_, subscription("NOPE"), 2000).error().code ==
          ErrorCode::kNotFound);
  }
  SECTION("deleting it removes it and its assignments") {
    REQUIRE(store::addAssignment(db_, "ABO1", "0561534N", policy::AssignmentTargetKind::kClass,
                                 "3A", "ra", 1)
                .has_value());
    REQUIRE(store::deleteSubscription(db_, "ABO1").has_value());
    CHECK(store::findSubscription(db_, "ABO1").error().code == ErrorCode::kNotFound);
    CHECK(store::deleteSubscription(db_, "ABO1").error().code == ErrorCode::kNotFound);
  }
}

TEST_CASE_METHOD(Catalogue, "A subscription that fails a constraint leaves nothing behind",
                 "[store][subscriptions]") {
  auto s = subscription();
  s.valid_until = *policy::Date::parse("2024-01-01");  // before valid_from
  CHECK(store::createSubscription(db_, s, 1).error().code == ErrorCode::kConflict);
  s = subscription();
  s.resource_id = "ark:/unknown";
  CHECK(store::createSubscription(db_, s, 1).error().code == ErrorCode::kConflict);
  s = subscription();
  s.id = "_starts_with_underscore";
  CHECK(store::createSubscription(db_, s, 1).error().code == ErrorCode::kConflict);
  auto stmt = db_.prepare(
      "SELECT (SELECT count(*) FROM subscriptions) + (SELECT count(*) FROM subscription_uais)");
  REQUIRE(*stmt->step());
  CHECK(stmt->int64(0) == 0);
}

TEST_CASE_METHOD(Catalogue, "Launch subscriptions carry only the person's assignments",
                 "[store][subscriptions]") {
  REQUIRE(store::createSubscription(db_, subscription("ABO1"), 1).has_value());
  auto other = subscription("ABO2");
  other.uais = {"0350000A"};
  REQUIRE(store::createSubscription(db_, other, 1).has_value());
  using K = policy::AssignmentTargetKind;
  REQUIRE(store::addAssignment(db_, "ABO1", "0561534N", K::kClass, "3A", "ra", 1).has_value());
  REQUIRE(store::addAssignment(db_, "ABO1", "0561534N", K::kGroup, "LATIN", "ra", 1).has_value());
  REQUIRE(store::addAssignment(db_, "ABO1", "0561534N", K::kPerson, "ens-1", "ra", 1).has_value());
  REQUIRE(
      store::addAssignment(db_, "ABO1", "0561534N", K::kEstablishment, "", "ra", 1).has_value());
  // Idempotent.
  REQUIRE(store::addAssignment(db_, "ABO1", "0561534N", K::kClass, "3A", "ra", 2).has_value());
  CHECK(store::addAssignment(db_, "ABO1", "0561534N", K::kClass, "LATIN", "ra", 1).error().code ==
        ErrorCode::kNotFound);  // a group, not a class
  CHECK(store::addAssignment(db_, "ABO1", "0561534N", K::kPerson, "nobody", "ra", 1).error().code ==
        ErrorCode::kNotFound);
  CHECK(store::addAssignment(db_, "ABO1", "0350000A", K::kClass, "2B", "ra", 1).error().code ==
        ErrorCode::kConflict);  // not an establishment of ABO1

  const auto pupil = *store::findPersonFacts(db_, "ENTTEST1", "elv-1", "0561534N");
  const auto subs = store::findLaunchSubscriptions(db_, kArk, pupil);
  REQUIRE(subs.has_value());
  REQUIRE(subs->size() == 1);  // ABO2 is for another establishment
  const auto& s = subs->front();
  CHECK(s.id == "ABO1");
  CHECK(s.audiences == std::vector<policy::Audience>{policy::Audience::kEleve});
  CHECK(s.assignment_type == policy::AssignmentType::kIndiv);
  REQUIRE(s.assignments.size() == 3);  // class, group, establishment; not the teacher
  for (const auto& a : s.assignments) {
    CHECK(a.kind != K::kPerson);
    CHECK(a.uai == "0561534N");
  }
}

TEST_CASE_METHOD(Catalogue,
                 "Launch subscriptions name only the person's establishment of those they cover",
                 "[store][subscriptions]") {
  auto s = subscription("ABO1");
  s.uais = {"0350000A", "0561534N", "0750000X"};
  REQUIRE(store::createSubscription(db_, s, 1).has_value());
  const auto pupil = *store::findPersonFacts(db_, "ENTTEST1", "elv-1", "0561534N");
  const auto launch = store::findLaunchSubscriptions(db_, kArk, pupil);
  const auto all = store::findEstablishmentSubscriptions(db_, pupil);
  REQUIRE(launch.has_value());
  REQUIRE(all.has_value());
  REQUIRE(launch->size() == 1);
  REQUIRE(all->size() == 1);
  CHECK(launch->front().uais == std::vector<std::string>{"0561534N"});
  CHECK(all->front().uais == std::vector<std::string>{"0561534N"});
  // The subscription itself still covers the three.
  CHECK(store::findSubscription(db_, "ABO1")->uais.size() == 3);
}

TEST_CASE_METHOD(Catalogue,
                 "Each subscription of an establishment carries its own audiences and assignments",
                 "[store][subscriptions]") {
  // Read in two statements for all the subscriptions at once: each row must reach its own.
  using K = policy::AssignmentTargetKind;
  REQUIRE(store::createSubscription(db_, subscription("ABO1"), 1).has_value());
  auto teachers = subscription("ABO2");
  teachers.audiences = {policy::Audience::kEnseignant, policy::Audience::kAutrePersonnel,
                        policy::Audience::kEleve};
  teachers.audience_licences.clear();
  REQUIRE(store::createSubscription(db_, teachers, 1).has_value());
  auto none = subscription("ABO3");
  none.audiences.clear();
  none.audience_licences.clear();
  REQUIRE(store::createSubscription(db_, none, 1).has_value());
  auto elsewhere = subscription("ABO4");
  elsewhere.uais = {"0350000A", "0561534N"};
  REQUIRE(store::createSubscription(db_, elsewhere, 1).has_value());
  REQUIRE(store::addAssignment(db_, "ABO1", "0561534N", K::kClass, "3A", "ra", 1).has_value());
  REQUIRE(store::addAssignment(db_, "ABO2", "0561534N", K::kGroup, "LATIN", "ra", 1).has_value());
  REQUIRE(
      store::addAssignment(db_, "ABO2", "0561534N", K::kEstablishment, "", "ra", 1).has_value());
  REQUIRE(store::addAssignment(db_, "ABO3", "0561534N", K::kPerson, "ens-1", "ra", 1).has_value());
  REQUIRE(
      store::addAssignment(db_, "ABO4", "0350000A", K::kEstablishment, "", "ra", 1).has_value());

  const auto pupil = *store::findPersonFacts(db_, "ENTTEST1", "elv-1", "0561534N");
  for (const bool launch : {true, false}) {
    const auto subs = launch ? store::findLaunchSubscriptions(db_, kArk, pupil)
                             : store::findEstablishmentSubscriptions(db_, pupil);
    REQUIRE(subs.has_value());
    REQUIRE(subs->size() == 4);
    const auto& [abo1, abo2, abo3, abo4] = std::tie((*subs)[0], (*subs)[1], (*subs)[2], (*subs)[3]);
    CHECK(abo1.id == "ABO1");
    CHECK(abo4.id == "ABO4");
    CHECK(abo1.audiences == std::vector<policy::Audience>{policy::Audience::kEleve});
    auto audiences = abo2.audiences;
    std::sort(audiences.begin(), audiences.end());
    auto expected = teachers.audiences;
    std::sort(expected.begin(), expected.end());
    CHECK(audiences == expected);
    CHECK(abo3.audiences.empty());
    REQUIRE(abo1.assignments.size() == 1);
    CHECK(abo1.assignments[0].kind == K::kClass);
    CHECK(abo1.assignments[0].target == "3A");
    REQUIRE(abo2.assignments.size() == 2);
    CHECK(abo3.assignments.empty());  // the teacher's, not the pupil's
    CHECK(abo4.assignments.empty());  // the establishment assigned is the other one
    for (const auto& sub : *subs) {
      CHECK(sub.uais == std::vector<std::string>{"0561534N"});
    }
  }
}

TEST_CASE_METHOD(Catalogue, "Removing a person ends their assignments", "[store][subscriptions]") {
  REQUIRE(store::createSubscription(db_, subscription("ABO1"), 1).has_value());
  REQUIRE(store::addAssignment(db_, "ABO1", "0561534N", policy::AssignmentTargetKind::kPerson,
                               "ens-1", "ra", 1)
              .has_value());
  REQUIRE(db_.execScript("DELETE FROM people WHERE ent_person_id = 'ens-1'").has_value());
  auto stmt = db_.prepare("SELECT count(*) FROM assignments");
  REQUIRE(*stmt->step());
  CHECK(stmt->int64(0) == 0);
}

TEST_CASE_METHOD(test::MigratedDb, "Policy versions keep who, when, why and the previous version",
                 "[store][policy]") {
  store::SqlPolicySource source(db_);
  CHECK(source.currentPolicy().error().code == ErrorCode::kStoreError);  // nothing published yet

  REQUIRE(store::upsertCatalogueEntry(
              db_, {"IDO", "pseudonym", policy::Sensitivity::kTechnical, false}, 1)
              .has_value());
  REQUIRE(
      store::upsertCatalogueEntry(db_, {"P_MEL", "e-mail", policy::Sensitivity::kPersonal, true}, 3)
          .has_value());
  REQUIRE(store::upsertCatalogueEntry(
              db_, {"NOM", "last name", policy::Sensitivity::kPersonal, false}, 2)
              .has_value());

  store::PolicyChange v1{"v1", "ministry", "initial", 100, {}};
  v1.ceilings.allow(Profile::kElv, "*", "IDO");
  v1.ceilings.allow(Profile::kEns, "*", "IDO");
  v1.ceilings.allow(Profile::kEns, "*", "P_MEL");
  REQUIRE(store::publishPolicy(db_, v1).has_value());

  store::PolicyChange v2{"v2", "ministry", "names for pupils in textbooks", 200, v1.ceilings};
  v2.ceilings.allow(Profile::kElv, "manuel", "IDO");
  v2.ceilings.allow(Profile::kElv, "manuel", "NOM");
  REQUIRE(store::publishPolicy(db_, v2).has_value());

  const auto snap = source.currentPolicy();
  REQUIRE(snap.has_value());
  CHECK(snap->version == "v2");
  REQUIRE(snap->catalogue.size() == 3);
  CHECK(snap->catalogue[1].code == "NOM");  // by position
  CHECK(snap->catalogue[2].multi_valued);
  CHECK(snap->ceilings.allows(Profile::kElv, "manuel", "NOM"));
  CHECK_FALSE(snap->ceilings.allows(Profile::kElv, "outil", "NOM"));
  CHECK(snap->ceilings.allows(Profile::kEns, "outil", "P_MEL"));

  const auto history = store::policyHistory(db_);
  REQUIRE(history->size() == 2);
  CHECK_FALSE((*history)[0].previous.has_value());
  CHECK((*history)[1].previous == "v1");
  CHECK((*history)[1].reason == "names for pupils in textbooks");
  CHECK((*history)[1].created_at == "1970-01-01T00:03:20Z");
  CHECK_FALSE(store::ceilingsOf(db_, "v1")->allows(Profile::kElv, "manuel", "NOM"));

  SECTION("a version name is used once") {
    CHECK(store::publishPolicy(db_, v2).error().code == ErrorCode::kConflict);
  }
  SECTION("a ceiling outside the catalogue is refused and nothing is published") {
    store::PolicyChange v3{"v3", "ministry", "typo", 300, v2.ceilings};
    v3.ceilings.allow(Profile::kEns, "*", "BIRTHDATE");
    CHECK(store::publishPolicy(db_, v3).error().code == ErrorCode::kConflict);
    CHECK(source.currentPolicy()->version == "v2");
  }
}

TEST_CASE_METHOD(test::MigratedDb,
                 "The policy cache serves one snapshot until the policy changes, from any "
                 "connection",
                 "[store][policy]") {
  store::PolicyCache cache;
  CHECK(cache.current(db_).error().code == ErrorCode::kStoreError);  // nothing published yet

  REQUIRE(store::upsertCatalogueEntry(
              db_, {"IDO", "pseudonym", policy::Sensitivity::kTechnical, false}, 1)
              .has_value());
  REQUIRE(store::upsertCatalogueEntry(
              db_, {"NOM", "last name", policy::Sensitivity::kPersonal, false}, 2)
              .has_value());
  store::PolicyChange v1{"v1", "ministry", "initial", 100, {}};
  v1.ceilings.allow(Profile::kElv, "*", "IDO");
  REQUIRE(store::publishPolicy(db_, v1).has_value());

  const auto first = cache.current(db_);
  REQUIRE(first.has_value());
  CHECK((*first)->version == "v1");
  const auto again = cache.current(db_);
  REQUIRE(again.has_value());
  CHECK(again->get() == first->get());  // not read again

  // Another connection (another broker node, or the admin tool) changes the policy.
  store::Db other = test::openDb(path_);
  SECTION("a new version") {
    store::PolicyChange v2{"v2", "ministry", "names", 200, v1.ceilings};
    v2.ceilings.allow(Profile::kElv, "manuel", "NOM");
    REQUIRE(store::publishPolicy(other, v2).has_value());
    const auto now = cache.current(db_);
    REQUIRE(now.has_value());
    CHECK((*now)->version == "v2");
    CHECK((*now)->ceilings.allows(Profile::kElv, "manuel", "NOM"));
    CHECK((*first)->version == "v1");  // a snapshot in use is never changed under its holder
  }
  SECTION("a catalogue entry, same version") {
    REQUIRE(store::upsertCatalogueEntry(
                other, {"NOM", "last name", policy::Sensitivity::kSensitive, false}, 2)
                .has_value());
    const auto now = cache.current(db_);
    REQUIRE(now.has_value());
    CHECK(now->get() != first->get());
    CHECK((*now)->version == "v1");
    CHECK((*now)->findInCatalogue("NOM")->sensitivity == policy::Sensitivity::kSensitive);
  }
  SECTION("ceilings edited in place by hand") {
    REQUIRE(other.execScript("DELETE FROM ceilings WHERE attribute_code = 'IDO'").has_value());
    const auto now = cache.current(db_);
    REQUIRE(now.has_value());
    CHECK_FALSE((*now)->ceilings.allows(Profile::kElv, "manuel", "IDO"));
  }
}

TEST_CASE_METHOD(test::MigratedDb, "Audit rows name attributes, and are purged by age",
                 "[store][audit]") {
  store::AuditRecord r;
  r.at = 1000;
  r.correlation_id = "req-1";
  r.ent_id = "ENTTEST1";
  r.uai = "0561534N";
  r.profile = "National_elv";
  r.publisher_id = kPub;
  r.resource_id = kArk;
  r.released = {"IDO", "PRO", "DIV"};
  r.policy_version = "v1";
  REQUIRE(store::writeAudit(db_, r).has_value());
  r.at = 5000;
  r.correlation_id = "req-2";
  r.released.clear();
  r.outcome = "refused";
  r.reason = "not_assigned";
  REQUIRE(store::writeAudit(db_, r).has_value());
  r.outcome = "maybe";
  CHECK(store::writeAudit(db_, r).error().code == ErrorCode::kConflict);

  const auto rows = store::listAudit(db_, 0);
  REQUIRE(rows.has_value());
  REQUIRE(rows->size() == 2);
  CHECK((*rows)[0].released == std::vector<std::string>{"IDO", "PRO", "DIV"});
  CHECK((*rows)[0].at == 1000);
  CHECK((*rows)[1].reason == "not_assigned");
  CHECK((*rows)[1].released.empty());

  CHECK(*store::purgeAuditBefore(db_, 2000) == 1);
  CHECK(store::listAudit(db_, 0)->size() == 1);
}

TEST_CASE_METHOD(Catalogue, "A full snapshot prunes people and groups it did not write",
                 "[store][directory]") {
  REQUIRE(store::createSubscription(db_, subscription("ABO1"), 1).has_value());
  REQUIRE(store::addAssignment(db_, "ABO1", "0561534N", policy::AssignmentTargetKind::kPerson,
                               "ens-1", "ra", 1)
              .has_value());
  const auto feed = *store::beginFeed(db_, "ENTTEST1", "complet", "snapshot.tar.gz", 50);
  auto tx = store::Transaction::begin(db_);
  REQUIRE(tx.has_value());
  // The snapshot lists the pupil (with fewer facts) and class 3A; not the teacher, not LATIN, not
  // 2B.
  const auto id = *store::upsertPerson(db_, {"ENTTEST1", "elv-1", "Martin", "Léa", ""}, feed);
  REQUIRE(store::clearPersonFacts(db_, id).has_value());
  REQUIRE(store::addPersonProfile(db_, id, "0561534N", Profile::kElv, feed).has_value());
  const auto c3a =
      *store::upsertGroup(db_, "0561534N", "3A", store::GroupKind::kClass, "3e A", feed);
  REQUIRE(store::addGroupMember(db_, c3a, id).has_value());
  const auto removed = store::pruneDirectory(db_, "ENTTEST1", feed);
  REQUIRE(removed.has_value());
  CHECK(*removed == 1);
  REQUIRE(tx->commit().has_value());

  const auto f = store::findPersonFacts(db_, "ENTTEST1", "elv-1", "0561534N");
  REQUIRE(f.has_value());
  CHECK(f->classes == std::vector<std::string>{"3A"});
  CHECK(f->groups.empty());
  CHECK(f->mefs.empty());
  CHECK(store::findPersonFacts(db_, "ENTTEST1", "ens-1", "0561534N").error().code ==
        ErrorCode::kUnknownUser);
  auto stmt = db_.prepare("SELECT count(*) FROM assignments");
  REQUIRE(*stmt->step());
  CHECK(stmt->int64(0) == 0);  // the teacher's assignment ended with them
}

TEST_CASE_METHOD(Catalogue, "Subscriptions are listed by the API's filters",
                 "[store][subscriptions]") {
  REQUIRE(store::createSubscription(db_, subscription("ABO1"), 1).has_value());
  auto later = subscription("ABO2");
  later.uais = {"0350000A"};
  later.valid_from = *policy::Date::parse("2026-09-01");
  later.valid_until = *policy::Date::parse("2027-07-14");
  REQUIRE(store::createSubscription(db_, later, 1).has_value());

  auto ids = [&](const store::SubscriptionFilter& f) {
    const auto found = store::listSubscriptions(db_, f);
    REQUIRE(found.has_value());
    std::vector<std::string> out;
    for (const auto& s : *found) {
      out.push_back(s.id);
    }
    return out;
  };
  CHECK(ids({}) == std::vector<std::string>{"ABO1", "ABO2"});
  CHECK(ids({.publisher_id = kPub}).size() == 2);
  CHECK(ids({.publisher_id = "987654321_0000000000000002"}).empty());
  CHECK(ids({.id = "ABO2"}) == std::vector<std::string>{"ABO2"});
  CHECK(ids({.uai = "0561534N"}) == std::vector<std::string>{"ABO1"});
  CHECK(ids({.active_from = policy::Date::parse("2026-08-01")}) ==
        std::vector<std::string>{"ABO2"});
  CHECK(ids({.active_until = policy::Date::parse("2026-01-01")}) ==
        std::vector<std::string>{"ABO1"});
  CHECK(ids({.uai = "x' OR 1=1 --"}).empty());

  CHECK(*store::listSubscribedResourceIds(db_, "0561534N") == std::vector<std::string>{kArk});
  CHECK(store::listSubscribedResourceIds(db_, "0290000Z")->empty());
}

TEST_CASE_METHOD(Catalogue, "Contracts are listed and their reach counted for a policy preview",
                 "[store][policy]") {
  REQUIRE(store::createSubscription(db_, subscription("ABO1"), 1).has_value());
  const auto contracts = store::listContracts(db_);
  REQUIRE(contracts.has_value());
  REQUIRE(contracts->size() == 1);
  CHECK(contracts->front().resource_id == kArk);
  CHECK(*store::countPeopleReached(db_, kArk, Profile::kElv) == 1);
  CHECK(*store::countPeopleReached(db_, kArk, Profile::kEns) == 1);  // only 0561534N is subscribed
  CHECK(*store::countPeopleReached(db_, kArk, Profile::kDir) == 0);
}

TEST_CASE("An audit record is one JSON line without values", "[store][audit]") {
  store::AuditRecord r;
  r.at = 0;
  r.correlation_id = "req-\"1\"";
  r.released = {"IDO", "PRO"};
  r.outcome = "released";
  const auto line = store::auditJsonLine(r);
  CHECK(
      line ==
      R"({"at":"1970-01-01T00:00:00Z","kind":"launch","correlation_id":"req-\"1\"","ent":"","uai":"",)"
      R"("profile":"","publisher":"","resource":"","released":["IDO","PRO"],"policy_version":"",)"
      R"("outcome":"released","reason":""})");
  CHECK(line.find('\n') == std::string::npos);
}

TEST_CASE_METHOD(Catalogue, "Publishers see establishments and assignment counts",
                 "[store][subscriptions]") {
  const auto etabs = store::listEstablishments(db_);
  REQUIRE(etabs.has_value());
  REQUIRE(etabs->size() == 3);
  CHECK(etabs->front().uai == "0290000Z");

  REQUIRE(store::createSubscription(db_, subscription("ABO1"), 1).has_value());
  using K = policy::AssignmentTargetKind;
  REQUIRE(store::addAssignment(db_, "ABO1", "0561534N", K::kClass, "3A", "ra", 1).has_value());
  REQUIRE(store::addAssignment(db_, "ABO1", "0561534N", K::kPerson, "ens-1", "ra", 1).has_value());
  REQUIRE(store::addAssignment(db_, "ABO1", "0561534N", K::kPerson, "elv-1", "ra", 1).has_value());
  const auto report = store::assignmentReport(db_, kPub);
  REQUIRE(report.has_value());
  REQUIRE(report->size() == 2);
  CHECK((*report)[0].kind == K::kClass);
  CHECK((*report)[0].count == 1);
  CHECK((*report)[1].kind == K::kPerson);
  CHECK((*report)[1].count == 2);
  CHECK(store::assignmentReport(db_, "987654321_0000000000000002")->empty());
}

namespace {
class AuditDb : public test::MigratedDb {};
}  // namespace

TEST_CASE_METHOD(AuditDb, "Audit searches filter by every field and page by id", "[store][audit]") {
  store::Db& db = db_;
  const auto row = [](core::UnixTime at, const char* kind, const char* publisher,
                      std::vector<std::string> released, const char* outcome, const char* reason,
                      const char* subject) {
    store::AuditRecord r;
    r.at = at;
    r.kind = kind;
    r.correlation_id = "c";
    r.ent_id = "ENTTEST1";
    r.uai = "0561534N";
    r.profile = "National_elv";
    r.publisher_id = publisher;
    r.resource_id = std::string("ark:/") + publisher;
    r.released = std::move(released);
    r.outcome = outcome;
    r.reason = reason;
    r.subject = subject;
    return r;
  };
  const core::UnixTime t = 1'800'000'000;
  for (const auto& r : {row(t, "launch", "A", {"IDO", "PRO", "P_MEL"}, "released", "SUB1", "s1"),
                        row(t + 10, "launch", "B", {"IDO", "PXMEL"}, "released", "SUB2", "s2"),
                        row(t + 20, "launch", "A", {}, "refused", "not_subscribed", "s1"),
                        row(t + 30, "admin", "", {}, "failed", "sign_in:wrong password", "")}) {
    REQUIRE(store::writeAudit(db, r).has_value());
  }
  const auto ids = [&](const store::AuditQuery& q) {
    std::vector<std::int64_t> out;
    const auto rows = store::queryAudit(db, q);
    REQUIRE(rows);
    for (const auto& r : *rows) out.push_back(r.id);
    return out;
  };
  store::AuditQuery all;
  CHECK(ids(all) == std::vector<std::int64_t>{1, 2, 3, 4});
  store::AuditQuery q;
  q.publisher_id = "A";
  CHECK(ids(q) == std::vector<std::int64_t>{1, 3});
  q = {};
  q.attribute = "P_MEL";  // '_' is not a wildcard: PXMEL does not match
  CHECK(ids(q) == std::vector<std::int64_t>{1});
  q.attribute = "IDO";
  CHECK(ids(q) == std::vector<std::int64_t>{1, 2});
  q = {};
  q.subject = "s1";
  CHECK(ids(q) == std::vector<std::int64_t>{1, 3});
  q = {};
  q.outcome = "refused";
  CHECK(ids(q) == std::vector<std::int64_t>{3});
  q = {};
  q.reason = "sign_in";  // an admin action, whatever its detail
  CHECK(ids(q) == std::vector<std::int64_t>{4});
  q.reason = "sign";
  CHECK(ids(q).empty());
  q = {};
  q.from = t + 10;
  q.until = t + 30;
  CHECK(ids(q) == std::vector<std::int64_t>{2, 3});
  q = {};
  q.kind = "launch";
  q.limit = 2;
  CHECK(ids(q) == std::vector<std::int64_t>{1, 2});
  q.after_id = 2;
  CHECK(ids(q) == std::vector<std::int64_t>{3});
  q.limit = 0;
  CHECK(store::queryAudit(db, q).error().code == core::ErrorCode::kBadRequest);
  const auto read = store::queryAudit(db, all);
  REQUIRE(read);
  const auto& back = *read;
  CHECK(back[0].released == std::vector<std::string>{"IDO", "PRO", "P_MEL"});
  CHECK(back[0].subject == "s1");
}
