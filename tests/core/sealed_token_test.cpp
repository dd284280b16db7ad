#include "core/sealed_token.h"

#include <openssl/evp.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "core/encoding.h"
#include "support/counting_random.h"

using garde::core::ErrorCode;
using garde::core::TokenSealer;

using garde::test::CountingRandom;

namespace {
const std::string kKey(32, 'k');
}  // namespace

TEST_CASE("A sealed token opens with its key and purpose before expiry", "[core][token]") {
  CountingRandom rnd;
  TokenSealer sealer(kKey, 1, rnd);
  const auto token = sealer.seal("launch", "ent=ENTTEST1;uai=0561534N", 1000);
  auto opened = sealer.unseal("launch", token, 999);
  REQUIRE(opened.has_value());
  CHECK(opened.value() == "ent=ENTTEST1;uai=0561534N");
  CHECK(token.find("ENTTEST1") == std::string::npos);
}

TEST_CASE("Sealed tokens refuse expiry, tampering, another key or purpose",
          "[core][token][attack]") {
  CountingRandom rnd;
  TokenSealer sealer(kKey, 1, rnd);
  const auto token = sealer.seal("launch", "payload", 1000);
  CHECK(sealer.unseal("launch", token, 1000).error().code == ErrorCode::kExpired);
  CHECK(sealer.unseal("sso", token, 10).error().code == ErrorCode::kForbidden);
  TokenSealer other(std::string(32, 'x'), 1, rnd);
  CHECK(other.unseal("launch", token, 10).error().code == ErrorCode::kMalformedMessage);
  TokenSealer other_id(kKey, 2, rnd);
  CHECK(other_id.unseal("launch", token, 10).error().code == ErrorCode::kMalformedMessage);
  std::string tampered = token;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  CHECK(sealer.unseal("launch", tampered, 10).error().code == ErrorCode::kMalformedMessage);
  CHECK(sealer.unseal("launch", "!!", 10).error().code == ErrorCode::kBadEncoding);
  CHECK(sealer.unseal("launch", "AAAA", 10).error().code == ErrorCode::kBadEncoding);
}

namespace {
// Opens a token the long way, with a context keyed for this token alone: checks that what the
// sealer's shared pre-keyed contexts produce is plain AES-256-GCM under the token's nonce.
std::string openIndependently(const std::string& key, const std::string& token) {
  const std::string raw = garde::core::base64UrlDecode(token).value();
  const auto* u = reinterpret_cast<const unsigned char*>(raw.data());
  const std::size_t clen = raw.size() - 14 - 16;
  std::string plain(clen, '\0');
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  const bool ok =
      EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr,
                         reinterpret_cast<const unsigned char*>(key.data()), u + 2) == 1 &&
      EVP_DecryptUpdate(ctx, nullptr, &len, u, 2) == 1 &&
      EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(plain.data()), &len, u + 14,
                        static_cast<int>(clen)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16,
                          const_cast<unsigned char*>(u + 14 + clen)) == 1 &&
      EVP_DecryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(plain.data()) + len, &len) == 1;
  EVP_CIPHER_CTX_free(ctx);
  return ok ? plain : std::string("<authentication failed>");
}
}  // namespace

TEST_CASE("Tokens are AES-256-GCM under their own nonce, from any thread", "[core][token]") {
  CountingRandom rnd;
  TokenSealer sealer(kKey, 1, rnd);
  // Each token has its own nonce; opening one with a context set up for it alone gives
  // expiry || purpose || NUL || payload.
  for (int i = 0; i < 3; ++i) {
    const std::string payload = "payload " + std::to_string(i);
    const std::string plain = openIndependently(kKey, sealer.seal("sso", payload, 0x0102));
    CHECK(plain == std::string("\0\0\0\0\0\0\x01\x02sso\0", 12) + payload);
  }
  // Another sealer built from the same key opens them: nothing depends on the instance.
  TokenSealer twin(kKey, 1, rnd);
  CHECK(twin.unseal("sso", sealer.seal("sso", "x", 10), 5).value() == "x");

  // Two threads sealing and opening at once through the shared keyed contexts.
  garde::core::SystemRandom system_random;
  TokenSealer shared(kKey, 1, system_random);
  std::atomic<int> failures{0};
  auto work = [&](int t) {
    for (int i = 0; i < 2000; ++i) {
      const std::string payload = std::to_string(t) + ":" + std::to_string(i);
      const auto token = shared.seal("sso", payload, 100);
      auto opened = shared.unseal("sso", token, 50);
      if (!opened || *opened != payload || openIndependently(kKey, token).substr(12) != payload) {
        ++failures;
      }
    }
  };
  std::thread a(work, 1);
  std::thread b(work, 2);
  a.join();
  b.join();
  CHECK(failures.load() == 0);
}
