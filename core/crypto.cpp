#include "core/crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <stdexcept>

#include "core/c_handle.h"

namespace garde::core {
namespace {

using Md = CHandle<EVP_MD, EVP_MD_free>;
using Mac = CHandle<EVP_MAC, EVP_MAC_free>;
using MacCtx = CHandle<EVP_MAC_CTX, EVP_MAC_CTX_free>;

constexpr std::size_t kSha256Bytes = 32;

// Fetched once: a legacy EVP_sha256() is looked up in the provider store, under a lock, at each
// use (docs/adr/0007-launch-path-performance.md).
const EVP_MD* sha256Md() {
  static const Md md(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  return md.get();
}

}  // namespace

Result<std::string> sha256(std::string_view data) {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int len = 0;
  const EVP_MD* md = sha256Md();
  if (md == nullptr ||
      EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &len, md,
                 nullptr) != 1 ||
      len != kSha256Bytes) {
    return fail(ErrorCode::kInternal, "SHA-256 failed");
  }
  out.resize(len);
  return out;
}

HmacSha256::HmacSha256(std::string_view key) {
  const Mac hmac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  // The context keeps its own reference to `hmac`.
  MacCtx ctx(hmac ? EVP_MAC_CTX_new(hmac.get()) : nullptr);
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_END};
  if (!ctx || EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(key.data()),
                           key.size(), params) != 1) {
    throw std::runtime_error("HMAC-SHA256 unavailable");
  }
  keyed_ = std::move(ctx);  // shared from here: only read, by copies
}

Result<std::string> HmacSha256::mac(std::string_view message) const {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  std::size_t len = 0;
  const MacCtx ctx(EVP_MAC_CTX_dup(keyed_.get()));
  if (!ctx ||
      EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1 ||
      EVP_MAC_final(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, out.size()) !=
          1 ||
      len != kSha256Bytes) {
    return fail(ErrorCode::kInternal, "HMAC-SHA256 failed");
  }
  out.resize(len);
  return out;
}

bool constantTimeEqual(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

namespace {
void freeMdCtx(evp_md_ctx_st* ctx) { EVP_MD_CTX_free(ctx); }
}  // namespace

Md5::Md5() : ctx_(EVP_MD_CTX_new(), freeMdCtx) {
  static const Md md5(EVP_MD_fetch(nullptr, "MD5", nullptr));
  if (!ctx_ || md5 == nullptr || EVP_DigestInit_ex(ctx_.get(), md5.get(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL has no MD5");
  }
}
Md5::Md5(Md5&&) noexcept = default;
Md5& Md5::operator=(Md5&&) noexcept = default;
Md5::~Md5() = default;

void Md5::update(std::string_view data) {
  (void)EVP_DigestUpdate(ctx_.get(), data.data(), data.size());
}

std::string Md5::finalHex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), digest, &len) != 1) {
    return {};
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

std::string md5Hex(std::string_view data) {
  Md5 md5;
  md5.update(data);
  return md5.finalHex();
}

}  // namespace garde::core
