#include "core/sealed_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <memory>
#include <stdexcept>

#include "core/c_handle.h"
#include "core/encoding.h"

namespace garde::core {
namespace {

using CipherCtx = CHandle<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;
constexpr std::uint8_t kVersion = 1;
constexpr std::size_t kNonce = 12;
constexpr std::size_t kTag = 16;

// Fetched once: the legacy EVP_aes_256_gcm() is looked up in the provider store at every init.
const EVP_CIPHER* aes256Gcm() {
  static const CHandle<EVP_CIPHER, EVP_CIPHER_free> cipher(
      EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr));
  if (!cipher) {
    throw std::runtime_error("AES-256-GCM unavailable");
  }
  return cipher.get();
}

// A context for `encrypt` (or decrypt) under `key`, with no nonce yet. GCM's default nonce length
// is the 12 bytes tokens use.
std::shared_ptr<EVP_CIPHER_CTX> keyedContext(const std::string& key, bool encrypt) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx ||
      EVP_CipherInit_ex(ctx.get(), aes256Gcm(), nullptr,
                        reinterpret_cast<const unsigned char*>(key.data()), nullptr,
                        encrypt ? 1 : 0) != 1 ||
      EVP_CIPHER_CTX_get_iv_length(ctx.get()) != static_cast<int>(kNonce)) {
    throw std::runtime_error("AES-256-GCM cannot be set up");
  }
  return std::shared_ptr<EVP_CIPHER_CTX>(std::move(ctx));  // shared: only read, by copies
}

// A fresh context from `keyed`, given `nonce`: a copy costs a fraction of setting the key again.
CipherCtx withNonce(const EVP_CIPHER_CTX* keyed, const unsigned char* nonce) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_CIPHER_CTX_copy(ctx.get(), keyed) != 1 ||
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, nullptr, nonce, -1) != 1) {
    return CipherCtx();
  }
  return ctx;
}

}  // namespace

TokenSealer::TokenSealer(std::string key, std::uint8_t key_id, Random& random)
    : key_id_(key_id), random_(random) {
  if (key.size() != 32) {
    throw std::invalid_argument("state token key must be 32 bytes");
  }
  encrypt_ = keyedContext(key, true);
  decrypt_ = keyedContext(key, false);
  OPENSSL_cleanse(key.data(), key.size());
}

std::string TokenSealer::seal(std::string_view purpose, std::string_view payload,
                              UnixTime expires) const {
  std::string plain;
  plain.reserve(8 + purpose.size() + 1 + payload.size());
  for (int i = 7; i >= 0; --i) {
    plain += static_cast<char>((static_cast<std::uint64_t>(expires) >> (i * 8)) & 0xff);
  }
  plain += purpose;
  plain += '\0';
  plain += payload;

  std::string out;
  out += static_cast<char>(kVersion);
  out += static_cast<char>(key_id_);
  out += random_.bytes(kNonce);
  const std::size_t header = out.size();
  out.resize(header + plain.size() + kTag);
  auto* u = reinterpret_cast<unsigned char*>(out.data());
  CipherCtx ctx = withNonce(encrypt_.get(), u + 2);
  int len = 0;
  int total = 0;
  // The version and key id are authenticated as additional data.
  if (!ctx || EVP_EncryptUpdate(ctx.get(), nullptr, &len, u, 2) != 1 ||
      EVP_EncryptUpdate(ctx.get(), u + header, &len,
                        reinterpret_cast<const unsigned char*>(plain.data()),
                        static_cast<int>(plain.size())) != 1) {
    throw std::runtime_error("token sealing failed");
  }
  total = len;
  if (EVP_EncryptFinal_ex(ctx.get(), u + header + total, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag, u + header + plain.size()) != 1) {
    throw std::runtime_error("token sealing failed");
  }
  return base64UrlEncode(out);
}

Result<std::string> TokenSealer::unseal(std::string_view purpose, std::string_view token,
                                        UnixTime now) const {
  if (token.size() > 16384) {
    return fail(ErrorCode::kLimitExceeded, "token too long");
  }
  GARDE_ASSIGN_OR_RETURN(const std::string data, base64UrlDecode(token));
  if (data.size() < 2 + kNonce + kTag + 9) {
    return fail(ErrorCode::kBadEncoding, "token too short");
  }
  if (static_cast<std::uint8_t>(data[0]) != kVersion ||
      static_cast<std::uint8_t>(data[1]) != key_id_) {
    return fail(ErrorCode::kMalformedMessage, "token version or key id unknown");
  }
  const auto* u = reinterpret_cast<const unsigned char*>(data.data());
  const std::size_t header = 2 + kNonce;
  const std::size_t clen = data.size() - header - kTag;
  std::string plain(clen, '\0');
  CipherCtx ctx = withNonce(decrypt_.get(), u + 2);
  int len = 0;
  if (!ctx || EVP_DecryptUpdate(ctx.get(), nullptr, &len, u, 2) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len, u + header,
                        static_cast<int>(clen)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag,
                          const_cast<unsigned char*>(u + header + clen)) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len, &len) !=
          1) {
    return fail(ErrorCode::kMalformedMessage, "token authentication failed");
  }
  std::uint64_t expires = 0;
  for (int i = 0; i < 8; ++i) {
    expires = (expires << 8) | static_cast<unsigned char>(plain[static_cast<std::size_t>(i)]);
  }
  const auto nul = plain.find('\0', 8);
  if (nul == std::string::npos || std::string_view(plain).substr(8, nul - 8) != purpose) {
    return fail(ErrorCode::kForbidden, "token was issued for another purpose");
  }
  if (now >= static_cast<UnixTime>(expires)) {
    return fail(ErrorCode::kExpired, "token expired");
  }
  return plain.substr(nul + 1);
}

}  // namespace garde::core
