#pragma once
/// @file Usage statistics (docs/usage.md): daily aggregates of the launch records of the audit
/// trail, per day (UTC), publisher, resource, profile, establishment and outcome, and the
/// attributes released per day and publisher. Counts only: no person, no digest, no correlation
/// id. They outlive the audit's retention: aggregateUsage() runs before every purge.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "store/db.h"

namespace garde::store {

/// Launches of one day with one set of dimensions.
struct UsageRow {
  std::string day;  ///< "YYYY-MM-DD", UTC
  std::string publisher_id;
  std::string resource_id;
  std::string profile;
  std::string uai;
  std::string outcome;  ///< released or refused
  std::string reason;   ///< the refusal code ("" for released)
  std::int64_t launches = 0;
};

/// How many releases of one day to one publisher carried one attribute.
struct AttributeUsageRow {
  std::string day;
  std::string publisher_id;
  std::string uai;
  std::string attribute;
  std::int64_t releases = 0;
};

/// Recomputes the aggregates of every day of the audit trail not yet final: each day from the
/// first one never aggregated (or from the day before `now`, whichever is earlier) to today, in
/// one transaction. A day becomes final once `now` is two days past it: its launch records can no
/// longer change (the audit writer flushes in seconds). Returns how many days were recomputed.
core::Result<std::int64_t> aggregateUsage(Db& db, core::UnixTime now);

/// What to read. Unset fields do not filter; `uais`, when not empty, keeps only those
/// establishments (an establishment manager's scope).
struct UsageQuery {
  std::optional<std::string> from_day;   ///< inclusive
  std::optional<std::string> until_day;  ///< inclusive
  std::optional<std::string> publisher_id;
  std::optional<std::string> resource_id;
  std::optional<std::string> profile;
  std::optional<std::string> uai;
  std::optional<std::string> outcome;
  std::vector<std::string> uais;
};

/// At most this many rows per answer (a year of a region's daily figures fits).
inline constexpr int kUsageRowsMax = 50'000;

/// The launch aggregates matching `q`, by day then dimensions; kBadRequest when more than
/// kUsageRowsMax match (narrow the period or filter).
core::Result<std::vector<UsageRow>> queryUsage(Db& db, const UsageQuery& q);
/// The attribute aggregates matching `q` (its days, publisher and establishments; resource,
/// profile and outcome do not apply).
core::Result<std::vector<AttributeUsageRow>> queryAttributeUsage(Db& db, const UsageQuery& q);

/// A day as the aggregates write it, or nullopt: "YYYY-MM-DD", a real date.
std::optional<std::string> parseUsageDay(std::string_view text);

}  // namespace garde::store
