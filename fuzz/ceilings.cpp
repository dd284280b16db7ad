// The ceilings change's JSON body (broker/api/admin_ceilings.h, parseCeilingsRequest): whatever
// the bytes, a clean error or a checked request.
#include <cstddef>
#include <cstdint>

#include "broker/api/admin_ceilings.h"
#include "fuzz_world.h"

using namespace garde;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::initOnce();
  auto parsed = broker::api::parseCeilingsRequest(fuzz::asText(data, size));
  if (parsed) {
    // What passes is what the store relies on: a reason, rows of bounded codes.
    if (parsed->reason.empty() || parsed->reason.size() > 1000) {
      __builtin_trap();
    }
    for (const auto& [key, codes] : parsed->ceilings.rows()) {
      if (key.second.empty() || key.second.size() > 64) {
        __builtin_trap();
      }
      for (const auto& code : codes) {
        if (code.empty() || code.size() > 32 || code.find('*') != std::string::npos) {
          __builtin_trap();
        }
      }
    }
  }
  return 0;
}
