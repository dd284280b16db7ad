#include "saml/validate.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "saml/replay_cache.h"
#include "support/saml_builders.h"

using garde::core::ErrorCode;
using namespace garde::saml;
using namespace garde::test;

TEST_CASE("A signed Response with a signed Assertion validates and yields the assertion's fields",
          "[saml][validate]") {
  const Assertion sent = goodAssertion();
  const std::string xml = signedResponseXml(goodResponse(), sent);
  InMemoryReplayCache cache;
  auto expectation = goodExpectation();
  expectation.replay_cache = &cache;
  ValidationTrace trace;
  auto result = parseAndValidate(xml, expectation, &trace);
  REQUIRE(result.has_value());
  CHECK(result->response_signed);
  CHECK(result->assertion_signed);
  CHECK_FALSE(result->assertion_encrypted);
  CHECK(result->response == goodResponse());
  CHECK(result->assertion == sent);
  CHECK(cache.size() == 1);
  REQUIRE_FALSE(trace.checks.empty());
  for (const auto& check : trace.checks) {
    INFO(check.name << ": " << check.detail);
    CHECK(check.passed);
  }
  CHECK(trace.checks.back().name == "replay");
}

TEST_CASE("Only the Assertion signed is enough", "[saml][validate]") {
  auto result =
      parseAndValidate(signedResponseXml(goodResponse(), goodAssertion(), {.sign_response = false}),
                       goodExpectation());
  REQUIRE(result.has_value());
  CHECK_FALSE(result->response_signed);
  CHECK(result->assertion_signed);
}

TEST_CASE("Only the Response signed is accepted when a signed Assertion is not required",
          "[saml][validate]") {
  const std::string xml =
      signedResponseXml(goodResponse(), goodAssertion(), {.sign_assertion = false});
  auto expectation = goodExpectation();
  SECTION("required by default") {
    auto result = parseAndValidate(xml, expectation);
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().code == ErrorCode::kSignatureMissing);
  }
  SECTION("allowed") {
    expectation.require_signed_assertion = false;
    auto result = parseAndValidate(xml, expectation);
    REQUIRE(result.has_value());
    CHECK(result->response_signed);
    CHECK_FALSE(result->assertion_signed);
    CHECK(result->assertion == goodAssertion());
  }
}

TEST_CASE("An unsolicited Response validates when allowed", "[saml][validate]") {
  const std::string xml =
      signedResponseXml(goodResponse(std::nullopt), goodAssertion(kAssertionId, std::nullopt));
  auto expectation = goodExpectation();
  expectation.request_id.reset();
  expectation.allow_unsolicited = true;
  auto result = parseAndValidate(xml, expectation);
  REQUIRE(result.has_value());
  CHECK_FALSE(result->response.in_response_to.has_value());
}

TEST_CASE("An encrypted, signed Assertion is decrypted then verified",
          "[saml][validate][encryption]") {
  const std::string xml =
      signedResponseXml(goodResponse(), goodAssertion(), {.encrypt_assertion = true});
  CHECK(xml.find("EncryptedAssertion") != std::string::npos);
  CHECK(xml.find("pseudo-7f3a9c") == std::string::npos);
  auto result = parseAndValidate(xml, goodExpectation());
  REQUIRE(result.has_value());
  CHECK(result->assertion_encrypted);
  CHECK(result->assertion_signed);
  CHECK(result->assertion == goodAssertion());

  SECTION("without a decryption key") {
    auto expectation = goodExpectation();
    expectation.decryption_keys.clear();
    auto failed = parseAndValidate(xml, expectation);
    REQUIRE_FALSE(failed.has_value());
    CHECK(failed.error().code == ErrorCode::kDecryptionFailed);
  }
}

TEST_CASE("Time checks honour the skew at both ends", "[saml][validate][time]") {
  // Assertion window: Conditions [kNow-60, kNow+300), bearer NotOnOrAfter kNow+300, skew 180.
  const std::string xml = goodResponseXml();
  auto expectation = goodExpectation();
  SECTION("last second of the window") {
    expectation.now = kNow + 300 + 180 - 1;
    CHECK(parseAndValidate(xml, expectation).has_value());
  }
  SECTION("earliest second of the window") {
    expectation.now = kNow - 60 - 180;
    CHECK(parseAndValidate(xml, expectation).has_value());
  }
  SECTION("one second too early") {
    expectation.now = kNow - 60 - 180 - 1;
    auto r = parseAndValidate(xml, expectation);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::kNotYetValid);
  }
  SECTION("zero skew") {
    expectation.skew_seconds = 0;
    expectation.now = kNow + 300;
    auto r = parseAndValidate(xml, expectation);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::kExpired);
  }
}

TEST_CASE("The trace ends with the failed check", "[saml][validate]") {
  auto expectation = goodExpectation();
  expectation.sp_entity_id = "https://other.example.org/sp";
  ValidationTrace trace;
  auto r = parseAndValidate(goodResponseXml(), expectation, &trace);
  REQUIRE_FALSE(r.has_value());
  REQUIRE_FALSE(trace.checks.empty());
  CHECK(trace.checks.back().name == "audience");
  CHECK_FALSE(trace.checks.back().passed);
  CHECK(trace.checks.back().detail == r.error().detail);
  for (std::size_t i = 0; i + 1 < trace.checks.size(); ++i) {
    CHECK(trace.checks[i].passed);
  }
}

TEST_CASE("Error details never carry the subject's identity", "[saml][validate]") {
  auto expectation = goodExpectation();
  for (auto mutate : std::vector<void (*)(ResponseExpectation&)>{
           [](ResponseExpectation& e) { e.sp_entity_id = "x"; },
           [](ResponseExpectation& e) { e.acs_url = "x"; },
           [](ResponseExpectation& e) { e.now = kNow + 10000; },
           [](ResponseExpectation& e) { e.request_id = "_other"; }}) {
    auto e = goodExpectation();
    mutate(e);
    auto r = parseAndValidate(goodResponseXml(), e);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().detail.find("pseudo-7f3a9c") == std::string::npos);
    CHECK(r.error().detail.find("National_") == std::string::npos);
  }
}

TEST_CASE("A Response that is not samlp:Response is rejected", "[saml][validate]") {
  auto built = buildAssertion(goodAssertion());
  REQUIRE(built.has_value());
  auto r = validateResponse(built->get(), goodExpectation());
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::kMalformedMessage);
}

TEST_CASE("Replay cache accepts an ID once until it expires", "[saml][replay]") {
  InMemoryReplayCache cache;
  CHECK(cache.insertIfAbsent("_a", 1000, 900));
  CHECK_FALSE(cache.insertIfAbsent("_a", 1000, 901));
  CHECK_FALSE(cache.insertIfAbsent("_a", 2000, 999));
  CHECK(cache.insertIfAbsent("_b", 1100, 950));
  CHECK(cache.size() == 2);
  // at 1000 the first entry is gone (expires is exclusive), the second remains
  CHECK(cache.insertIfAbsent("_a", 1200, 1000));
  CHECK(cache.size() == 2);
  CHECK_FALSE(cache.insertIfAbsent("_b", 1200, 1099));
}

TEST_CASE("Replay cache does not store an already expired ID", "[saml][replay]") {
  InMemoryReplayCache cache;
  CHECK(cache.insertIfAbsent("_old", 100, 100));
  CHECK(cache.size() == 0);
}

TEST_CASE("A full replay cache purges expired IDs, then fails closed", "[saml][replay]") {
  InMemoryReplayCache cache(2);
  CHECK(cache.insertIfAbsent("_1", 100, 0));
  CHECK(cache.insertIfAbsent("_2", 200, 0));
  CHECK_FALSE(cache.insertIfAbsent("_3", 300, 50));  // full, nothing expired: refused
  CHECK(cache.capacityRefusals() == 1);
  CHECK(cache.insertIfAbsent("_3", 300, 100));  // "_1" expired and purged
  CHECK(cache.size() == 2);
  CHECK_FALSE(cache.insertIfAbsent("_2", 300, 150));  // still a replay
}

TEST_CASE("The replay cache tells a replay from a full cache", "[saml][replay]") {
  InMemoryReplayCache cache(1);
  using Outcome = InMemoryReplayCache::Outcome;
  CHECK(cache.insert("_1", 100, 0) == Outcome::kFirstUse);
  CHECK(cache.insert("_1", 100, 10) == Outcome::kReplay);
  CHECK(cache.insert("_2", 100, 10) == Outcome::kFull);
  CHECK(cache.capacityRefusals() == 1);
  CHECK(cache.insert("_2", 200, 100) == Outcome::kFirstUse);  // "_1" expired at 100
}

TEST_CASE("Replay cache is safe under concurrent inserts", "[saml][replay]") {
  InMemoryReplayCache cache;
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        if (cache.insertIfAbsent("_id" + std::to_string(i), 1000, 0)) {
          ++accepted;
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  CHECK(accepted == 500);
  CHECK(cache.size() == 500);
}
