#pragma once
/// @file Fetching peers' metadata from their sources, off the request path
/// (docs/metadata-sources.md): serve's refresher thread and `garde metadata refresh` both call
/// refreshMetadataSources(); a document that verifies becomes the source's last good copy in the
/// store, and a changed copy moves the registry generation, so every node's registry thread loads
/// the peers again (refreshRegistries) without a request ever waiting on a fetch.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker/flows/services.h"
#include "broker/metrics.h"
#include "config/config.h"
#include "core/result.h"
#include "core/time.h"
#include "store/db.h"
#include "store/metadata_sources.h"

namespace garde::broker::flows {

struct MetadataRefreshOptions {
  bool force = false;       ///< fetch every document now, due or not
  std::string only_source;  ///< only this source (empty: all)
  std::chrono::milliseconds timeout{15'000};
  std::string ca_file;
  std::int64_t retry_seconds = 300;
  std::int64_t expiry_warning_seconds = 5 * 86400;
};
MetadataRefreshOptions metadataRefreshOptions(const config::FederationConfig& federation);

/// What became of one document in a pass.
struct MetadataRefreshOutcome {
  enum class Kind { kNotDue, kUpdated, kSame, kNotModified, kFailed };
  std::string source;
  std::string entity_key;  ///< "" except for MDQ
  Kind kind = Kind::kNotDue;
  std::string error;  ///< kFailed: why (no personal data: metadata names organisations)
};
std::string_view refreshOutcomeName(MetadataRefreshOutcome::Kind kind) noexcept;

/// One pass at `now`: every due document of every source (or of options.only_source) is fetched
/// (conditional GET when a copy is held), checked (connectors::metadata::checkFetchedDocument) and
/// recorded. A failure of one document is recorded, logged ("metadata refresh failed; the last
/// good copy stands") and returned as an outcome, never an error; a copy whose validUntil is
/// within options.expiry_warning_seconds is warned about at each attempt. Errors: kNotFound for an
/// unknown options.only_source, kStoreError.
core::Result<std::vector<MetadataRefreshOutcome>> refreshMetadataSources(
    store::Db& db, core::UnixTime now, const MetadataRefreshOptions& options);

/// A peer bound to a source, with the keys its last good copy gives it.
struct BoundPeer {
  store::CallerKind kind = store::CallerKind::kPublisher;
  std::string peer_id;
  std::string entity_id;
  std::string problem;  ///< why the registry would skip it ("" when it is served)
  struct Key {
    std::string use;  ///< "signing" | "encryption" | "both"
    std::string fingerprint;
    core::UnixTime not_after = 0;
  };
  std::vector<Key> keys;
};

/// One source as `garde metadata status` and the metrics show it (`peers` only when asked: reading
/// them verifies every copy again).
struct MetadataSourceStatus {
  store::MetadataSource source;
  std::vector<store::MetadataCopy> copies;  ///< xml cleared
  std::vector<BoundPeer> peers;
  bool up = false;        ///< every copy's last attempt succeeded (and there is at least one)
  bool expiring = true;   ///< a copy is missing, expired or within the warning
  std::int64_t failures = 0;
  std::optional<core::UnixTime> last_success;  ///< the oldest copy's checked_at
  std::optional<core::UnixTime> valid_until;   ///< the earliest validUntil
};
core::Result<std::vector<MetadataSourceStatus>> metadataStatus(store::Db& db, core::UnixTime now,
                                                               std::int64_t expiry_warning_seconds,
                                                               bool with_peers = true);

/// The gauges of `status` (Metrics::setMetadataSources).
std::vector<MetadataSourceGauge> metadataGauges(const std::vector<MetadataSourceStatus>& status);

/// serve's refresher: refreshMetadataSources every `period` (federation.check_period) on a thread
/// and a connection of its own, then the gauges (sources, and the algorithm exceptions granted). Runs once as soon as it starts.
class MetadataRefresher {
 public:
  MetadataRefresher(const core::Clock& clock, Metrics& metrics, std::string database,
                    MetadataRefreshOptions options, std::chrono::milliseconds period);

 private:
  PeriodicDbTask task_;
};

}  // namespace garde::broker::flows
