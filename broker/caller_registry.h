#pragma once
/// @file The ClientCertificateRegistry of `garde serve` (broker/router.h): which ENT project or
/// publisher a verified TLS client certificate belongs to, read from the store's
/// caller_certificates (migration 6) through a cache that follows the registry generation, so that
/// `garde ent add --cert` / `garde publisher add --remove-cert` take effect on a running server
/// without a restart (docs/adr/0016-client-certificate-callers.md).

#include <optional>

#include "broker/flows/db_pool.h"
#include "broker/request.h"
#include "broker/router.h"
#include "core/time.h"
#include "store/caller_certificates.h"

namespace garde::broker {

/// Identifies callers by the SHA-256 fingerprint of their certificate (after the TLS layer's chain
/// verification), never by its subject. Thread-safe; must outlive the routers it is given to.
class StoreCallerRegistry {
 public:
  StoreCallerRegistry(flows::DbPool& db, const core::Clock& clock) : db_(db), clock_(clock) {}

  /// The caller (Kind kEntProject or kPublisher, id = idENT or SIREN_ISNI) the certificate is
  /// registered to; nullopt when no certificate is presented, its fingerprint is not registered,
  /// its registered not_after has passed, or the store cannot be read (fail closed). Each refusal
  /// of a presented certificate is logged at warn (category broker.callers) with its fingerprint
  /// and reason; never its subject.
  std::optional<Caller> identify(const PeerIdentity& peer) const;

  /// `identify` as the router's function type.
  ClientCertificateRegistry registry() const {
    return [this](const PeerIdentity& peer) { return identify(peer); };
  }

 private:
  flows::DbPool& db_;
  const core::Clock& clock_;
  mutable store::CallerCertificateCache cache_;
};

}  // namespace garde::broker
