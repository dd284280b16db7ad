// The decoders of the broker's Request (broker/request.h): parseUrlEncoded() for query strings and
// form bodies, parseCookieHeader() for Cookie values; and core/encoding.h's percent, base64 and
// base64url decoders they and the bindings use.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "broker/request.h"
#include "core/encoding.h"
#include "fuzz_world.h"

using namespace garde;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::initOnce();
  const std::string_view text = fuzz::asText(data, size);
  (void)broker::parseUrlEncoded(text);
  std::map<std::string, std::string, std::less<>> cookies;
  broker::parseCookieHeader(text, cookies);
  (void)core::urlDecode(text, true);
  (void)core::urlDecode(text, false);
  (void)core::base64Decode(text, 4096);
  (void)core::base64UrlDecode(text);
  return 0;
}
