#pragma once
/// @file The weaker algorithms an operator grants one peer, each with a reason and an expiry
/// (migration 16, docs/algorithm-exceptions.md). A change moves the registry generation, so every
/// node's registries carry the exceptions in force; expiry is judged at each use.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "store/caller_certificates.h"
#include "store/db.h"

namespace garde::store {

struct AlgorithmException {
  CallerKind peer_kind = CallerKind::kPublisher;
  std::string peer_id;
  std::string algorithm;  ///< saml::weakAlgorithmName, e.g. "rsa-sha1"
  std::string reason;     ///< why the peer cannot do better (required)
  core::UnixTime expires_at = 0;
  std::string granted_by;
  core::UnixTime granted_at = 0;
};

/// Grants (or renews) an exception. kBadRequest for an empty reason or an unknown algorithm code
/// (the caller validates names; the schema lists them), an expiry not after granted_at.
core::Status grantAlgorithmException(Db& db, const AlgorithmException& exception);
/// kNotFound when the peer has no such exception.
core::Status revokeAlgorithmException(Db& db, CallerKind kind, std::string_view peer_id,
                                      std::string_view algorithm);
/// Every exception (expired ones too, until revoked), by kind, peer and algorithm; of one peer
/// when `peer_id` is given.
core::Result<std::vector<AlgorithmException>> listAlgorithmExceptions(
    Db& db, std::optional<CallerKind> kind = std::nullopt, std::string_view peer_id = {});

}  // namespace garde::store
