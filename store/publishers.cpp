#include "store/publishers.h"

#include <optional>

#include "store/util.h"

namespace garde::store {
namespace {

constexpr const char* kPublisherColumns =
    "SELECT id, name, sp_entity_id, sp_metadata_xml, client_cert_sha256 FROM publishers ";

Publisher publisherRow(Stmt& stmt) {
  return Publisher{stmt.text(0), stmt.text(1), stmt.optionalText(2), stmt.optionalText(3),
                   stmt.optionalText(4)};
}

core::Result<Publisher> findPublisherWhere(Db& db, const std::string& sql, std::string_view key,
                                           const char* missing) {
  GARDE_STORE_PREPARE(stmt, db, sql);
  stmt.bind(1, key);
  GARDE_STORE_STEP(found, stmt);
  if (!found) {
    return core::fail(core::ErrorCode::kUnknownPeer, missing);
  }
  return publisherRow(stmt);
}

std::string declarationsText(const policy::ResourceContract& c) {
  std::string out;
  for (const auto& [profile, attrs] : c.declared) {
    if (!out.empty()) {
      out += ';';
    }
    out += policy::profileCode(profile);
    out += ':';
    for (std::size_t i = 0; i < attrs.size(); ++i) {
      out += (i != 0 ? "," : "") + attrs[i].code;
    }
  }
  return out;
}

core::Status appendHistory(Db& db, std::string_view resource_id, std::int64_t revision,
                           core::UnixTime at, std::string_view actor,
                           const std::optional<std::string>& old_status,
                           std::string_view new_status, std::string_view reason,
                           std::string_view declarations) {
  GARDE_STORE_PREPARE(
      stmt, db,
      "INSERT INTO contract_history(resource_id, revision, at, actor, old_status, new_status, "
      "reason, declarations) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  return stmt
      .bindAll(resource_id, revision, detail::isoTime(at), actor, old_status, new_status, reason,
               declarations)
      .run();
}

struct ContractHead {
  std::int64_t revision = 0;
  std::optional<std::string> status;
};

core::Result<ContractHead> contractHead(Db& db, std::string_view resource_id) {
  GARDE_STORE_PREPARE(stmt, db, "SELECT revision, status FROM contracts WHERE resource_id = ?1");
  stmt.bind(1, resource_id);
  GARDE_STORE_STEP(found, stmt);
  if (!found) {
    return ContractHead{};
  }
  return ContractHead{stmt.int64(0), stmt.text(1)};
}

}  // namespace

core::Status upsertPublisher(Db& db, const Publisher& p) {
  GARDE_STORE_PREPARE(
      stmt, db,
      "INSERT INTO publishers(id, name, sp_entity_id, sp_metadata_xml, client_cert_sha256) "
      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(id) DO UPDATE SET name = excluded.name, "
      "sp_entity_id = excluded.sp_entity_id, sp_metadata_xml = excluded.sp_metadata_xml, "
      "client_cert_sha256 = excluded.client_cert_sha256");
  return stmt.bindAll(p.id, p.name, p.sp_entity_id, p.sp_metadata_xml, p.client_cert_sha256).run();
}

core::Result<Publisher> findPublisher(Db& db, std::string_view id) {
  return findPublisherWhere(db, std::string(kPublisherColumns) + "WHERE id = ?1", id,
                            "unknown publisher");
}

core::Result<std::string> findPublisherName(Db& db, std::string_view id) {
  GARDE_STORE_PREPARE(stmt, db, "SELECT name FROM publishers WHERE id = ?1");
  stmt.bind(1, id);
  GARDE_STORE_STEP(found, stmt);
  if (!found) {
    return core::fail(core::ErrorCode::kUnknownPeer, "unknown publisher");
  }
  return stmt.text(0);
}

core::Result<Publisher> findPublisherBySpEntityId(Db& db, std::string_view sp_entity_id) {
  return findPublisherWhere(db, std::string(kPublisherColumns) + "WHERE sp_entity_id = ?1",
                            sp_entity_id, "no publisher with this SP entityID");
}

core::Result<std::vector<Publisher>> listPublishers(Db& db) {
  GARDE_STORE_PREPARE(stmt, db, std::string(kPublisherColumns) + "ORDER BY id");
  std::vector<Publisher> out;
  while (true) {
    GARDE_STORE_STEP(found, stmt);
    if (!found) {
      return out;
    }
    out.push_back(publisherRow(stmt));
  }
}

core::Result<Publisher> findPublisherByCertificate(Db& db, std::string_view client_cert_sha256) {
  return findPublisherWhere(db, std::string(kPublisherColumns) + "WHERE client_cert_sha256 = ?1",
                            client_cert_sha256, "no publisher with this client certificate");
}

core::Status upsertResource(Db& db, const Resource& r) {
  GARDE_STORE_PREPARE(
      stmt, db,
      "INSERT INTO resources(id, publisher_id, name, url, login_url, category, launch_mode, "
      "logo_url) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(id) DO UPDATE SET "
      "publisher_id = excluded.publisher_id, name = excluded.name, url = excluded.url, "
      "login_url = excluded.login_url, category = excluded.category, "
      "launch_mode = excluded.launch_mode, logo_url = excluded.logo_url");
  return stmt
      .bindAll(r.id, r.publisher_id, r.name, r.url, r.login_url, r.category,
               policy::launchModeCode(r.launch_mode), r.logo_url)
      .run();
}

namespace {

// The columns resourceRow() reads, in its order.
#define GARDE_RESOURCE_COLUMNS \
  "r.id, r.publisher_id, r.name, r.url, r.login_url, r.category, r.launch_mode, r.logo_url"

Resource resourceRow(const Stmt& stmt) {
  return Resource{stmt.text(0),
                  stmt.text(1),
                  stmt.text(2),
                  stmt.text(3),
                  stmt.optionalText(4),
                  stmt.text(5),
                  policy::parseLaunchMode(stmt.text(6)).value_or(policy::LaunchMode::kBounce),
                  stmt.optionalText(7)};
}

}  // namespace

core::Result<Resource> findResource(Db& db, std::string_view resource_id) {
  GARDE_STORE_PREPARE(stmt, db,
                      "SELECT " GARDE_RESOURCE_COLUMNS " FROM resources r WHERE r.id = ?1");
  stmt.bind(1, resource_id);
  GARDE_STORE_STEP(found, stmt);
  if (!found) {
    return core::fail(core::ErrorCode::kUnknownResource, "unknown resource");
  }
  return resourceRow(stmt);
}

core::Result<std::vector<Resource>> listContractedResources(Db& db, std::string_view publisher_id) {
  GARDE_STORE_PREPARE(stmt, db,
                      "SELECT " GARDE_RESOURCE_COLUMNS
                      " FROM resources r JOIN contracts c ON c.resource_id = r.id "
                      "WHERE r.publisher_id = ?1 ORDER BY r.id");
  stmt.bind(1, publisher_id);
  std::vector<Resource> out;
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& row) { out.push_back(resourceRow(row)); }));
  return out;
}

#undef GARDE_RESOURCE_COLUMNS

core::Status saveContract(Db& db, const policy::ResourceContract& c, std::string_view actor,
                          std::string_view reason, core::UnixTime at) {
  return detail::inTransaction(db, [&]() -> core::Status {
    GARDE_ASSIGN_OR_RETURN(const auto head, contractHead(db, c.resource_id));
    const std::int64_t revision = head.revision + 1;
    const std::string_view status = policy::contractStatusCode(c.status);
    {
      GARDE_STORE_PREPARE(
          stmt, db,
          "INSERT INTO contracts(resource_id, status, revision, updated_at, updated_by) "
          "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(resource_id) DO UPDATE SET "
          "status = excluded.status, revision = excluded.revision, "
          "updated_at = excluded.updated_at, updated_by = excluded.updated_by");
      GARDE_TRY(stmt.bindAll(c.resource_id, status, revision, detail::isoTime(at), actor).run());
    }
    {
      GARDE_STORE_PREPARE(stmt, db, "DELETE FROM contract_declarations WHERE resource_id = ?1");
      GARDE_TRY(stmt.bind(1, c.resource_id).run());
    }
    {
      GARDE_STORE_PREPARE(
          stmt, db,
          "INSERT INTO contract_declarations(resource_id, profile, attribute_code, justification, "
          "position) VALUES (?1, ?2, ?3, ?4, ?5)");
      std::int64_t position = 0;
      for (const auto& [profile, attrs] : c.declared) {
        for (const auto& a : attrs) {
          stmt.reset();
          GARDE_TRY(stmt.bindAll(c.resource_id, policy::profileCode(profile), a.code,
                                 a.justification, ++position)
                        .run());
        }
      }
    }
    return appendHistory(db, c.resource_id, revision, at, actor, head.status, status, reason,
                         declarationsText(c));
  });
}

core::Status setContractStatus(Db& db, std::string_view resource_id, policy::ContractStatus status,
                               std::string_view actor, std::string_view reason, core::UnixTime at) {
  return detail::inTransaction(db, [&]() -> core::Status {
    auto contract = findContract(db, resource_id);
    if (!contract) {
      return core::fail(core::ErrorCode::kNotFound, "no contract for this resource");
    }
    GARDE_ASSIGN_OR_RETURN(const auto head, contractHead(db, resource_id));
    const std::int64_t revision = head.revision + 1;
    {
      GARDE_STORE_PREPARE(
          stmt, db,
          "UPDATE contracts SET status = ?2, revision = ?3, updated_at = ?4, updated_by = ?5 "
          "WHERE resource_id = ?1");
      GARDE_TRY(stmt.bindAll(resource_id, policy::contractStatusCode(status), revision,
                             detail::isoTime(at), actor)
                    .run());
    }
    return appendHistory(db, resource_id, revision, at, actor, head.status,
                         policy::contractStatusCode(status), reason, declarationsText(*contract));
  });
}

core::Result<policy::ResourceContract> findContract(Db& db, std::string_view resource_id) {
  policy::ResourceContract c;
  {
    GARDE_STORE_PREPARE(
        stmt, db,
        "SELECT r.id, r.publisher_id, r.category, r.launch_mode, c.status FROM resources r "
        "JOIN contracts c ON c.resource_id = r.id WHERE r.id = ?1");
    stmt.bind(1, resource_id);
    GARDE_STORE_STEP(found, stmt);
    if (!found) {
      return core::fail(core::ErrorCode::kUnknownResource, "unknown resource or no contract");
    }
    c.resource_id = stmt.text(0);
    c.publisher_id = stmt.text(1);
    c.category = stmt.text(2);
    c.launch_mode = policy::parseLaunchMode(stmt.text(3)).value_or(policy::LaunchMode::kBounce);
    // An unreadable status fails closed: only "approved" releases anything.
    c.status =
        policy::parseContractStatus(stmt.text(4)).value_or(policy::ContractStatus::kSuspended);
  }
  GARDE_STORE_PREPARE(stmt, db,
                      "SELECT profile, attribute_code, justification FROM contract_declarations "
                      "WHERE resource_id = ?1 ORDER BY profile, position");
  stmt.bind(1, resource_id);
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& s) {
    if (auto p = policy::parseProfile(s.text(0))) {
      c.declared[*p].push_back({s.text(1), s.text(2)});
    }
  }));
  return c;
}

core::Result<std::vector<policy::ResourceContract>> listContracts(Db& db) {
  std::vector<std::string> ids;
  {
    GARDE_STORE_PREPARE(stmt, db, "SELECT resource_id FROM contracts ORDER BY resource_id");
    GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& r) { ids.push_back(r.text(0)); }));
  }
  std::vector<policy::ResourceContract> out;
  for (const auto& id : ids) {
    GARDE_ASSIGN_OR_RETURN(policy::ResourceContract c, findContract(db, id));
    out.push_back(std::move(c));
  }
  return out;
}

core::Result<std::int64_t> countPeopleReached(Db& db, std::string_view resource_id,
                                              policy::Profile profile) {
  GARDE_STORE_PREPARE(
      stmt, db,
      "SELECT count(DISTINCT pp.person_id) FROM person_profiles pp WHERE pp.profile = ?2 "
      "AND pp.uai IN (SELECT u.uai FROM subscription_uais u JOIN subscriptions s "
      "ON s.id = u.subscription_id WHERE s.resource_id = ?1)");
  stmt.bindAll(resource_id, policy::profileCode(profile));
  GARDE_STORE_STEP(row, stmt);
  return row ? stmt.int64(0) : 0;
}

core::Result<std::vector<ContractHistoryEntry>> contractHistory(Db& db,
                                                                std::string_view resource_id) {
  GARDE_STORE_PREPARE(stmt, db,
                      "SELECT revision, at, actor, old_status, new_status, reason, declarations "
                      "FROM contract_history WHERE resource_id = ?1 ORDER BY id");
  stmt.bind(1, resource_id);
  std::vector<ContractHistoryEntry> out;
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& s) {
    out.push_back(
        {s.int64(0), s.text(1), s.text(2), s.optionalText(3), s.text(4), s.text(5), s.text(6)});
  }));
  return out;
}

}  // namespace garde::store
