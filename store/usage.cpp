#include "store/usage.h"

#include <map>
#include <tuple>

#include "store/util.h"

namespace garde::store {
namespace {

constexpr std::int64_t kDay = 86400;

std::string dayOf(core::UnixTime t) { return core::formatIso8601(t).substr(0, 10); }

/// The launches of `day` grouped, and the attributes they released counted, written over what
/// the aggregates held for that day.
core::Status aggregateDay(Db& db, const std::string& day, bool final_day) {
  const std::string from = day + "T00:00:00Z";
  const std::string until = day + "T99";  // every time of the day sorts before it
  GARDE_STORE_PREPARE(clear, db, "DELETE FROM usage_daily WHERE day = ?1");
  GARDE_TRY(clear.bind(1, day).run());
  GARDE_STORE_PREPARE(clear_attributes, db, "DELETE FROM usage_attributes_daily WHERE day = ?1");
  GARDE_TRY(clear_attributes.bind(1, day).run());
  GARDE_STORE_PREPARE(group, db,
                      "INSERT INTO usage_daily(day, publisher_id, resource_id, profile, uai, "
                      "outcome, reason, launches) "
                      "SELECT ?1, publisher_id, resource_id, profile, uai, outcome, "
                      "CASE outcome WHEN 'refused' THEN reason ELSE '' END, count(*) FROM audit "
                      "WHERE kind = 'launch' AND at >= ?2 AND at < ?3 "
                      "GROUP BY publisher_id, resource_id, profile, uai, outcome, "
                      "CASE outcome WHEN 'refused' THEN reason ELSE '' END");
  GARDE_TRY(group.bindAll(day, from, until).run());

  // released holds the codes separated by spaces: counted here rather than split in SQL.
  std::map<std::tuple<std::string, std::string, std::string>, std::int64_t> counts;
  GARDE_STORE_PREPARE(released, db,
                      "SELECT publisher_id, uai, released FROM audit WHERE kind = 'launch' AND "
                      "outcome = 'released' AND at >= ?1 AND at < ?2");
  released.bindAll(from, until);
  GARDE_TRY(detail::forEachRow(released, [&](const Stmt& row) {
    const std::string publisher = row.text(0);
    const std::string uai = row.text(1);
    const std::string codes = row.text(2);
    std::size_t start = 0;
    while (start < codes.size()) {
      std::size_t end = codes.find(' ', start);
      if (end == std::string::npos) end = codes.size();
      if (end > start) ++counts[{publisher, uai, codes.substr(start, end - start)}];
      start = end + 1;
    }
  }));
  GARDE_STORE_PREPARE(insert, db,
                      "INSERT INTO usage_attributes_daily(day, publisher_id, uai, attribute, "
                      "releases) VALUES (?1, ?2, ?3, ?4, ?5)");
  for (const auto& [key, n] : counts) {
    GARDE_TRY(insert.bindAll(day, std::get<0>(key), std::get<1>(key), std::get<2>(key), n).run());
    insert.reset();
  }
  GARDE_STORE_PREPARE(mark, db,
                      "INSERT INTO usage_days(day, final) VALUES (?1, ?2) "
                      "ON CONFLICT(day) DO UPDATE SET final = excluded.final");
  return mark.bindAll(day, final_day).run();
}

}  // namespace

std::optional<std::string> parseUsageDay(std::string_view text) {
  if (text.size() != 10) {
    return std::nullopt;
  }
  auto t = core::parseIso8601(std::string(text) + "T00:00:00Z");
  if (!t || dayOf(*t) != text) {
    return std::nullopt;
  }
  return std::string(text);
}

core::Result<std::int64_t> aggregateUsage(Db& db, core::UnixTime now) {
  std::int64_t days = 0;
  GARDE_TRY(detail::inTransaction(db, [&]() -> core::Status {
    // A day part of which the purge deleted keeps the aggregates it had (computed before that
    // purge, which runs after this, docs/usage.md).
    GARDE_STORE_PREPARE(state, db, "SELECT purged_before FROM usage_state WHERE id = 1");
    GARDE_STORE_STEP(has_state, state);
    const std::string purged_before = has_state ? state.text(0) : std::string();
    // From the day after the last final one (at the latest, yesterday: its last records may have
    // come in after midnight) to today.
    std::string first = dayOf(now - kDay);
    GARDE_STORE_PREPARE(last_final, db, "SELECT max(day) FROM usage_days WHERE final = 1");
    GARDE_STORE_STEP(found, last_final);
    if (found && !last_final.isNull(0)) {
      auto t = core::parseIso8601(last_final.text(0) + "T00:00:00Z");
      if (t && dayOf(*t + kDay) < first) {
        first = dayOf(*t + kDay);
      }
    } else {
      GARDE_STORE_PREPARE(oldest, db, "SELECT min(at) FROM audit WHERE kind = 'launch'");
      GARDE_STORE_STEP(any, oldest);
      if (any && !oldest.isNull(0) && oldest.text(0).substr(0, 10) < first) {
        first = oldest.text(0).substr(0, 10);
      }
    }
    auto start = core::parseIso8601(first + "T00:00:00Z");
    if (!start) {
      return core::fail(core::ErrorCode::kStoreError, "usage: a day that does not parse: " + first);
    }
    const std::string today = dayOf(now);
    const std::string last_final_day = dayOf(now - 2 * kDay);
    for (core::UnixTime d = *start; dayOf(d) <= today; d += kDay) {
      const std::string day = dayOf(d);
      if (day + "T00:00:00Z" < purged_before) {
        if (day <= last_final_day) {
          GARDE_STORE_PREPARE(mark, db,
                              "INSERT INTO usage_days(day, final) VALUES (?1, 1) "
                              "ON CONFLICT(day) DO UPDATE SET final = 1");
          GARDE_TRY(mark.bind(1, day).run());
        }
        continue;
      }
      GARDE_TRY(aggregateDay(db, day, day <= last_final_day));
      ++days;
    }
    return {};
  }));
  return days;
}

namespace {

/// The WHERE clause and its values for `q`, over a table with day, publisher_id and uai columns
/// (and, with `launches`, resource_id, profile and outcome).
struct Filter {
  std::string sql;
  std::vector<std::string> values;

  void add(const char* column, const std::optional<std::string>& value, const char* op = "=") {
    if (value) {
      values.push_back(*value);
      sql += std::string(sql.empty() ? " WHERE " : " AND ") + column + " " + op + " ?" +
             std::to_string(values.size());
    }
  }
};

Filter filterOf(const UsageQuery& q, bool launches) {
  Filter f;
  f.add("day", q.from_day, ">=");
  f.add("day", q.until_day, "<=");
  f.add("publisher_id", q.publisher_id);
  f.add("uai", q.uai);
  if (launches) {
    f.add("resource_id", q.resource_id);
    f.add("profile", q.profile);
    f.add("outcome", q.outcome);
  }
  if (!q.uais.empty()) {
    std::string in;
    for (const auto& uai : q.uais) {
      f.values.push_back(uai);
      in += (in.empty() ? "?" : ", ?") + std::to_string(f.values.size());
    }
    f.sql += std::string(f.sql.empty() ? " WHERE " : " AND ") + "uai IN (" + in + ")";
  }
  return f;
}

}  // namespace

core::Result<std::vector<UsageRow>> queryUsage(Db& db, const UsageQuery& q) {
  const Filter f = filterOf(q, true);
  // The SQL is built from constant fragments only; every value is bound.
  GARDE_STORE_PREPARE(stmt, db,
                      "SELECT day, publisher_id, resource_id, profile, uai, outcome, reason, "
                      "launches FROM usage_daily" + f.sql +
                          " ORDER BY day, publisher_id, resource_id, profile, uai, outcome, "
                          "reason LIMIT " + std::to_string(kUsageRowsMax + 1));
  for (std::size_t i = 0; i < f.values.size(); ++i) {
    stmt.bind(static_cast<int>(i + 1), f.values[i]);
  }
  std::vector<UsageRow> out;
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& row) {
    out.push_back({row.text(0), row.text(1), row.text(2), row.text(3), row.text(4), row.text(5),
                   row.text(6), row.int64(7)});
  }));
  if (out.size() > static_cast<std::size_t>(kUsageRowsMax)) {
    return core::fail(core::ErrorCode::kBadRequest,
                      "more than " + std::to_string(kUsageRowsMax) +
                          " rows: narrow the period or filter by publisher or establishment");
  }
  return out;
}

core::Result<std::vector<AttributeUsageRow>> queryAttributeUsage(Db& db, const UsageQuery& q) {
  const Filter f = filterOf(q, false);
  GARDE_STORE_PREPARE(stmt, db,
                      "SELECT day, publisher_id, uai, attribute, releases FROM "
                      "usage_attributes_daily" + f.sql +
                          " ORDER BY day, publisher_id, uai, attribute LIMIT " +
                          std::to_string(kUsageRowsMax + 1));
  for (std::size_t i = 0; i < f.values.size(); ++i) {
    stmt.bind(static_cast<int>(i + 1), f.values[i]);
  }
  std::vector<AttributeUsageRow> out;
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& row) {
    out.push_back({row.text(0), row.text(1), row.text(2), row.text(3), row.int64(4)});
  }));
  if (out.size() > static_cast<std::size_t>(kUsageRowsMax)) {
    return core::fail(core::ErrorCode::kBadRequest,
                      "more than " + std::to_string(kUsageRowsMax) +
                          " rows: narrow the period or filter by publisher or establishment");
  }
  return out;
}

}  // namespace garde::store
