#include "policy/pseudonym.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <stdexcept>

#include "core/encoding.h"

namespace garde::policy {
namespace {

// Not a valid SIREN_ISNI, so the shared scope can never equal a publisher's.
constexpr std::string_view kSharedScope = "*";
constexpr std::size_t kMinSecretBytes = 32;

bool validVersion(std::string_view v) {
  return !v.empty() && v.size() <= 16 && std::all_of(v.begin(), v.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  });
}

}  // namespace

Pseudonymizer::Pseudonymizer(PseudonymSettings settings) : settings_(std::move(settings)) {
  if (settings_.secret.size() < kMinSecretBytes) {
    throw std::invalid_argument("pseudonym secret must hold at least 32 bytes");
  }
  if (!validVersion(settings_.secret_version)) {
    throw std::invalid_argument("pseudonym secret version must be 1..16 characters [A-Za-z0-9]");
  }
  EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  keyed_mac_.reset(hmac != nullptr ? EVP_MAC_CTX_new(hmac) : nullptr, EVP_MAC_CTX_free);
  EVP_MAC_free(hmac);  // the context keeps its own reference
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_END};
  if (!keyed_mac_ || EVP_MAC_init(keyed_mac_.get(),
                                  reinterpret_cast<const unsigned char*>(settings_.secret.data()),
                                  settings_.secret.size(), params) != 1) {
    throw std::runtime_error("HMAC-SHA256 unavailable");
  }
}

core::Result<std::string> Pseudonymizer::pseudonym(std::string_view publisher_id,
                                                   std::string_view ent_id,
                                                   std::string_view ent_person_id) const {
  if (ent_id.empty() || ent_person_id.empty() ||
      (settings_.scope == PseudonymScope::kPerPublisher && publisher_id.empty())) {
    return core::fail(core::ErrorCode::kBadRequest, "pseudonym input is empty");
  }
  if (publisher_id.find('\0') != std::string_view::npos ||
      ent_id.find('\0') != std::string_view::npos) {
    return core::fail(core::ErrorCode::kBadRequest, "pseudonym input holds a NUL byte");
  }
  const std::string_view scope =
      settings_.scope == PseudonymScope::kShared ? kSharedScope : publisher_id;
  // The two NUL separators make the message injective: scope and ent_id hold no NUL, and the
  // identifier at the ENT, which may hold anything, comes last.
  std::string message;
  message.reserve(scope.size() + ent_id.size() + ent_person_id.size() + 2);
  message.append(scope).push_back('\0');
  message.append(ent_id).push_back('\0');
  message.append(ent_person_id);

  unsigned char mac[EVP_MAX_MD_SIZE];
  std::size_t mac_len = 0;
  const std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx(
      EVP_MAC_CTX_dup(keyed_mac_.get()), EVP_MAC_CTX_free);
  if (!ctx ||
      EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1 ||
      EVP_MAC_final(ctx.get(), mac, &mac_len, sizeof mac) != 1) {
    return core::fail(core::ErrorCode::kInternal, "HMAC-SHA256 failed");
  }
  const std::string_view raw(reinterpret_cast<const char*>(mac), mac_len);
  std::string out = settings_.secret_version;
  out.push_back('-');
  out += settings_.encoding == PseudonymEncoding::kHex ? core::hexEncode(raw)
                                                       : core::base64UrlEncode(raw);
  return out;
}

}  // namespace garde::policy
