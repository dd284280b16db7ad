// Argon2id password hashes (core/password.h): round trip, refusals, the PHC string's parameters.

#include <catch2/catch.hpp>

#include "core/password.h"

namespace {

using namespace garde;

// A small cost keeps the suite fast; the default's parameters are checked on one hash.
constexpr core::PasswordCost kCheap{1024, 1, 1};

}  // namespace

TEST_CASE("A password verifies against its own hash and no other", "[password]") {
  const auto hash = core::hashPassword("correct horse battery staple", core::systemRandom(), kCheap);
  REQUIRE(hash);
  CHECK(hash->rfind("$argon2id$v=19$m=1024,t=1,p=1$", 0) == 0);
  CHECK(core::verifyPassword(*hash, "correct horse battery staple"));
  CHECK_FALSE(core::verifyPassword(*hash, "correct horse battery stapl"));
  CHECK_FALSE(core::verifyPassword(*hash, "Correct horse battery staple"));
  CHECK_FALSE(core::verifyPassword(*hash, ""));
  // A fresh salt every time: the same password hashes differently.
  const auto again = core::hashPassword("correct horse battery staple", core::systemRandom(), kCheap);
  REQUIRE(again);
  CHECK(*again != *hash);
  CHECK(core::verifyPassword(*again, "correct horse battery staple"));
}

TEST_CASE("Non-ASCII passwords are bytes, compared exactly", "[password]") {
  const auto hash = core::hashPassword("élève-ç-ô", core::systemRandom(), kCheap);
  REQUIRE(hash);
  CHECK(core::verifyPassword(*hash, "élève-ç-ô"));
  CHECK_FALSE(core::verifyPassword(*hash, "eleve-c-o"));
}

TEST_CASE("Empty and over-long passwords are refused, not truncated", "[password]") {
  CHECK(core::hashPassword("", core::systemRandom(), kCheap).error().code ==
        core::ErrorCode::kBadRequest);
  const std::string longest(core::kMaxPasswordBytes, 'a');
  const auto hash = core::hashPassword(longest, core::systemRandom(), kCheap);
  REQUIRE(hash);
  CHECK(core::verifyPassword(*hash, longest));
  CHECK_FALSE(core::verifyPassword(*hash, longest + "a"));
  CHECK(core::hashPassword(longest + "a", core::systemRandom(), kCheap).error().code ==
        core::ErrorCode::kBadRequest);
}

TEST_CASE("Malformed or foreign hashes match no password", "[password]") {
  for (const char* bad : {"", "plain", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
                          "$argon2id$v=19$m=1024,t=1,p=1$", "$2b$12$abcdefghijklmnopqrstuv"}) {
    CHECK_FALSE(core::verifyPassword(bad, "plain"));
  }
}

TEST_CASE("The default cost is OWASP's first Argon2id setting; the decoy matches nothing",
          "[password]") {
  const auto hash = core::hashPassword("x", core::systemRandom());
  REQUIRE(hash);
  CHECK(hash->rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0) == 0);
  const std::string& decoy = core::decoyPasswordHash();
  CHECK(decoy.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0) == 0);
  CHECK_FALSE(core::verifyPassword(decoy, "x"));
  CHECK_FALSE(core::verifyPassword(decoy, ""));
}
