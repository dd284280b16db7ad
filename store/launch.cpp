#include "store/launch.h"

#include "store/subscriptions.h"
#include "store/util.h"

namespace garde::store {
namespace {

template <class T>
core::Status take(core::Result<T>&& r, T& out) {
  if (!r) {
    return core::fail(std::move(r).error());
  }
  out = std::move(r).value();
  return {};
}

core::Status entExists(Db& db, std::string_view ent_id) {
  GARDE_STORE_PREPARE(stmt, db, "SELECT 1 FROM ents WHERE id = ?1");
  stmt.bind(1, ent_id);
  GARDE_STORE_STEP(found, stmt);
  if (!found) {
    return core::fail(core::ErrorCode::kUnknownPeer, "unknown ENT");
  }
  return {};
}

}  // namespace

core::Result<LaunchInputs> loadLaunchInputs(Db& db, std::string_view ent_id,
                                            std::string_view ent_person_id, std::string_view uai,
                                            std::string_view resource_id,
                                            std::optional<policy::Profile> wanted) {
  std::optional<Transaction> tx;
  if (!db.inTransaction()) {
    auto begun = Transaction::begin(db, Transaction::Kind::kDeferred);
    if (!begun) {
      return core::fail(std::move(begun).error());
    }
    tx.emplace(std::move(begun).value());
  }
  LaunchInputs in;
  GARDE_TRY(entExists(db, ent_id));
  GARDE_TRY(take(findPersonFacts(db, ent_id, ent_person_id, uai, wanted), in.person));
  GARDE_TRY(take(findResource(db, resource_id), in.resource));
  GARDE_TRY(take(findContract(db, resource_id), in.contract));
  GARDE_TRY(take(findLaunchSubscriptions(db, resource_id, in.person), in.subscriptions));
  if (tx) {
    GARDE_TRY(tx->commit());
  }
  return in;
}

}  // namespace garde::store
