#pragma once
/// @file The client certificates ENT projects and publishers call the partner APIs with
/// (migration 6, docs/data-model.md "caller_certificates"), and the cache the broker's
/// ClientCertificateRegistry reads them through.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "store/db.h"

namespace garde::store {

/// Who a certificate is registered to.
enum class CallerKind { kEnt, kPublisher };
std::string_view callerKindCode(CallerKind kind) noexcept;  ///< "ent" | "publisher"
std::optional<CallerKind> parseCallerKind(std::string_view code) noexcept;

/// One registered certificate.
struct CallerCertificate {
  CallerKind kind = CallerKind::kPublisher;
  std::string caller_id;  ///< idENT or SIREN_ISNI
  std::string sha256;     ///< lower-case hex SHA-256 of the DER (64 characters)
  std::string subject;    ///< RFC 2253, for display only: never used to identify
  core::UnixTime not_after = 0;
  core::UnixTime added_at = 0;
};

/// Registers a certificate. kConflict when the fingerprint is already registered (to anyone),
/// is not 64 lower-case hex digits, or the caller does not exist.
core::Status addCallerCertificate(Db& db, const CallerCertificate& cert);
/// Removes the certificate of fingerprint `sha256` from `caller_id`; kNotFound when that caller
/// has no such certificate.
core::Status removeCallerCertificate(Db& db, CallerKind kind, std::string_view caller_id,
                                     std::string_view sha256);
/// The certificates of one caller, by not_after then fingerprint.
core::Result<std::vector<CallerCertificate>> listCallerCertificates(Db& db, CallerKind kind,
                                                                    std::string_view caller_id);
/// The certificate of this fingerprint; kNotFound when none.
core::Result<CallerCertificate> findCallerCertificate(Db& db, std::string_view sha256);

/// Bumps the registry generation (for a change the triggers do not see, e.g. an ENT's or a
/// publisher's own row), so that what follows it reads again.
core::Status bumpRegistryGeneration(Db& db);

/// Every registered certificate, kept in memory and read again when the registry generation
/// (migration 4, bumped by the triggers of migration 6 on every change of caller_certificates)
/// has moved: one single-row query per call otherwise, so that `garde ent add --cert` or
/// `--remove-cert` on a running deployment is in force for the next request. Thread-safe.
class CallerCertificateCache {
 public:
  /// The certificate of `sha256`, or nullopt when it is not registered; kStoreError when the
  /// database fails. Expiry is the caller's check (it knows `now`).
  core::Result<std::optional<CallerCertificate>> find(Db& db, std::string_view sha256);

 private:
  using Map = std::unordered_map<std::string, CallerCertificate>;
  std::mutex mutex_;
  std::int64_t generation_ = -1;
  std::shared_ptr<const Map> certificates_;
};

}  // namespace garde::store
