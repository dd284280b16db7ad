#include "core/crypto.h"

#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/encoding.h"

namespace garde::core {
namespace {

std::string hexOf(const Result<std::string>& r) {
  REQUIRE(r.has_value());
  return hexEncode(*r);
}

}  // namespace

TEST_CASE("SHA-256 gives the FIPS 180-2 digests", "[core][crypto]") {
  CHECK(hexOf(sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(hexOf(sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hexOf(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("HMAC-SHA256 gives the RFC 4231 values", "[core][crypto]") {
  SECTION("test case 1") {
    const HmacSha256 mac(std::string(20, '\x0b'));
    CHECK(hexOf(mac.mac("Hi There")) ==
          "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  }
  SECTION("test case 2: a key shorter than the block") {
    const HmacSha256 mac("Jefe");
    CHECK(hexOf(mac.mac("what do ya want for nothing?")) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  }
  SECTION("test case 6: a key longer than the block is hashed first") {
    const HmacSha256 mac(std::string(131, '\xaa'));
    CHECK(hexOf(mac.mac("Test Using Larger Than Block-Size Key - Hash Key First")) ==
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  }
}

TEST_CASE("One keyed HMAC gives the same MAC again, and from several threads", "[core][crypto]") {
  const HmacSha256 mac("Jefe");
  const std::string expected = hexOf(mac.mac("what do ya want for nothing?"));
  CHECK(hexOf(mac.mac("what do ya want for nothing?")) == expected);
  CHECK(hexOf(mac.mac("what do ya want for nothing!")) != expected);
  std::vector<std::string> seen(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < seen.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        auto r = mac.mac("what do ya want for nothing?");
        seen[t] = r ? hexEncode(*r) : "failed";
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  for (const auto& s : seen) {
    CHECK(s == expected);
  }
}

TEST_CASE("constantTimeEqual compares bytes and lengths", "[core][crypto]") {
  CHECK(constantTimeEqual("", ""));
  CHECK(constantTimeEqual("binding-cookie", "binding-cookie"));
  CHECK_FALSE(constantTimeEqual("binding-cookie", "binding-cookiE"));
  CHECK_FALSE(constantTimeEqual("binding-cookie", "binding-cooki"));
  CHECK_FALSE(constantTimeEqual("", "x"));
  CHECK(constantTimeEqual(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
  CHECK_FALSE(constantTimeEqual(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

}  // namespace garde::core

TEST_CASE("MD5 (the feed archives' integrity checksum) gives RFC 1321's digests, whole or in parts",
          "[core][crypto][md5]") {
  CHECK(garde::core::md5Hex("") == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(garde::core::md5Hex("abc") == "900150983cd24fb0d6963f7d28e17f72");
  garde::core::Md5 parts;
  parts.update("a");
  parts.update("bc");
  CHECK(parts.finalHex() == "900150983cd24fb0d6963f7d28e17f72");
}
