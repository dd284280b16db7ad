// core::TokenSealer (core/sealed_token.h) with a fixed key. First byte even: the rest is a token,
// unsealed for both purposes at a fixed instant. Odd: the rest is a payload, sealed (expiry from
// the next 8 bytes) and unsealed again, which must give it back before the expiry and kExpired at
// it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/sealed_token.h"
#include "fuzz_world.h"
#include "support/constants.h"
#include "support/counting_random.h"

using namespace garde;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::initOnce();
  if (size == 0) {
    return 0;
  }
  test::CountingRandom random;  // fresh per input: the nonce depends on nothing else
  const core::TokenSealer sealer(fuzz::tokenKey(), 1, random);
  const std::string_view rest = fuzz::asText(data + 1, size - 1);
  if ((data[0] & 1) == 0) {
    (void)sealer.unseal("sso", rest, test::kNow);
    (void)sealer.unseal("launch", rest, test::kNow);
    return 0;
  }
  std::uint64_t raw = 0;
  for (std::size_t i = 0; i < 8 && i < rest.size(); ++i) {
    raw = (raw << 8) | static_cast<unsigned char>(rest[i]);
  }
  // Any instant from 1970 to about year 36812: a token's expiry is an instant garde chose.
  const core::UnixTime expires = static_cast<core::UnixTime>(raw % (1ULL << 40)) + 1;
  const std::string_view payload = rest.size() > 8 ? rest.substr(8) : std::string_view{};
  const std::string token = sealer.seal("sso", payload, expires);
  auto opened = sealer.unseal("sso", token, expires - 1);
  if (token.size() <= 16 * 1024 && (!opened.has_value() || opened.value() != payload)) {
    std::abort();
  }
  if (sealer.unseal("sso", token, expires).has_value() ||
      sealer.unseal("launch", token, expires - 1).has_value()) {
    std::abort();
  }
  return 0;
}
