#include "store/metadata_sources.h"

#include <cctype>

#include "core/x509.h"
#include "store/util.h"

namespace garde::store {
namespace {

constexpr const char* kSourceColumns =
    "SELECT name, kind, url, signer_pem, max_validity_seconds, refresh_seconds, added_at "
    "FROM metadata_sources ";

MetadataSource sourceRow(const Stmt& s) {
  MetadataSource m;
  m.name = s.text(0);
  m.kind = parseMetadataSourceKind(s.text(1)).value_or(MetadataSourceKind::kUrl);
  m.url = s.text(2);
  m.signer_pem = s.text(3);
  m.max_validity_seconds = s.int64(4);
  m.refresh_seconds = s.int64(5);
  m.added_at = core::parseIso8601(s.text(6)).value_or(0);
  return m;
}

std::string copyColumns(const Db& db, bool with_document) {
  // On SQLite, typeof() reads the column's type from the record header, not the document
  // (SQLite's OPFLAG_TYPEOFARG); the document is the table's last column (migration 17).
  // PostgreSQL's IS NOT NULL reads the tuple's null bitmap, not the (TOASTed) document.
  const char* held =
      db.engine() == Engine::kPostgresql ? "xml IS NOT NULL " : "typeof(xml) = 'text' ";
  return std::string("SELECT source, entity_key, ") + (with_document ? "xml" : "NULL") +
         ", sha256, etag, last_modified, fetched_at, checked_at, valid_until, cache_seconds, "
         "entity_count, attempted_at, last_error, failures, " + held +
         "FROM metadata_copies ";
}

std::optional<core::UnixTime> optionalTime(const Stmt& s, int column) {
  const auto text = s.optionalText(column);
  if (!text) {
    return std::nullopt;
  }
  return core::parseIso8601(*text);
}

MetadataCopy copyRow(const Stmt& s) {
  MetadataCopy c;
  c.source = s.text(0);
  c.entity_key = s.text(1);
  c.xml = s.optionalText(2);
  c.sha256 = s.text(3);
  c.etag = s.text(4);
  c.last_modified = s.text(5);
  c.fetched_at = optionalTime(s, 6);
  c.checked_at = optionalTime(s, 7);
  c.valid_until = optionalTime(s, 8);
  if (!s.isNull(9)) {
    c.cache_seconds = s.int64(9);
  }
  c.entity_count = s.int64(10);
  c.attempted_at = optionalTime(s, 11);
  c.last_error = s.text(12);
  c.failures = s.int64(13);
  c.held = s.int64(14) != 0;
  return c;
}

std::optional<std::string> optionalIso(std::optional<core::UnixTime> t) {
  if (!t) {
    return std::nullopt;
  }
  return detail::isoTime(*t);
}

}  // namespace

std::string_view metadataSourceKindCode(MetadataSourceKind kind) noexcept {
  switch (kind) {
    case MetadataSourceKind::kAggregate:
      return "aggregate";
    case MetadataSourceKind::kMdq:
      return "mdq";
    case MetadataSourceKind::kUrl:
      break;
  }
  return "url";
}

std::optional<MetadataSourceKind> parseMetadataSourceKind(std::string_view code) noexcept {
  if (code == "url") {
    return MetadataSourceKind::kUrl;
  }
  if (code == "aggregate") {
    return MetadataSourceKind::kAggregate;
  }
  if (code == "mdq") {
    return MetadataSourceKind::kMdq;
  }
  return std::nullopt;
}

bool validMetadataSourceName(std::string_view name) noexcept {
  if (name.empty() || name.size() > 64 || name.front() == '-') {
    return false;
  }
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

core::Status addMetadataSource(Db& db, const MetadataSource& source) {
  if (!validMetadataSourceName(source.name)) {
    return core::fail(core::ErrorCode::kBadRequest,
                      "a source name is 1 to 64 of a-z, 0-9 and '-', not starting with '-'");
  }
  GARDE_STORE_PREPARE(stmt, db,
                      "INSERT INTO metadata_sources(name, kind, url, signer_pem, "
                      "max_validity_seconds, refresh_seconds, added_at) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  return stmt
      .bindAll(source.name, metadataSourceKindCode(source.kind), source.url, source.signer_pem,
               source.max_validity_seconds, source.refresh_seconds,
               detail::isoTime(source.added_at))
      .run();
}

core::Status removeMetadataSource(Db& db, std::string_view name) {
  return detail::inTransaction(db, [&]() -> core::Status {
    GARDE_STORE_PREPARE(bound, db, "SELECT count(*) FROM peer_metadata_sources WHERE source = ?1");
    bound.bind(1, name);
    GARDE_STORE_STEP(row, bound);
    if (row && bound.int64(0) > 0) {
      return core::fail(core::ErrorCode::kConflict,
                        "peers are still bound to this source: bind them elsewhere first");
    }
    GARDE_STORE_PREPARE(stmt, db, "DELETE FROM metadata_sources WHERE name = ?1");
    GARDE_TRY(stmt.bind(1, name).run());
    if (db.changes() == 0) {
      return core::fail(core::ErrorCode::kNotFound, "no metadata source of this name");
    }
    return {};
  });
}

core::Result<std::vector<MetadataSource>> listMetadataSources(Db& db) {
  GARDE_STORE_PREPARE(stmt, db, std::string(kSourceColumns) + "ORDER BY name");
  std::vector<MetadataSource> out;
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& s) { out.push_back(sourceRow(s)); }));
  return out;
}

core::Result<MetadataSource> findMetadataSource(Db& db, std::string_view name) {
  GARDE_STORE_PREPARE(stmt, db, std::string(kSourceColumns) + "WHERE name = ?1");
  stmt.bind(1, name);
  GARDE_STORE_STEP(found, stmt);
  if (!found) {
    return core::fail(core::ErrorCode::kNotFound, "no metadata source of this name");
  }
  return sourceRow(stmt);
}

core::Status bindPeerMetadata(Db& db, CallerKind kind, std::string_view peer_id,
                              std::string_view source) {
  if (source.empty()) {
    GARDE_STORE_PREPARE(stmt, db,
                        "DELETE FROM peer_metadata_sources WHERE peer_kind = ?1 AND peer_id = ?2");
    return stmt.bindAll(callerKindCode(kind), peer_id).run();
  }
  return detail::inTransaction(db, [&]() -> core::Status {
    GARDE_TRY(findMetadataSource(db, source));
    GARDE_STORE_PREPARE(stmt, db,
                        "INSERT INTO peer_metadata_sources(peer_kind, peer_id, source) "
                        "VALUES (?1, ?2, ?3) ON CONFLICT(peer_kind, peer_id) "
                        "DO UPDATE SET source = excluded.source");
    return stmt.bindAll(callerKindCode(kind), peer_id, source).run();
  });
}

core::Result<std::vector<PeerBinding>> listPeerBindings(Db& db) {
  GARDE_STORE_PREPARE(stmt, db,
                      "SELECT peer_kind, peer_id, source FROM peer_metadata_sources "
                      "ORDER BY peer_kind, peer_id");
  std::vector<PeerBinding> out;
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& s) {
    out.push_back(PeerBinding{parseCallerKind(s.text(0)).value_or(CallerKind::kPublisher),
                              s.text(1), s.text(2)});
  }));
  return out;
}

core::Result<std::optional<std::string>> peerMetadataSource(Db& db, CallerKind kind,
                                                            std::string_view peer_id) {
  GARDE_STORE_PREPARE(stmt, db,
                      "SELECT source FROM peer_metadata_sources WHERE peer_kind = ?1 AND "
                      "peer_id = ?2");
  stmt.bindAll(callerKindCode(kind), peer_id);
  GARDE_STORE_STEP(found, stmt);
  if (!found) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(stmt.text(0));
}

core::Result<std::vector<MetadataCopy>> listMetadataCopies(Db& db, std::string_view source,
                                                           bool with_document) {
  GARDE_STORE_PREPARE(stmt, db,
                      copyColumns(db, with_document) +
                          "WHERE ?1 = '' OR source = ?1 ORDER BY source, entity_key");
  stmt.bind(1, source);
  std::vector<MetadataCopy> out;
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& s) { out.push_back(copyRow(s)); }));
  return out;
}

core::Result<std::optional<MetadataCopy>> findMetadataCopy(Db& db, std::string_view source,
                                                           std::string_view entity_key,
                                                           bool with_document) {
  GARDE_STORE_PREPARE(stmt, db,
                      copyColumns(db, with_document) + "WHERE source = ?1 AND entity_key = ?2");
  stmt.bindAll(source, entity_key);
  GARDE_STORE_STEP(found, stmt);
  if (!found) {
    return std::optional<MetadataCopy>();
  }
  return std::optional<MetadataCopy>(copyRow(stmt));
}

core::Status recordMetadataFetched(Db& db, const MetadataCopy& copy) {
  if (!copy.xml) {
    return core::fail(core::ErrorCode::kBadRequest, "a fetched copy needs its document");
  }
  const std::string digest = core::sha256Hex(*copy.xml);
  GARDE_STORE_PREPARE(
      stmt, db,
      "INSERT INTO metadata_copies(source, entity_key, xml, sha256, etag, last_modified, "
      "fetched_at, checked_at, valid_until, cache_seconds, entity_count, attempted_at, "
      "last_error, failures) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9, ?10, ?7, '', 0) "
      "ON CONFLICT(source, entity_key) DO UPDATE SET xml = excluded.xml, sha256 = excluded.sha256, "
      "etag = excluded.etag, last_modified = excluded.last_modified, "
      "fetched_at = excluded.fetched_at, checked_at = excluded.checked_at, "
      "valid_until = excluded.valid_until, cache_seconds = excluded.cache_seconds, "
      "entity_count = excluded.entity_count, attempted_at = excluded.attempted_at, "
      "last_error = '', failures = 0");
  return stmt
      .bindAll(copy.source, copy.entity_key, *copy.xml, digest, copy.etag, copy.last_modified,
               optionalIso(copy.fetched_at), optionalIso(copy.valid_until), copy.cache_seconds,
               copy.entity_count)
      .run();
}

core::Status recordMetadataUnchanged(Db& db, std::string_view source, std::string_view entity_key,
                                     core::UnixTime now) {
  GARDE_STORE_PREPARE(stmt, db,
                      "UPDATE metadata_copies SET checked_at = ?3, attempted_at = ?3, "
                      "last_error = '', failures = 0 WHERE source = ?1 AND entity_key = ?2");
  GARDE_TRY(stmt.bindAll(source, entity_key, detail::isoTime(now)).run());
  if (db.changes() == 0) {
    return core::fail(core::ErrorCode::kNotFound, "no copy to confirm");
  }
  return {};
}

core::Status recordMetadataFailure(Db& db, std::string_view source, std::string_view entity_key,
                                   core::UnixTime now, std::string_view error) {
  GARDE_STORE_PREPARE(stmt, db,
                      "INSERT INTO metadata_copies(source, entity_key, attempted_at, last_error, "
                      "failures) VALUES (?1, ?2, ?3, ?4, 1) ON CONFLICT(source, entity_key) DO "
                      "UPDATE SET attempted_at = excluded.attempted_at, "
                      "last_error = excluded.last_error, failures = metadata_copies.failures + 1");
  return stmt.bindAll(source, entity_key, detail::isoTime(now), error).run();
}

}  // namespace garde::store
