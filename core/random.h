#pragma once
/// @file Randomness as an interface, so tests are deterministic; the real one reads OpenSSL's
/// CSPRNG.

#include <cstddef>
#include <string>

namespace garde::core {

class Random {
 public:
  virtual ~Random() = default;
  /// Returns `n` random bytes. Thread-safe in every implementation.
  virtual std::string bytes(std::size_t n) = 0;

  /// A fresh SAML ID: "_" + 40 hex digits (160 bits, an xs:ID / NCName; SAML2 Core 1.3.4).
  std::string newId();
};

/// OpenSSL RAND_bytes. Draws of up to 32 bytes are served from a per-thread block of its output,
/// discarded in a forked child; larger draws call RAND_bytes directly. Throws std::runtime_error
/// if the CSPRNG fails (truly exceptional).
class SystemRandom final : public Random {
 public:
  std::string bytes(std::size_t n) override;
};

/// Process-wide SystemRandom.
Random& systemRandom();

}  // namespace garde::core
