#include <catch2/catch.hpp>
#include <stdexcept>

#include "policy_fixtures.h"

using namespace garde;
using policy::PseudonymScope;

namespace {
constexpr const char* kPubA = "123456789_0000000000000001";
constexpr const char* kPubB = "987654321_0000000000000002";
}  // namespace

TEST_CASE("Pseudonyms are stable and differ per publisher by default", "[policy][pseudonym]") {
  const auto p = test::pseudonymizer();
  const auto a1 = p.pseudonym(kPubA, "ENTTEST1", "elv-0001");
  const auto a2 = p.pseudonym(kPubA, "ENTTEST1", "elv-0001");
  const auto b = p.pseudonym(kPubB, "ENTTEST1", "elv-0001");
  REQUIRE(a1.has_value());
  REQUIRE(b.has_value());
  CHECK(*a1 == *a2);
  CHECK(*a1 != *b);
  CHECK(a1->rfind("k1-", 0) == 0);
  CHECK(a1->size() == 3 + 43);  // version, '-', base64url of 32 bytes without padding
  // Another person, another ENT: other values.
  CHECK(*p.pseudonym(kPubA, "ENTTEST1", "elv-0002") != *a1);
  CHECK(*p.pseudonym(kPubA, "ENTTEST2", "elv-0001") != *a1);
}

TEST_CASE("Shared mode gives one pseudonym for all publishers", "[policy][pseudonym]") {
  const auto p = test::pseudonymizer(PseudonymScope::kShared);
  CHECK(*p.pseudonym(kPubA, "ENTTEST1", "elv-0001") == *p.pseudonym(kPubB, "ENTTEST1", "elv-0001"));
  CHECK(*p.pseudonym(kPubA, "ENTTEST1", "elv-0001") !=
        *test::pseudonymizer().pseudonym(kPubA, "ENTTEST1", "elv-0001"));
}

TEST_CASE("A new secret version changes every pseudonym", "[policy][pseudonym]") {
  const auto v1 = test::pseudonymizer(PseudonymScope::kPerPublisher, "k1", std::string(32, 's'));
  const auto v2 = test::pseudonymizer(PseudonymScope::kPerPublisher, "k2", std::string(32, 't'));
  const auto a = *v1.pseudonym(kPubA, "ENTTEST1", "elv-0001");
  const auto b = *v2.pseudonym(kPubA, "ENTTEST1", "elv-0001");
  CHECK(a.substr(3) != b.substr(3));
  CHECK(b.rfind("k2-", 0) == 0);
}

TEST_CASE("Pseudonym matches a known HMAC-SHA256 vector", "[policy][pseudonym]") {
  // HMAC-SHA256(key = 32 x 's', "123456789_0000000000000001\0ENTTEST1\0elv-0001"), checked with
  // python3 -c "import
  // hmac,hashlib;print(hmac.new(b's'*32,b'123456789_0000000000000001\0ENTTEST1\0elv-0001',hashlib.sha256).hexdigest())"
  const policy::Pseudonymizer p(
      {std::string(32, 's'), "k1", PseudonymScope::kPerPublisher, policy::PseudonymEncoding::kHex});
  const auto v = p.pseudonym(kPubA, "ENTTEST1", "elv-0001");
  REQUIRE(v.has_value());
  CHECK(*v == "k1-c690808db523c8a4e58f829fb47848cec9f73355f7588ca526242487b99381e3");
}

TEST_CASE("Pseudonym inputs are checked", "[policy][pseudonym]") {
  const auto p = test::pseudonymizer();
  CHECK(p.pseudonym("", "ENTTEST1", "x").error().code == core::ErrorCode::kBadRequest);
  CHECK(p.pseudonym(kPubA, "", "x").error().code == core::ErrorCode::kBadRequest);
  CHECK(p.pseudonym(kPubA, "ENTTEST1", "").error().code == core::ErrorCode::kBadRequest);
  CHECK(p.pseudonym(std::string_view("a\0b", 3), "ENTTEST1", "x").error().code ==
        core::ErrorCode::kBadRequest);
  // The identifier at the ENT may hold anything, NUL included: it comes last.
  CHECK(p.pseudonym(kPubA, "ENTTEST1", std::string_view("x\0y", 3)).has_value());
}

TEST_CASE("Pseudonymizer refuses a weak configuration", "[policy][pseudonym]") {
  using S = policy::PseudonymSettings;
  CHECK_THROWS_AS(policy::Pseudonymizer(S{std::string(31, 's'), "k1", {}, {}}),
                  std::invalid_argument);
  CHECK_THROWS_AS(policy::Pseudonymizer(S{std::string(32, 's'), "", {}, {}}),
                  std::invalid_argument);
  CHECK_THROWS_AS(policy::Pseudonymizer(S{std::string(32, 's'), "k-1", {}, {}}),
                  std::invalid_argument);
}

TEST_CASE("A decision's IDO is the pseudonym for the contract's publisher", "[policy][pseudonym]") {
  const auto p = test::pseudonymizer();
  const auto d = policy::decide(test::pupil(), test::contractA(), {test::subscription()},
                                test::ministryPolicy(), p, *policy::Date::parse("2026-01-15"));
  REQUIRE(d.entitled);
  REQUIRE(d.released.front().code == "IDO");
  CHECK(d.released.front().values == std::vector<std::string>{*p.pseudonym(
                                         test::contractA().publisher_id, "ENTTEST1", "elv-0001")});
}
