#include "saml/algorithms.h"

#include <algorithm>

#include "saml/signature_parts.h"

namespace garde::saml {
namespace {

AlgorithmSupport build() {
  AlgorithmSupport s;
  for (const detail::AlgInfo& a : detail::algorithms()) {
    bool seen = false;
    for (const std::string& d : s.digest_methods) {
      seen = seen || d == a.digest_uri;
    }
    if (!seen) {
      s.digest_methods.emplace_back(a.digest_uri);
    }
    // RSA keys under 2048 bits are refused (saml/keys.h); EC keys are 256 bits and more.
    s.signing_methods.push_back(
        SigningMethod{std::string(a.uri), detail::isEcdsa(a.alg) ? 256 : 2048});
  }
  s.encryption_methods = {
      "http://www.w3.org/2009/xmlenc11#aes256-gcm",
      "http://www.w3.org/2009/xmlenc11#aes128-gcm",
      "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p",
      "http://www.w3.org/2009/xmlenc11#rsa-oaep",
  };
  return s;
}

}  // namespace

std::string_view weakAlgorithmName(WeakAlgorithm algorithm) noexcept {
  switch (algorithm) {
    case WeakAlgorithm::kRsaSha1:
      break;
  }
  return "rsa-sha1";
}

std::optional<WeakAlgorithm> parseWeakAlgorithm(std::string_view name) noexcept {
  if (name == "rsa-sha1") {
    return WeakAlgorithm::kRsaSha1;
  }
  return std::nullopt;
}

bool AlgorithmExceptions::allows(WeakAlgorithm a) const noexcept {
  return std::find(granted.begin(), granted.end(), a) != granted.end();
}

void AlgorithmExceptions::markUsed(WeakAlgorithm a) {
  if (std::find(used.begin(), used.end(), a) == used.end()) {
    used.push_back(a);
  }
}

const AlgorithmSupport& algorithmSupport() {
  static const AlgorithmSupport support = build();
  return support;
}

core::Status checkDigestAlgorithm(std::string_view uri) {
  if (detail::infoByDigestUri(uri) != nullptr) {
    return {};
  }
  return core::fail(core::ErrorCode::kAlgorithmForbidden,
                    "digest method '" + std::string(uri) + "' is not allowed");
}

std::string_view replacementAlgorithm(std::string_view refused) {
  struct Pair {
    std::string_view refused;
    std::string_view instead;
  };
  static constexpr Pair kPairs[] = {
      {"http://www.w3.org/2000/09/xmldsig#rsa-sha1",
       "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"},
      {"http://www.w3.org/2001/04/xmldsig-more#rsa-md5",
       "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"},
      {"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1",
       "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"},
      {"http://www.w3.org/2000/09/xmldsig#dsa-sha1",
       "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"},
      {"http://www.w3.org/2000/09/xmldsig#hmac-sha1",
       "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"},
      {"http://www.w3.org/2000/09/xmldsig#sha1", "http://www.w3.org/2001/04/xmlenc#sha256"},
      {"http://www.w3.org/2001/04/xmldsig-more#md5", "http://www.w3.org/2001/04/xmlenc#sha256"},
      {"http://www.w3.org/2001/04/xmlenc#aes128-cbc", "http://www.w3.org/2009/xmlenc11#aes128-gcm"},
      {"http://www.w3.org/2001/04/xmlenc#aes192-cbc", "http://www.w3.org/2009/xmlenc11#aes256-gcm"},
      {"http://www.w3.org/2001/04/xmlenc#aes256-cbc", "http://www.w3.org/2009/xmlenc11#aes256-gcm"},
      {"http://www.w3.org/2001/04/xmlenc#tripledes-cbc",
       "http://www.w3.org/2009/xmlenc11#aes256-gcm"},
      {"http://www.w3.org/2001/04/xmlenc#rsa-1_5",
       "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"},
  };
  for (const Pair& p : kPairs) {
    if (p.refused == refused) {
      return p.instead;
    }
  }
  return {};
}

}  // namespace garde::saml
