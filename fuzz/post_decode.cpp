// The HTTP-POST binding (saml/binding/post.h): decodePostBody() of a raw
// application/x-www-form-urlencoded body (duplicates, percent escapes, base64, limits).
#include <cstddef>
#include <cstdint>

#include "fuzz_world.h"
#include "saml/binding/post.h"

using namespace garde;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::initOnce();
  const std::string_view text = fuzz::asText(data, size);
  (void)saml::decodePostBody(text);
  (void)saml::decodePostBody(text, saml::DecodeLimits{2048, 4096, 80});
  return 0;
}
