#pragma once
/// @file Passwords of the local admin accounts: Argon2id (RFC 9106), stored in the PHC string
/// format (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`), which carries its own parameters, so
/// that raising the cost later leaves existing hashes verifiable (docs/adr/0019).

#include <cstdint>
#include <string>
#include <string_view>

#include "core/random.h"
#include "core/result.h"

namespace garde::core {

/// Argon2id cost. The default is OWASP's first recommended setting (19 MiB, 2 passes, 1 lane):
/// about 40 ms on one core of the reference machine (docs/performance.md), a few hundred
/// guesses per second per core for an attacker holding the database.
struct PasswordCost {
  std::uint32_t memory_kib = 19 * 1024;
  std::uint32_t passes = 2;
  std::uint32_t lanes = 1;
};

/// The longest password accepted (bytes); longer ones are refused, not truncated.
inline constexpr std::size_t kMaxPasswordBytes = 1024;

/// The PHC string of `password` under a fresh 16-byte salt from `random`. kBadRequest for an
/// empty or over-long password; kInternal if libargon2 fails (out of memory).
Result<std::string> hashPassword(std::string_view password, Random& random,
                                 const PasswordCost& cost = {});

/// Whether `password` matches `encoded` (a PHC argon2id string). A malformed string or another
/// algorithm does not match. Takes the time the encoded cost asks for, whatever the answer.
bool verifyPassword(std::string_view encoded, std::string_view password);

/// A PHC string of the default cost that no password matches: verified against when the
/// username is unknown, so that the answer takes as long as for a known one.
const std::string& decoyPasswordHash();

}  // namespace garde::core
