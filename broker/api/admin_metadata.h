#pragma once
/// @file The federation's state for ministry admins and auditors (docs/metadata-sources.md,
/// docs/algorithm-exceptions.md): each metadata source with its last good copies, failures and the
/// keys its peers get, and every algorithm exception granted, expired ones included. The same
/// document as `garde metadata status --json`. Read-only (CallerAuth::kMinistryReader); no
/// personal data (metadata names organisations).
///
///   GET /api/v1/admin/metadata

#include <boost/json/object.hpp>

#include <cstdint>
#include <vector>

#include "broker/admin/session.h"
#include "broker/flows/db_pool.h"
#include "broker/flows/metadata_refresh.h"
#include "broker/request.h"
#include "broker/router.h"
#include "core/time.h"
#include "store/algorithm_exceptions.h"

namespace garde::broker::api {

/// `{"sources": [...], "algorithm_exceptions": [...]}` (docs/metadata-sources.md, "Status"): an
/// instant never known (no success yet) is null; an exception is `expired` once `now` reaches its
/// expiry.
boost::json::object metadataStatusJson(const std::vector<flows::MetadataSourceStatus>& sources,
                                       const std::vector<store::AlgorithmException>& exceptions,
                                       core::UnixTime now);

struct AdminMetadataDeps {
  const core::Clock& clock;
  flows::DbPool& db;
  const admin::AdminSessions& sessions;
  std::int64_t expiry_warning_seconds;  ///< [federation] expiry_warning
};

Response handleMetadataStatus(const Request& req, const AdminMetadataDeps& deps);

void mountAdminMetadata(Router& router, const AdminMetadataDeps& deps);

}  // namespace garde::broker::api
