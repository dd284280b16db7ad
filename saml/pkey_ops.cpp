#include "saml/pkey_ops.h"

#include <openssl/err.h>
#include <openssl/rsa.h>

#include <vector>

#include "saml/crypto_handles.h"

namespace garde::saml::pkey {
namespace {

struct Fetched {
  // RSA-OAEP's hash, and a granted exception's verification; never to sign
  EvpMd sha1{EVP_MD_fetch(nullptr, "SHA1", nullptr)};
  EvpMd sha256{EVP_MD_fetch(nullptr, "SHA256", nullptr)};
  EvpMd sha384{EVP_MD_fetch(nullptr, "SHA384", nullptr)};
  EvpMd sha512{EVP_MD_fetch(nullptr, "SHA512", nullptr)};
};

const Fetched& fetched() {
  static const Fetched instance;
  return instance;
}

// A context ready for EVP_PKEY_sign or EVP_PKEY_verify, reused for every operation of this
// thread with that key and digest. The entry holds a reference to the key, so the key's address
// cannot be reused by another key while the entry lives: the pointer is a sound identity.
// A signing context works on this thread's own copy of the private key: an RSA key keeps one
// blinding state for the first thread that signs with it and makes every other thread share a
// second one under a lock, which the launch profile showed contended (futex calls in signing).
enum class Op { kSign, kVerify, kOaepEncrypt };

struct Prepared {
  EvpPkey key;
  const EVP_MD* md;
  Op op;
  PkeyCtx ctx;
};

// The broker's own keys and its peers' certificates: a handful per thread. Beyond the bound, the
// oldest entry goes (a metadata reload with many new keys costs one preparation each, no more).
constexpr std::size_t kMaxPrepared = 64;

EVP_PKEY_CTX* prepared(EVP_PKEY* key, const EVP_MD* md, Op op) {
  thread_local std::vector<Prepared> cache;
  for (auto& p : cache) {
    if (p.key.get() == key && p.md == md && p.op == op) {
      return p.ctx.get();
    }
  }
  if (EVP_PKEY_up_ref(key) != 1) {
    return nullptr;
  }
  const bool signing = op == Op::kSign;
  EvpPkey held(key);
  const EvpPkey own(signing ? EVP_PKEY_dup(key) : nullptr);
  if (signing && !own) {
    return nullptr;
  }
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, signing ? own.get() : key, nullptr));
  if (!ctx) {
    return nullptr;
  }
  if (op == Op::kOaepEncrypt) {
    // RSA-OAEP with `md` for both the label hash and MGF1, no label.
    if (EVP_PKEY_encrypt_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), md) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), md) != 1) {
      return nullptr;
    }
  } else if ((signing ? EVP_PKEY_sign_init(ctx.get()) : EVP_PKEY_verify_init(ctx.get())) != 1 ||
             (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA &&
              EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1) ||
             EVP_PKEY_CTX_set_signature_md(ctx.get(), md) != 1) {
    return nullptr;
  }
  if (cache.size() >= kMaxPrepared) {
    cache.erase(cache.begin());
  }
  cache.push_back({std::move(held), md, op, std::move(ctx)});
  return cache.back().ctx.get();
}

}  // namespace

const EVP_MD* digestNamed(std::string_view name) noexcept {
  const auto& f = fetched();
  if (name == "SHA256") {
    return f.sha256.get();
  }
  if (name == "SHA384") {
    return f.sha384.get();
  }
  if (name == "SHA512") {
    return f.sha512.get();
  }
  return nullptr;
}

const EVP_MD* sha1ForGrantedVerification() noexcept { return fetched().sha1.get(); }

bool digest(const EVP_MD* md, std::string_view data, unsigned char* out,
            unsigned int* out_len) noexcept {
  return md != nullptr && EVP_Digest(data.data(), data.size(), out, out_len, md, nullptr) == 1;
}

std::string sign(EVP_PKEY* key, const EVP_MD* md, std::string_view data) {
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int hash_len = 0;
  EVP_PKEY_CTX* ctx = nullptr;
  if (!digest(md, data, hash, &hash_len) || (ctx = prepared(key, md, Op::kSign)) == nullptr) {
    ERR_clear_error();
    return {};
  }
  std::string signature(static_cast<std::size_t>(EVP_PKEY_get_size(key)), '\0');
  std::size_t len = signature.size();
  if (EVP_PKEY_sign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &len, hash,
                    hash_len) != 1) {
    ERR_clear_error();
    return {};
  }
  signature.resize(len);
  return signature;
}

bool verify(EVP_PKEY* key, const EVP_MD* md, std::string_view data,
            std::string_view signature) noexcept {
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int hash_len = 0;
  EVP_PKEY_CTX* ctx = nullptr;
  bool ok = false;
  try {
    ok = digest(md, data, hash, &hash_len) && (ctx = prepared(key, md, Op::kVerify)) != nullptr &&
         EVP_PKEY_verify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                         signature.size(), hash, hash_len) == 1;
  } catch (...) {  // the cache's allocation
    ok = false;
  }
  if (!ok) {
    ERR_clear_error();
  }
  return ok;
}

std::string encryptOaepSha1(EVP_PKEY* key, std::string_view data) {
  EVP_PKEY_CTX* ctx = nullptr;
  std::string out;
  try {
    ctx = prepared(key, fetched().sha1.get(), Op::kOaepEncrypt);
    std::size_t len = static_cast<std::size_t>(EVP_PKEY_get_size(key));
    out.resize(len);
    if (ctx == nullptr ||
        EVP_PKEY_encrypt(ctx, reinterpret_cast<unsigned char*>(out.data()), &len,
                         reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
      out.clear();
    } else {
      out.resize(len);
    }
  } catch (...) {  // the cache's allocation
    out.clear();
  }
  if (out.empty()) {
    ERR_clear_error();
  }
  return out;
}

}  // namespace garde::saml::pkey
