// TOTP (core/totp.h): RFC 6238's SHA-256 test vectors, the drift window, codes good once,
// base32 as authenticator apps read it.

#include <catch2/catch.hpp>

#include "core/totp.h"

namespace {

using namespace garde;

// RFC 6238 appendix B: the SHA-256 seed is this 32-byte ASCII string.
const std::string kSeed = "12345678901234567890123456789012";

}  // namespace

TEST_CASE("TOTP codes are RFC 6238's SHA-256 test vectors", "[totp]") {
  const std::pair<core::UnixTime, const char*> vectors[] = {
      {59, "46119246"},         {1111111109, "68084774"}, {1111111111, "67062674"},
      {1234567890, "91819424"}, {2000000000, "90698825"}, {20000000000, "77737706"}};
  for (const auto& [t, code] : vectors) {
    INFO(t);
    CHECK(core::totpCode(kSeed, core::totpStep(t), 8) == code);
  }
  // Six digits are the last six of the same number.
  CHECK(core::totpCode(kSeed, core::totpStep(59)) == "119246");
}

TEST_CASE("A code is accepted one step either side of now, and only once", "[totp]") {
  const core::UnixTime now = 1'800'000'015;
  const std::int64_t step = core::totpStep(now);
  const std::string current = core::totpCode(kSeed, step);
  CHECK(core::verifyTotp(kSeed, current, now, 0) == step);
  CHECK(core::verifyTotp(kSeed, core::totpCode(kSeed, step - 1), now, 0) == step - 1);
  CHECK(core::verifyTotp(kSeed, core::totpCode(kSeed, step + 1), now, 0) == step + 1);
  CHECK_FALSE(core::verifyTotp(kSeed, core::totpCode(kSeed, step - 2), now, 0));
  CHECK_FALSE(core::verifyTotp(kSeed, core::totpCode(kSeed, step + 2), now, 0));
  // Used once: the same code, or an earlier step's, is refused afterwards.
  CHECK_FALSE(core::verifyTotp(kSeed, current, now, step));
  CHECK_FALSE(core::verifyTotp(kSeed, core::totpCode(kSeed, step - 1), now, step - 1));
  // Another secret's code, a wrong length, non-digits: refused.
  CHECK_FALSE(core::verifyTotp("another secret of twenty bytes!!", current, now, 0));
  CHECK_FALSE(core::verifyTotp(kSeed, current.substr(1), now, 0));
  CHECK_FALSE(core::verifyTotp(kSeed, "abcdef", now, 0));
  CHECK_FALSE(core::verifyTotp("", current, now, 0));
}

TEST_CASE("Base32 round-trips and refuses what is not base32", "[totp]") {
  CHECK(core::base32Encode("foobar") == "MZXW6YTBOI");  // RFC 4648 section 10, unpadded
  CHECK(core::base32Encode("") == "");
  CHECK(core::base32Decode("MZXW6YTBOI") == std::optional<std::string>("foobar"));
  CHECK(core::base32Decode("mzxw 6ytb oi======") == std::optional<std::string>("foobar"));
  CHECK_FALSE(core::base32Decode("MZXW1"));  // 1 is not in the alphabet
  const std::string secret = "\x01\x02\xff\x00\x10 twenty bytes long";
  CHECK(core::base32Decode(core::base32Encode(secret)) == std::optional<std::string>(secret));
}

TEST_CASE("The otpauth URI names the account, the issuer and SHA-256", "[totp]") {
  CHECK(core::totpUri("marie.dupont", "foobar") ==
        "otpauth://totp/garde:marie.dupont?secret=MZXW6YTBOI&issuer=garde&algorithm=SHA256"
        "&digits=6&period=30");
}
