// The HTTP layer's request reader (broker/http/wire.h): one whole HTTP/1.1 request from bytes, with
// the server's limits and with small ones; a request that is read is answered with
// writeResponseBytes() as the server would.
#include <cstddef>
#include <cstdint>

#include "broker/http/wire.h"
#include "fuzz_world.h"

using namespace garde;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::initOnce();
  const std::string_view text = fuzz::asText(data, size);
  auto request = broker::http::parseRequestBytes(text, broker::http::WireLimits{});
  if (request.has_value()) {
    (void)broker::http::writeResponseBytes(request.value(), broker::Response::text(200, "ok"), {});
  }
  auto inbound = broker::http::readRequestBytes(text, broker::http::WireLimits{512, 1024});
  if (inbound.refusal) {
    (void)broker::http::defaultRefusalPage(inbound.request, *inbound.refusal);
  }
  return 0;
}
