#include "store/algorithm_exceptions.h"

#include "store/util.h"

namespace garde::store {

core::Status grantAlgorithmException(Db& db, const AlgorithmException& e) {
  if (e.reason.empty()) {
    return core::fail(core::ErrorCode::kBadRequest, "an algorithm exception needs a reason");
  }
  if (e.expires_at <= e.granted_at) {
    return core::fail(core::ErrorCode::kBadRequest, "an algorithm exception must expire later");
  }
  GARDE_STORE_PREPARE(stmt, db,
                      "INSERT INTO algorithm_exceptions(peer_kind, peer_id, algorithm, reason, "
                      "expires_at, granted_by, granted_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                      "ON CONFLICT(peer_kind, peer_id, algorithm) DO UPDATE SET "
                      "reason = excluded.reason, expires_at = excluded.expires_at, "
                      "granted_by = excluded.granted_by, granted_at = excluded.granted_at");
  return stmt
      .bindAll(callerKindCode(e.peer_kind), e.peer_id, e.algorithm, e.reason,
               detail::isoTime(e.expires_at), e.granted_by, detail::isoTime(e.granted_at))
      .run();
}

core::Status revokeAlgorithmException(Db& db, CallerKind kind, std::string_view peer_id,
                                      std::string_view algorithm) {
  GARDE_STORE_PREPARE(stmt, db,
                      "DELETE FROM algorithm_exceptions WHERE peer_kind = ?1 AND peer_id = ?2 AND "
                      "algorithm = ?3");
  GARDE_TRY(stmt.bindAll(callerKindCode(kind), peer_id, algorithm).run());
  if (db.changes() == 0) {
    return core::fail(core::ErrorCode::kNotFound, "the peer has no such algorithm exception");
  }
  return {};
}

core::Result<std::vector<AlgorithmException>> listAlgorithmExceptions(
    Db& db, std::optional<CallerKind> kind, std::string_view peer_id) {
  GARDE_STORE_PREPARE(stmt, db,
                      "SELECT peer_kind, peer_id, algorithm, reason, expires_at, granted_by, "
                      "granted_at FROM algorithm_exceptions WHERE (?1 = '' OR peer_kind = ?1) "
                      "AND (?2 = '' OR peer_id = ?2) ORDER BY peer_kind, peer_id, algorithm");
  stmt.bindAll(kind ? callerKindCode(*kind) : std::string_view(), peer_id);
  std::vector<AlgorithmException> out;
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& s) {
    out.push_back(AlgorithmException{parseCallerKind(s.text(0)).value_or(CallerKind::kPublisher),
                                     s.text(1), s.text(2), s.text(3),
                                     core::parseIso8601(s.text(4)).value_or(0), s.text(5),
                                     core::parseIso8601(s.text(6)).value_or(0)});
  }));
  return out;
}

}  // namespace garde::store
