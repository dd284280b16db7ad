#include <catch2/catch.hpp>
#include <string>

#include "core/result.h"

namespace garde::core {
namespace {

Result<int> parsePositive(int v) {
  if (v <= 0) {
    return fail(ErrorCode::kMalformedMessage, "not positive");
  }
  return v;
}

Result<std::string> describe(int v) {
  GARDE_ASSIGN_OR_RETURN(const int n, parsePositive(v));
  GARDE_ASSIGN_OR_RETURN(auto twice, parsePositive(n * 2));
  return std::to_string(twice);
}

Status check(int v) {
  GARDE_TRY(parsePositive(v));
  return {};
}

}  // namespace

TEST_CASE("GARDE_ASSIGN_OR_RETURN moves the value on success", "[core][result]") {
  const auto r = describe(21);
  REQUIRE(r.has_value());
  CHECK(*r == "42");
}

TEST_CASE("GARDE_ASSIGN_OR_RETURN returns the error unchanged on failure", "[core][result]") {
  const auto r = describe(-1);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::kMalformedMessage);
  CHECK(r.error().detail == "not positive");
}

TEST_CASE("GARDE_TRY propagates the error of a Result<T>", "[core][result]") {
  CHECK(check(3).has_value());
  const auto s = check(0);
  REQUIRE_FALSE(s.has_value());
  CHECK(s.error().detail == "not positive");
}

}  // namespace garde::core
