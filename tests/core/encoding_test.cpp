#include "core/encoding.h"

#include <catch2/catch.hpp>

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
