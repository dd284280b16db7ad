// The admin sign-in's JSON body (broker/api/admin_accounts.h, parseLoginRequest): whatever the
// bytes, a clean error or a checked request.
#include <cstddef>
#include <cstdint>

#include "broker/api/admin_accounts.h"
#include "core/password.h"
#include "fuzz_world.h"

using namespace garde;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::initOnce();
  auto parsed = broker::api::parseLoginRequest(fuzz::asText(data, size));
  if (parsed) {
    // What passes is what the handler relies on: bounded, non-empty name and password.
    if (parsed->username.empty() || parsed->username.size() > 64 || parsed->password.empty() ||
        parsed->password.size() > core::kMaxPasswordBytes ||
        (parsed->totp && parsed->totp->size() > 16)) {
      __builtin_trap();
    }
  }
  return 0;
}
