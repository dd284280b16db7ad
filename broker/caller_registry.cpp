#include "broker/caller_registry.h"

#include "core/log.h"

namespace garde::broker {
namespace {

constexpr core::Logger kLog("broker.callers");

}  // namespace

std::optional<Caller> StoreCallerRegistry::identify(const PeerIdentity& peer) const {
  if (!peer.present()) {
    return std::nullopt;
  }
  auto lease = db_.acquire();
  if (!lease) {
    kLog.error("client certificate not checked: the database cannot be opened",
               {{"fingerprint", peer.sha256_fingerprint}, {"error", lease.error().describe()}});
    return std::nullopt;
  }
  auto found = cache_.find(lease->db(), peer.sha256_fingerprint);
  if (!found) {
    kLog.error("client certificate not checked: the database cannot be read",
               {{"fingerprint", peer.sha256_fingerprint}, {"error", found.error().describe()}});
    return std::nullopt;
  }
  if (!found->has_value()) {
    kLog.warn("client certificate refused: fingerprint not registered",
              {{"fingerprint", peer.sha256_fingerprint}, {"reason", "unregistered"}});
    return std::nullopt;
  }
  const store::CallerCertificate& cert = **found;
  // The TLS layer checked the certificate's own validity; this is the registration's, which an
  // operator may have recorded (and which a CA outside our control may not enforce).
  if (cert.not_after <= clock_.now()) {
    kLog.warn("client certificate refused: its registration has expired",
              {{"fingerprint", peer.sha256_fingerprint},
               {"reason", "expired"},
               {"caller", cert.caller_id}});
    return std::nullopt;
  }
  return Caller{cert.caller_id, cert.kind == store::CallerKind::kEnt ? Caller::Kind::kEntProject
                                                                     : Caller::Kind::kPublisher};
}

}  // namespace garde::broker
