// saml::inflateRaw(), the DEFLATE decoder of the HTTP-Redirect binding (saml/binding/deflate.h):
// never more than the cap (plus one chunk) of output; and deflateRaw() of the input inflates back
// to it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "fuzz_world.h"
#include "saml/binding/deflate.h"

using namespace garde;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::initOnce();
  const std::string_view text = fuzz::asText(data, size);
  constexpr std::size_t kCap = 64 * 1024;
  auto inflated = saml::inflateRaw(text, kCap);
  if (inflated.has_value() && inflated.value().size() > kCap) {
    std::abort();  // the cap is the point of the incremental inflater
  }
  auto round = saml::inflateRaw(saml::deflateRaw(text), size + 1);
  if (!round.has_value() || round.value() != text) {
    std::abort();
  }
  return 0;
}
