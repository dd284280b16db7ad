#include "store/caller_certificates.h"

#include "store/launch.h"
#include "store/util.h"

namespace garde::store {
namespace {

constexpr const char* kColumns =
    "SELECT caller_kind, caller_id, sha256, subject, not_after, added_at FROM caller_certificates ";

CallerCertificate certificateRow(const Stmt& stmt) {
  CallerCertificate c;
  c.kind = parseCallerKind(stmt.text(0)).value_or(CallerKind::kPublisher);
  c.caller_id = stmt.text(1);
  c.sha256 = stmt.text(2);
  c.subject = stmt.text(3);
  c.not_after = core::parseIso8601(stmt.text(4)).value_or(0);
  c.added_at = core::parseIso8601(stmt.text(5)).value_or(0);
  return c;
}

}  // namespace

std::string_view callerKindCode(CallerKind kind) noexcept {
  return kind == CallerKind::kEnt ? "ent" : "publisher";
}

std::optional<CallerKind> parseCallerKind(std::string_view code) noexcept {
  if (code == "ent") {
    return CallerKind::kEnt;
  }
  if (code == "publisher") {
    return CallerKind::kPublisher;
  }
  return std::nullopt;
}

core::Status addCallerCertificate(Db& db, const CallerCertificate& cert) {
  GARDE_STORE_PREPARE(stmt, db,
                      "INSERT INTO caller_certificates(caller_kind, caller_id, sha256, subject, "
                      "not_after, added_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  return stmt
      .bindAll(callerKindCode(cert.kind), cert.caller_id, cert.sha256, cert.subject,
               detail::isoTime(cert.not_after), detail::isoTime(cert.added_at))
      .run();
}

core::Status removeCallerCertificate(Db& db, CallerKind kind, std::string_view caller_id,
                                     std::string_view sha256) {
  GARDE_STORE_PREPARE(stmt, db,
                      "DELETE FROM caller_certificates WHERE caller_kind = ?1 AND caller_id = ?2 "
                      "AND sha256 = ?3");
  GARDE_TRY(stmt.bindAll(callerKindCode(kind), caller_id, sha256).run());
  if (db.changes() == 0) {
    return core::fail(core::ErrorCode::kNotFound, "no such certificate for this caller");
  }
  return {};
}

core::Result<std::vector<CallerCertificate>> listCallerCertificates(Db& db, CallerKind kind,
                                                                    std::string_view caller_id) {
  GARDE_STORE_PREPARE(stmt, db,
                      std::string(kColumns) +
                          "WHERE caller_kind = ?1 AND caller_id = ?2 ORDER BY not_after, sha256");
  stmt.bindAll(callerKindCode(kind), caller_id);
  std::vector<CallerCertificate> out;
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& s) { out.push_back(certificateRow(s)); }));
  return out;
}

core::Result<CallerCertificate> findCallerCertificate(Db& db, std::string_view sha256) {
  GARDE_STORE_PREPARE(stmt, db, std::string(kColumns) + "WHERE sha256 = ?1");
  stmt.bind(1, sha256);
  GARDE_STORE_STEP(found, stmt);
  if (!found) {
    return core::fail(core::ErrorCode::kNotFound, "no certificate with this fingerprint");
  }
  return certificateRow(stmt);
}

core::Status bumpRegistryGeneration(Db& db) {
  GARDE_STORE_PREPARE(stmt, db, "UPDATE registry_generation SET n = n + 1 WHERE id = 1");
  return stmt.run();
}

core::Result<std::optional<CallerCertificate>> CallerCertificateCache::find(
    Db& db, std::string_view sha256) {
  std::optional<Transaction> tx;
  if (!db.inTransaction()) {
    GARDE_ASSIGN_OR_RETURN(Transaction begun, Transaction::begin(db, Transaction::Kind::kDeferred));
    tx.emplace(std::move(begun));
  }
  GARDE_ASSIGN_OR_RETURN(const std::int64_t generation, registryGeneration(db));
  std::shared_ptr<const Map> current;
  {
    const std::lock_guard lock(mutex_);
    if (generation == generation_) {
      current = certificates_;
    }
  }
  if (!current) {
    // The table is small (a few certificates per partner): read it whole, in the snapshot of
    // `generation`.
    GARDE_STORE_PREPARE(stmt, db, kColumns);
    auto map = std::make_shared<Map>();
    GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& s) {
      CallerCertificate c = certificateRow(s);
      std::string key = c.sha256;
      map->emplace(std::move(key), std::move(c));
    }));
    current = map;
    const std::lock_guard lock(mutex_);
    if (generation >= generation_) {  // generations only grow: never keep an older snapshot
      generation_ = generation;
      certificates_ = current;
    }
  }
  if (tx) {
    GARDE_TRY(tx->commit());
  }
  if (auto it = current->find(std::string(sha256)); it != current->end()) {
    return std::optional<CallerCertificate>(it->second);
  }
  return std::optional<CallerCertificate>();
}

}  // namespace garde::store
