#include "broker/api/admin_metadata.h"

#include <boost/json.hpp>

#include <optional>
#include <string>

#include "broker/api/json_reply.h"
#include "core/log.h"
#include "store/metadata_sources.h"

namespace garde::broker::api {
namespace {

namespace json = boost::json;

constexpr core::Logger kLog("api.admin_metadata");

json::value iso(const std::optional<core::UnixTime>& t) {
  return t ? json::value(core::formatIso8601(*t)) : json::value(nullptr);
}

json::object sourceJson(const flows::MetadataSourceStatus& s) {
  json::object o;
  o["source"] = s.source.name;
  o["kind"] = store::metadataSourceKindCode(s.source.kind);
  o["url"] = s.source.url;
  o["up"] = s.up;
  o["expiring"] = s.expiring;
  o["failures"] = s.failures;
  o["last_success"] = iso(s.last_success);
  o["valid_until"] = iso(s.valid_until);
  json::array copies;
  for (const auto& c : s.copies) {
    copies.push_back(json::object{{"entity", c.entity_key},
                                  {"fetched_at", iso(c.fetched_at)},
                                  {"checked_at", iso(c.checked_at)},
                                  {"valid_until", iso(c.valid_until)},
                                  {"entities", c.entity_count},
                                  {"failures", c.failures},
                                  {"last_error", c.last_error}});
  }
  o["copies"] = std::move(copies);
  json::array peers;
  for (const auto& p : s.peers) {
    json::array keys;
    for (const auto& k : p.keys) {
      keys.push_back(json::object{{"use", k.use},
                                  {"sha256", k.fingerprint},
                                  {"not_after", core::formatIso8601(k.not_after)}});
    }
    peers.push_back(json::object{{"kind", store::callerKindCode(p.kind)},
                                 {"id", p.peer_id},
                                 {"entity_id", p.entity_id},
                                 {"problem", p.problem},
                                 {"keys", std::move(keys)}});
  }
  o["peers"] = std::move(peers);
  return o;
}

}  // namespace

json::object metadataStatusJson(const std::vector<flows::MetadataSourceStatus>& sources,
                                const std::vector<store::AlgorithmException>& exceptions,
                                core::UnixTime now) {
  json::array all;
  for (const auto& s : sources) {
    all.push_back(sourceJson(s));
  }
  json::array granted;
  for (const auto& e : exceptions) {
    granted.push_back(json::object{{"kind", store::callerKindCode(e.peer_kind)},
                                   {"peer", e.peer_id},
                                   {"algorithm", e.algorithm},
                                   {"reason", e.reason},
                                   {"expires", core::formatIso8601(e.expires_at)},
                                   {"expired", e.expires_at <= now},
                                   {"granted_by", e.granted_by}});
  }
  return json::object{{"sources", std::move(all)}, {"algorithm_exceptions", std::move(granted)}};
}

Response handleMetadataStatus(const Request& req, const AdminMetadataDeps& deps) {
  if (!req.query.empty()) {
    return jsonProblem(kLog, req, 400, "no parameter expected, got " + req.query.begin()->first,
                       "unknown parameter");
  }
  auto lease = deps.db.acquire();
  if (!lease) {
    return jsonStoreProblem(kLog, req, lease.error());
  }
  const core::UnixTime now = deps.clock.now();
  auto sources = flows::metadataStatus(lease->db(), now, deps.expiry_warning_seconds, true);
  if (!sources) {
    return jsonStoreProblem(kLog, req, sources.error());
  }
  auto exceptions = store::listAlgorithmExceptions(lease->db());
  if (!exceptions) {
    return jsonStoreProblem(kLog, req, exceptions.error());
  }
  return jsonReply(200, metadataStatusJson(*sources, *exceptions, now));
}

void mountAdminMetadata(Router& router, const AdminMetadataDeps& deps) {
  router.get("/api/v1/admin/metadata", CallerAuth::kMinistryReader,
             deps.sessions.refreshing(
                 [deps](const Request& req) { return handleMetadataStatus(req, deps); }));
}

}  // namespace garde::broker::api
