// The HTTP-Redirect binding (saml/binding/redirect.h): decodeRedirect() of a raw query string
// (percent escapes, base64, DEFLATE, the signed bytes), then verifyRedirectSignature() with the
// fuzz world's certificate when the query carries a signature; and decodeAny(), the operator's
// paste decoder of `garde saml inspect`, on the same bytes.
#include <cstddef>
#include <cstdint>

#include "fuzz_world.h"
#include "saml/binding/decode_any.h"
#include "saml/binding/redirect.h"

using namespace garde;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::initOnce();
  const std::string_view text = fuzz::asText(data, size);
  auto message = saml::decodeRedirect(text);
  if (message.has_value() && message.value().hasRedirectSignature()) {
    (void)saml::verifyRedirectSignature(message.value(), {fuzz::credential().cert});
  }
  (void)saml::decodeRedirect(text, saml::DecodeLimits{2048, 4096, 80});
  (void)saml::splitQuery(text);
  auto any = saml::decodeAny(text);
  if (any.has_value()) {
    (void)any.value().asInbound();
  }
  return 0;
}
