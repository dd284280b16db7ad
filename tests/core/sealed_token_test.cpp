#include "core/sealed_token.h"

#include <catch2/catch.hpp>

using garde::core::ErrorCode;
using garde::core::TokenSealer;

namespace {
class CountingRandom final : public garde::core::Random {
 public:
  std::string bytes(std::size_t n) override {
    std::string out(n, '\0');
    for (auto& c : out) c = static_cast<char>(++counter_);
    return out;
  }

 private:
  unsigned char counter_ = 0;
};
const std::string kKey(32, 'k');
}  // namespace

TEST_CASE("A sealed token opens with its key and purpose before expiry", "[core][token]") {
  CountingRandom rnd;
  TokenSealer sealer(kKey, 1, rnd);
  const auto token = sealer.seal("launch", "ent=ENTTEST1;uai=0561534N", 1000);
  auto opened = sealer.unseal("launch", token, 999);
  REQUIRE(opened.has_value());
  CHECK(opened.value() == "ent=ENTTEST1;uai=0561534N");
  CHECK(token.find("ENTTEST1") == std::string::npos);
}

TEST_CASE("Sealed tokens refuse expiry, tampering, another key or purpose",
          "[core][token][attack]") {
  CountingRandom rnd;
  TokenSealer sealer(kKey, 1, rnd);
  const auto token = sealer.seal("launch", "payload", 1000);
  CHECK(sealer.unseal("launch", token, 1000).error().code == ErrorCode::kExpired);
  CHECK(sealer.unseal("sso", token, 10).error().code == ErrorCode::kForbidden);
  TokenSealer other(std::string(32, 'x'), 1, rnd);
  CHECK(other.unseal("launch", token, 10).error().code == ErrorCode::kMalformedMessage);
  TokenSealer other_id(kKey, 2, rnd);
  CHECK(other_id.unseal("launch", token, 10).error().code == ErrorCode::kMalformedMessage);
  std::string tampered = token;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  CHECK(sealer.unseal("launch", tampered, 10).error().code == ErrorCode::kMalformedMessage);
  CHECK(sealer.unseal("launch", "!!", 10).error().code == ErrorCode::kBadEncoding);
  CHECK(sealer.unseal("launch", "AAAA", 10).error().code == ErrorCode::kBadEncoding);
}
