#include <catch2/catch.hpp>

#include "core/gzip.h"

using garde::core::acceptsGzip;
using garde::core::gzipCompress;

TEST_CASE("Accept-Encoding admits gzip unless its q-value is 0", "[core][gzip]") {
  CHECK(acceptsGzip("gzip"));
  CHECK(acceptsGzip("GZip"));
  CHECK(acceptsGzip("deflate, gzip;q=0.5"));
  CHECK(acceptsGzip("x-gzip"));
  CHECK(acceptsGzip("*"));
  CHECK(acceptsGzip("br ; q=1 , gzip ; q=0.001"));
  CHECK_FALSE(acceptsGzip(""));
  CHECK_FALSE(acceptsGzip("identity"));
  CHECK_FALSE(acceptsGzip("br, deflate"));
  CHECK_FALSE(acceptsGzip("gzip;q=0"));
  CHECK_FALSE(acceptsGzip("gzip; q=0.000"));
  CHECK_FALSE(acceptsGzip("gzipx"));
}

TEST_CASE("gzipCompress writes one gzip member", "[core][gzip]") {
  const std::string body(10000, 'a');
  const std::string z = gzipCompress(body);
  REQUIRE(z.size() > 18);
  CHECK(static_cast<unsigned char>(z[0]) == 0x1f);
  CHECK(static_cast<unsigned char>(z[1]) == 0x8b);
  CHECK(z.size() < body.size() / 10);
  // The trailer holds the input size modulo 2^32, little-endian.
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(z[z.size() - 4 + i]); };
  CHECK((byte(0) | byte(1) << 8 | byte(2) << 16 | byte(3) << 24) == 10000);
  CHECK(gzipCompress("").size() >= 18);
}
