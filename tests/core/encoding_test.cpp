#include "core/encoding.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/time.h"

using garde::core::ErrorCode;

TEST_CASE("base64 round-trips every length and rejects malformed input", "[core][base64]") {
  for (std::size_t n = 0; n < 40; ++n) {
    std::string data;
    for (std::size_t i = 0; i < n; ++i) {
      data += static_cast<char>(i * 37 + 11);
    }
    auto decoded = garde::core::base64Decode(garde::core::base64Encode(data));
    REQUIRE(decoded.has_value());
    CHECK(decoded.value() == data);
    auto url = garde::core::base64UrlDecode(garde::core::base64UrlEncode(data));
    REQUIRE(url.has_value());
    CHECK(url.value() == data);
    std::string page = "value=\"";
    garde::core::appendBase64(page, data);
    CHECK(page == "value=\"" + garde::core::base64Encode(data));
  }
  CHECK(garde::core::base64Encode("hello") == "aGVsbG8=");
  CHECK(garde::core::base64Decode("aGVs\nbG8=").value() == "hello");
  SECTION("characters outside the alphabet") {
    auto r = garde::core::base64Decode("aGV*bG8=");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::kBadEncoding);
  }
  SECTION("truncated") {
    CHECK(garde::core::base64Decode("aGVsb").error().code == ErrorCode::kBadEncoding);
  }
  SECTION("data after padding") {
    CHECK(garde::core::base64Decode("aGU=bG8=").error().code == ErrorCode::kBadEncoding);
  }
  SECTION("output cap") {
    CHECK(garde::core::base64Decode("aGVsbG8=", 3).error().code == ErrorCode::kLimitExceeded);
    CHECK(garde::core::base64Decode("aGVsbG8=", 4).error().code == ErrorCode::kLimitExceeded);
    CHECK(garde::core::base64Decode("aGVsbG8=", 5).value() == "hello");  // exactly the cap
    CHECK(garde::core::base64Decode("aGVs\r\n bG8=", 5).value() == "hello");
    CHECK(garde::core::base64Decode("", 0).value().empty());
    // The four-at-a-time path hands over to the general one mid-input: at whitespace, at an
    // invalid symbol and at the cap.
    CHECK(garde::core::base64Decode("aGVsbG8gd29y bGQh").value() == "hello world!");
    CHECK(garde::core::base64Decode("aGVsbG8gd29ybGQh", 11).error().code ==
          ErrorCode::kLimitExceeded);
    CHECK(garde::core::base64Decode("aGVsbG8gd29ybGQh", 12).value() == "hello world!");
    CHECK(garde::core::base64Decode("aGVsbG8gd2*ybGQh").error().code == ErrorCode::kBadEncoding);
    CHECK(garde::core::base64Decode("aGVsbG8gd29ybG==").error().code == ErrorCode::kBadEncoding);
    CHECK(garde::core::base64Decode("aGVsbG8gd29ybA==").value() == "hello worl");
  }
}

namespace {
// RFC 4648 written out bit by bit: what base64Encode and base64UrlEncode (table-driven, two
// characters per 12 bits) must give.
std::string referenceBase64(std::string_view data, std::string_view alphabet, bool pad) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (const char c : data) {
    acc = (acc << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += alphabet[(acc >> bits) & 63];
    }
  }
  if (bits > 0) {
    out += alphabet[(acc << (6 - bits)) & 63];
  }
  while (pad && out.size() % 4 != 0) {
    out += '=';
  }
  return out;
}
}  // namespace

TEST_CASE("base64 encoding matches RFC 4648 written out, both alphabets, every byte value",
          "[core][base64]") {
  const std::string_view std_alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::string_view url_alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::uint32_t x = 2463534242u;  // xorshift32: the same inputs on every run
  for (std::size_t n = 0; n < 600; ++n) {
    std::string data;
    for (std::size_t i = 0; i < n; ++i) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      data += static_cast<char>(x & 0xff);
    }
    CHECK(garde::core::base64Encode(data) == referenceBase64(data, std_alphabet, true));
    CHECK(garde::core::base64UrlEncode(data) == referenceBase64(data, url_alphabet, false));
    std::string appended = "prefix";
    garde::core::appendBase64(appended, data);
    CHECK(appended == "prefix" + referenceBase64(data, std_alphabet, true));
  }
  std::string all;  // every 12-bit value appears: 0x000000 .. 0xffffff in steps covering both halves
  for (int v = 0; v < 4096; ++v) {
    all += static_cast<char>(v >> 4);
    all += static_cast<char>(((v & 15) << 4) | (v >> 8));
    all += static_cast<char>(v & 0xff);
  }
  CHECK(garde::core::base64Encode(all) == referenceBase64(all, std_alphabet, true));
  CHECK(garde::core::base64UrlEncode(all) == referenceBase64(all, url_alphabet, false));
}

TEST_CASE("URL decoding handles form encoding and rejects bad escapes", "[core][url]") {
  CHECK(garde::core::urlDecode("a%20b+c").value() == "a b c");
  CHECK(garde::core::urlDecode("a+b", false).value() == "a+b");
  CHECK(garde::core::urlDecode("%zz").error().code == ErrorCode::kBadEncoding);
  CHECK(garde::core::urlDecode("abc%2").error().code == ErrorCode::kBadEncoding);
  CHECK(garde::core::urlDecode("%41bc%2b%2B+").value() == "Abc++ ");
  CHECK(garde::core::urlDecode("plain").value() == "plain");
  CHECK(garde::core::urlDecode("").value().empty());
  CHECK(garde::core::urlEncode("a b/é") == "a%20b%2F%C3%A9");
}

TEST_CASE("xs:dateTime parses UTC and offsets and refuses local times", "[core][time]") {
  using garde::core::parseIso8601;
  CHECK(parseIso8601("1970-01-01T00:00:00Z").value() == 0);
  CHECK(parseIso8601("2026-11-23T18:00:00Z").value() == 1795456800);
  CHECK(parseIso8601("2026-11-23T18:00:00.123Z").value() == 1795456800);
  CHECK(parseIso8601("2026-11-23T19:00:00+01:00").value() == 1795456800);
  CHECK_FALSE(parseIso8601("2026-11-23T18:00:00").has_value());
  CHECK_FALSE(parseIso8601("2026-02-30T18:00:00Z").has_value());
  CHECK_FALSE(parseIso8601("2026-11-23 18:00:00Z").has_value());
  CHECK_FALSE(parseIso8601("2026-11-23T18:00:00Zjunk").has_value());
  CHECK(garde::core::formatIso8601(1795456800) == "2026-11-23T18:00:00Z");
  CHECK(garde::core::formatIso8601(951782400) == "2000-02-29T00:00:00Z");
  CHECK(garde::core::formatIso8601(0) == "1970-01-01T00:00:00Z");
  CHECK(garde::core::formatIso8601(-1) == "1969-12-31T23:59:59Z");
  CHECK(garde::core::formatIso8601(253402300799) == "9999-12-31T23:59:59Z");
  CHECK(garde::core::formatIso8601(253402300800) == "10000-01-01T00:00:00Z");
}

TEST_CASE("Formatted instants parse back to themselves", "[core][time]") {
  // Every field through its range: a step prime to the minute, hour and day, over 1900..2100.
  for (garde::core::UnixTime t = -2208988800; t < 4102444800; t += 86400 * 13 + 3607) {
    const std::string text = garde::core::formatIso8601(t);
    REQUIRE(text.size() == 20);
    REQUIRE(garde::core::parseIso8601(text).value() == t);
  }
}

TEST_CASE("HTML escaping replaces the five special characters and keeps the rest", "[core][html]") {
  CHECK(garde::core::htmlEscape("") == "");
  CHECK(garde::core::htmlEscape("abc é") == "abc é");
  CHECK(garde::core::htmlEscape("<a href=\"x\">'&'</a>") ==
        "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  CHECK(garde::core::htmlEscape("&&") == "&amp;&amp;");
  CHECK(garde::core::htmlEscape("x>") == "x&gt;");
}
