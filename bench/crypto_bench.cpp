// The bare costs the SAML benchmarks are compared with, in the same binary and on the same kind of
// keys: one RSA-2048 PKCS#1 v1.5 SHA-256 signature, one ECDSA P-256 SHA-256 signature, and one
// verification of each. Each EVP_DigestSign/EVP_DigestVerify iteration sets up its own EVP_MD_CTX,
// as a real signer does per message; the *_PkeySign variants sign a ready digest with a context
// prepared once, which is what `openssl speed rsa2048` measures.

#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <string>
#include <vector>

#include "core/c_handle.h"
#include "saml/keys.h"

namespace garde::bench {
namespace {

using MdCtx = core::CHandle<EVP_MD_CTX, EVP_MD_CTX_free>;
using PkeyCtx = core::CHandle<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;

// About the size of a canonical ds:SignedInfo with one Reference: what XML-DSig actually signs.
const std::string& signedInfoSized() {
  static const std::string data(640, 'x');
  return data;
}

const saml::PrivateKey& rsaKey() {
  static const saml::PrivateKey key = saml::PrivateKey::generateRsa(2048);
  return key;
}

const saml::PrivateKey& ecKey() {
  static const saml::PrivateKey key = saml::PrivateKey::generateEcP256();
  return key;
}

std::vector<unsigned char> digestSign(EVP_PKEY* key, const std::string& data) {
  MdCtx md(EVP_MD_CTX_new());
  std::size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  if (!md ||
      EVP_DigestSignInit_ex(md.get(), nullptr, "SHA256", nullptr, nullptr, key, nullptr) != 1 ||
      EVP_DigestSign(md.get(), nullptr, &len, in, data.size()) != 1) {
    return {};
  }
  std::vector<unsigned char> sig(len);
  if (EVP_DigestSign(md.get(), sig.data(), &len, in, data.size()) != 1) {
    return {};
  }
  sig.resize(len);
  return sig;
}

bool digestVerify(EVP_PKEY* key, const std::string& data, const std::vector<unsigned char>& sig) {
  MdCtx md(EVP_MD_CTX_new());
  return md &&
         EVP_DigestVerifyInit_ex(md.get(), nullptr, "SHA256", nullptr, nullptr, key, nullptr) ==
             1 &&
         EVP_DigestVerify(md.get(), sig.data(), sig.size(),
                          reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
}

void BM_DigestSign(benchmark::State& state, bool rsa) {
  EVP_PKEY* key = rsa ? rsaKey().get() : ecKey().get();
  const std::string& data = signedInfoSized();
  for (auto _ : state) {
    auto sig = digestSign(key, data);
    if (sig.empty()) {
      state.SkipWithError("EVP_DigestSign failed");
      break;
    }
    benchmark::DoNotOptimize(sig);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_DigestSign, rsa2048_sha256, true);
BENCHMARK_CAPTURE(BM_DigestSign, ecdsa_p256_sha256, false);

void BM_DigestVerify(benchmark::State& state, bool rsa) {
  EVP_PKEY* key = rsa ? rsaKey().get() : ecKey().get();
  const std::string& data = signedInfoSized();
  const auto sig = digestSign(key, data);
  for (auto _ : state) {
    if (!digestVerify(key, data, sig)) {
      state.SkipWithError("EVP_DigestVerify failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_DigestVerify, rsa2048_sha256, true);
BENCHMARK_CAPTURE(BM_DigestVerify, ecdsa_p256_sha256, false);

// A 32-byte digest signed with a context prepared once (openssl speed's loop).
void BM_PkeySign(benchmark::State& state, bool rsa) {
  EVP_PKEY* key = rsa ? rsaKey().get() : ecKey().get();
  PkeyCtx ctx(EVP_PKEY_CTX_new(key, nullptr));
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
      (rsa && EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1) ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) != 1) {
    state.SkipWithError("EVP_PKEY_sign_init failed");
    return;
  }
  const std::vector<unsigned char> digest(32, 0x5a);
  std::vector<unsigned char> sig(EVP_PKEY_get_size(key));
  for (auto _ : state) {
    std::size_t len = sig.size();
    if (EVP_PKEY_sign(ctx.get(), sig.data(), &len, digest.data(), digest.size()) != 1) {
      state.SkipWithError("EVP_PKEY_sign failed");
      break;
    }
    benchmark::DoNotOptimize(sig.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_PkeySign, rsa2048, true);
BENCHMARK_CAPTURE(BM_PkeySign, ecdsa_p256, false);

}  // namespace
}  // namespace garde::bench
