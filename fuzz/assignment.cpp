// The assignment API's JSON body (broker/api/establishment.h, parseAssignmentRequest): whatever
// the bytes, a clean error or a checked request.
#include <cstddef>
#include <cstdint>

#include "broker/api/establishment.h"
#include "fuzz_world.h"

using namespace garde;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::initOnce();
  auto parsed = broker::api::parseAssignmentRequest(fuzz::asText(data, size));
  if (parsed) {
    // What passes is what the handler relies on.
    if (parsed->subscription.empty() || parsed->subscription.size() > 45) {
      __builtin_trap();
    }
    if ((parsed->kind == policy::AssignmentTargetKind::kEstablishment) != parsed->target.empty()) {
      __builtin_trap();
    }
  }
  return 0;
}
