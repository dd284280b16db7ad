#pragma once
/// @file The ENT projects' feed API (docs/feeds.md, "The API"):
///
///   POST /api/v1/ent/feeds        body: the .tar.gz archive; header X-Feed-MD5: the 32 hex digits
///                                 of its .md5; optional query `name` (the archive's file name)
///   GET  /api/v1/ent/feeds/{id}   the report of one of the caller's own imports
///
/// Both authenticate the caller by its TLS client certificate (CallerAuth::kClientCertificate):
/// the caller must be an ENT project (Caller::Kind::kEntProject), whose id is the idENT the
/// snapshot is of. The upload is imported synchronously, in one transaction, like
/// `garde feed import`; the answer is the report (200 imported, 422 refused).

#include <string>

#include "broker/flows/db_pool.h"
#include "broker/request.h"
#include "broker/router.h"
#include "connectors/feed/import.h"
#include "core/time.h"

namespace garde::broker::api {

/// What the feed endpoints use.
struct FeedApiDeps {
  flows::DbPool& db;         ///< thread-safe; an import leases one connection for its duration
  const core::Clock& clock;  ///< when the feed was received
  connectors::feed::FeedLimits file_limits;        ///< by value
  connectors::feed::ArchiveLimits archive_limits;  ///< by value
};

/// The header carrying the archive's checksum: the content of the ENT's .md5 file (its first
/// token, 32 hex digits).
inline constexpr const char* kMd5Header = "x-feed-md5";

/// What an upload request says, once parsed.
struct FeedUpload {
  std::string ent_id;              ///< the caller's idENT
  std::optional<std::string> md5;  ///< the X-Feed-MD5 header, when given
  std::string name;                ///< the archive's name (query `name`, or a default)
};

/// Parses an upload: the caller must be an ENT project (kForbidden otherwise), the body not empty
/// (kBadRequest). Pure.
core::Result<FeedUpload> parseFeedUpload(const Request& req);

/// POST /api/v1/ent/feeds.
Response handleFeedUpload(const Request& req, const FeedApiDeps& deps);

/// GET /api/v1/ent/feeds/{id}: the report JSON of the caller's own feed; 404 for another ENT's
/// or an unknown id, 403 for a caller that is not an ENT project.
Response handleFeedReport(const Request& req, const FeedApiDeps& deps);

/// Mounts both routes with CallerAuth::kClientCertificate. `deps` is copied into the handlers and
/// must outlive the router (its references).
void mountFeedApi(Router& router, const FeedApiDeps& deps);

}  // namespace garde::broker::api
