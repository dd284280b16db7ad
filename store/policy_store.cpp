#include "store/policy_store.h"

#include "store/util.h"

namespace garde::store {
namespace {

core::Result<std::optional<std::string>> currentVersion(Db& db) {
  GARDE_STORE_PREPARE(stmt, db, "SELECT version FROM policy_versions ORDER BY seq DESC LIMIT 1");
  GARDE_STORE_STEP(found, stmt);
  if (!found) {
    return std::optional<std::string>{};
  }
  return std::optional<std::string>{stmt.text(0)};
}

}  // namespace

core::Result<std::vector<policy::CatalogueEntry>> readCatalogue(Db& db,
                                                                std::vector<int>* positions) {
  std::vector<policy::CatalogueEntry> out;
  {
    GARDE_STORE_PREPARE(stmt, db,
                        "SELECT code, meaning, sensitivity, multi_valued, position FROM "
                        "attribute_catalogue ORDER BY position, code");
    GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& s) {
      policy::CatalogueEntry e{
          s.text(0), s.text(1),
          policy::parseSensitivity(s.text(2)).value_or(policy::Sensitivity::kSensitive),
          s.int64(3) != 0};
      e.profiles.clear();
      out.push_back(std::move(e));
      if (positions != nullptr) {
        positions->push_back(static_cast<int>(s.int64(4)));
      }
    }));
  }
  GARDE_STORE_PREPARE(stmt, db, "SELECT code, profile FROM catalogue_profiles");
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& s) {
    const std::string code = s.text(0);
    const auto profile = policy::parseProfile(s.text(1));
    for (auto& e : out) {
      if (e.code == code && profile) {
        e.profiles.insert(*profile);
      }
    }
  }));
  return out;
}

core::Status upsertCatalogueEntry(Db& db, const policy::CatalogueEntry& e, int position) {
  return detail::inTransaction(db, [&]() -> core::Status {
    {
      GARDE_STORE_PREPARE(
          stmt, db,
          "INSERT INTO attribute_catalogue(code, meaning, sensitivity, multi_valued, position) "
          "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(code) DO UPDATE SET meaning = excluded.meaning, "
          "sensitivity = excluded.sensitivity, multi_valued = excluded.multi_valued, "
          "position = excluded.position");
      GARDE_TRY(stmt.bindAll(e.code, e.meaning, policy::sensitivityCode(e.sensitivity),
                             e.multi_valued, position)
                    .run());
    }
    GARDE_STORE_PREPARE(clear, db, "DELETE FROM catalogue_profiles WHERE code = ?1");
    GARDE_TRY(clear.bindAll(e.code).run());
    GARDE_STORE_PREPARE(add, db, "INSERT INTO catalogue_profiles(code, profile) VALUES (?1, ?2)");
    for (const policy::Profile p : e.profiles) {
      add.reset();
      GARDE_TRY(add.bindAll(e.code, policy::profileCode(p)).run());
    }
    return core::Status{};
  });
}

core::Status checkCeilingCodes(Db& db, const policy::Ceilings& ceilings) {
  GARDE_STORE_PREPARE(known, db,
                      "SELECT EXISTS (SELECT 1 FROM catalogue_profiles WHERE code = ?1 AND "
                      "profile = ?2) FROM attribute_catalogue WHERE code = ?1");
  for (const auto& [key, codes] : ceilings.rows()) {
    const std::string_view profile = policy::profileCode(key.first);
    for (const auto& code : codes) {
      known.reset();
      known.bind(1, code);
      known.bind(2, profile);
      GARDE_STORE_STEP(in_catalogue, known);
      if (!in_catalogue) {
        return core::fail(core::ErrorCode::kConflict,
                          "ceiling names a code outside the catalogue: " + code);
      }
      if (known.int64(0) == 0) {
        // ADR 0023: a ceiling row needs the attribute to exist for its profile, so that a
        // catalogue edit never widens a release by itself.
        return core::fail(core::ErrorCode::kConflict, "ceiling row " + std::string(profile) + " " +
                                                          key.second + " " + code +
                                                          ": the catalogue does not define " +
                                                          code + " for " + std::string(profile));
      }
    }
  }
  return {};
}

core::Status publishPolicy(Db& db, const PolicyChange& change) {
  return detail::inTransaction(db, [&]() -> core::Status {
    GARDE_ASSIGN_OR_RETURN(const std::optional<std::string> previous, currentVersion(db));
    {
      GARDE_STORE_PREPARE(
          stmt, db,
          "INSERT INTO policy_versions(version, previous, created_at, created_by, reason) "
          "VALUES (?1, ?2, ?3, ?4, ?5)");
      GARDE_TRY(stmt.bindAll(change.version, previous, detail::isoTime(change.at), change.author,
                             change.reason)
                    .run());
    }
    GARDE_TRY(checkCeilingCodes(db, change.ceilings));
    GARDE_STORE_PREPARE(stmt, db,
                        "INSERT INTO ceilings(policy_version, profile, category, attribute_code) "
                        "VALUES (?1, ?2, ?3, ?4)");
    for (const auto& [key, codes] : change.ceilings.rows()) {
      for (const auto& code : codes) {
        stmt.reset();
        GARDE_TRY(
            stmt.bindAll(change.version, policy::profileCode(key.first), key.second, code).run());
      }
    }
    return core::Status{};
  });
}

core::Result<std::vector<PolicyVersionInfo>> policyHistory(Db& db) {
  GARDE_STORE_PREPARE(
      stmt, db,
      "SELECT version, previous, created_at, created_by, reason FROM policy_versions ORDER BY seq");
  std::vector<PolicyVersionInfo> out;
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& s) {
    out.push_back({s.text(0), s.optionalText(1), s.text(2), s.text(3), s.text(4)});
  }));
  return out;
}

core::Result<policy::Ceilings> ceilingsOf(Db& db, std::string_view version) {
  {
    GARDE_STORE_PREPARE(stmt, db, "SELECT 1 FROM policy_versions WHERE version = ?1");
    stmt.bind(1, version);
    GARDE_STORE_STEP(found, stmt);
    if (!found) {
      return core::fail(core::ErrorCode::kNotFound, "unknown policy version");
    }
  }
  GARDE_STORE_PREPARE(
      stmt, db, "SELECT profile, category, attribute_code FROM ceilings WHERE policy_version = ?1");
  stmt.bind(1, version);
  policy::Ceilings ceilings;
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& s) {
    if (auto p = policy::parseProfile(s.text(0))) {
      ceilings.allow(*p, s.text(1), s.text(2));
    }
  }));
  return ceilings;
}

core::Result<std::int64_t> policyGeneration(Db& db) {
  return detail::generationCounter(db, "SELECT n FROM policy_generation WHERE id = 1",
                                   "policy generation");
}

core::Result<policy::PolicySnapshot> SqlPolicySource::currentPolicy() {
  std::int64_t generation = 0;
  return currentPolicy(generation);
}

core::Result<policy::PolicySnapshot> SqlPolicySource::currentPolicy(std::int64_t& generation) {
  // One read transaction, so the version, catalogue and ceilings belong together even while an
  // admin publishes a new version.
  std::optional<Transaction> tx;
  if (!db_.inTransaction()) {
    GARDE_ASSIGN_OR_RETURN(Transaction begun,
                           Transaction::begin(db_, Transaction::Kind::kDeferred));
    tx.emplace(std::move(begun));
  }
  policy::PolicySnapshot snapshot;
  GARDE_ASSIGN_OR_RETURN(generation, policyGeneration(db_));
  GARDE_ASSIGN_OR_RETURN(const std::optional<std::string> version, currentVersion(db_));
  if (!version) {
    return core::fail(core::ErrorCode::kStoreError, "no policy version published");
  }
  snapshot.version = *version;
  { GARDE_ASSIGN_OR_RETURN(snapshot.catalogue, readCatalogue(db_)); }
  GARDE_ASSIGN_OR_RETURN(snapshot.ceilings, ceilingsOf(db_, snapshot.version));
  if (tx) {
    GARDE_TRY(tx->commit());
  }
  return snapshot;
}

core::Result<std::shared_ptr<const policy::PolicySnapshot>> PolicyCache::current(Db& db) {
  GARDE_ASSIGN_OR_RETURN(const std::int64_t generation, policyGeneration(db));
  {
    const std::lock_guard lock(mutex_);
    if (snapshot_ && generation_ == generation) {
      return snapshot_;
    }
  }
  // Read outside the lock: other threads keep serving the snapshot they have meanwhile.
  std::int64_t read_at = 0;
  GARDE_ASSIGN_OR_RETURN(policy::PolicySnapshot fresh, SqlPolicySource(db).currentPolicy(read_at));
  auto snapshot = std::make_shared<const policy::PolicySnapshot>(std::move(fresh));
  const std::lock_guard lock(mutex_);
  // Generations only grow: never replace a newer snapshot a concurrent reader stored.
  if (read_at >= generation_) {
    generation_ = read_at;
    snapshot_ = snapshot;
  }
  return snapshot;
}

}  // namespace garde::store
