// The catalogue change's path code and JSON body (broker/api/admin_catalogue.h,
// parseCatalogueRequest, parseCatalogueDeleteRequest): whatever the bytes, a clean error or a
// checked request. The input is the code, a newline, then the body.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "broker/api/admin_catalogue.h"
#include "fuzz_world.h"

using namespace garde;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::initOnce();
  const std::string_view input = fuzz::asText(data, size);
  const std::size_t nl = input.find('\n');
  const std::string_view code =
      nl == std::string_view::npos ? std::string_view() : input.substr(0, nl);
  const std::string_view body = nl == std::string_view::npos ? input : input.substr(nl + 1);
  if (auto parsed = broker::api::parseCatalogueRequest(code, body)) {
    // What passes is what the store relies on: a checked code, a reason, a bounded meaning
    // without control characters, at least one profile, a bounded position.
    if (!broker::api::isAttributeCode(parsed->entry.code) || parsed->entry.code != code ||
        parsed->reason.empty() || parsed->reason.size() > 1000 || parsed->entry.meaning.empty() ||
        parsed->entry.meaning.size() > 200 || parsed->entry.profiles.empty()) {
      __builtin_trap();
    }
    for (const char c : parsed->entry.meaning) {
      if (static_cast<unsigned char>(c) < 0x20) {
        __builtin_trap();
      }
    }
    if (parsed->position && (*parsed->position < 0 || *parsed->position > 10000)) {
      __builtin_trap();
    }
  }
  if (auto reason = broker::api::parseCatalogueDeleteRequest(body)) {
    if (reason->empty() || reason->size() > 1000) {
      __builtin_trap();
    }
  }
  return 0;
}
