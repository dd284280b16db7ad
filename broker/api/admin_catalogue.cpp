#include "broker/api/admin_catalogue.h"

#include <boost/json.hpp>
#include <charconv>
#include <cstdint>

#include "broker/api/admin_action.h"
#include "broker/api/json_reply.h"
#include "core/log.h"
#include "store/catalogue.h"

namespace garde::broker::api {
namespace {

constexpr core::Logger kLog("api.admin.catalogue");
constexpr int kDefaultHistoryPage = 50;
constexpr int kMaxHistoryPage = 500;

std::string actorOf(const Request& req) { return req.caller ? req.caller->id : std::string(); }

/// "catalogue_put:DIV update", "catalogue_delete:DIV conflict": the action, the code (checked
/// [A-Z0-9_], never personal data) and what came of it.
void audit(const AdminCatalogueDeps& deps, const Request& req, std::string_view action,
           std::string_view code, std::string_view what, bool done) {
  std::string reason(action);
  if (isAttributeCode(code)) {
    reason += ":" + std::string(code) + " " + std::string(what);
  } else {
    reason += ":" + std::string(what);
  }
  auditAdminAction(deps.audit, deps.clock.now(), req, actorOf(req), std::move(reason), done);
}

Response refused(const AdminCatalogueDeps& deps, const Request& req, std::string_view action,
                 std::string_view code, const core::Error& e) {
  audit(deps, req, action, code, core::errorCodeName(e.code), false);
  return jsonStoreProblem(kLog, req, e);
}

boost::json::object entryJson(const store::CatalogueItem& item) {
  boost::json::array profiles;
  for (const policy::Profile p : policy::kAllProfiles) {
    if (item.entry.existsFor(p)) {
      profiles.emplace_back(policy::profileCode(p));
    }
  }
  return {{"code", item.entry.code},
          {"meaning", item.entry.meaning},
          {"sensitivity", policy::sensitivityCode(item.entry.sensitivity)},
          {"multi_valued", item.entry.multi_valued},
          {"profiles", std::move(profiles)},
          {"position", item.position}};
}

/// The history's before/after texts are JSON written by the store; shown as objects.
boost::json::value entryText(const std::optional<std::string>& text) {
  if (!text) {
    return nullptr;
  }
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(*text, ec);
  return ec ? boost::json::value(*text) : v;
}

std::optional<std::int64_t> queryNumber(const Request& req, const char* name, std::int64_t dflt,
                                        std::int64_t lo, std::int64_t hi) {
  const std::string* s = req.queryParam(name);
  if (s == nullptr) {
    return dflt;
  }
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), n);
  if (ec != std::errc() || end != s->data() + s->size() || n < lo || n > hi) {
    return std::nullopt;
  }
  return n;
}

template <class F>
Response reading(const AdminCatalogueDeps& deps, const Request& req, F&& body) {
  auto lease = deps.db.acquire();
  if (!lease) {
    return jsonStoreProblem(kLog, req, lease.error());
  }
  auto tx = store::Transaction::begin(lease->db(), store::Transaction::Kind::kDeferred);
  if (!tx) {
    return jsonStoreProblem(kLog, req, tx.error());
  }
  return body(lease->db());
}

std::string pathCode(const Request& req) {
  const std::string* code = req.pathParam("code");
  return code != nullptr ? *code : std::string();
}

Response handleList(const Request& req, const AdminCatalogueDeps& deps) {
  return reading(deps, req, [&](store::Db& db) {
    auto items = store::listCatalogue(db);
    if (!items) {
      return jsonStoreProblem(kLog, req, items.error());
    }
    boost::json::array out;
    for (const auto& item : *items) {
      out.push_back(entryJson(item));
    }
    return jsonReply(200, boost::json::object{{"catalogue", std::move(out)}});
  });
}

Response handlePut(const Request& req, const AdminCatalogueDeps& deps) {
  const std::string code = pathCode(req);
  auto body = parseCatalogueRequest(code, req.body);
  if (!body) {
    audit(deps, req, "catalogue_put", code, "bad_request", false);
    return jsonProblem(kLog, req, 400, body.error().detail, body.error().detail);
  }
  auto lease = deps.db.acquire();
  if (!lease) {
    return jsonStoreProblem(kLog, req, lease.error());
  }
  auto out = store::putCatalogueEntry(lease->db(), {std::move(body->entry), body->position,
                                                    actorOf(req), body->reason, deps.clock.now()});
  if (!out) {
    return refused(deps, req, "catalogue_put", code, out.error());
  }
  audit(deps, req, "catalogue_put", code, out->added ? "add" : "update", true);
  return jsonReply(200, entryJson(out->item));
}

Response handleDelete(const Request& req, const AdminCatalogueDeps& deps) {
  const std::string code = pathCode(req);
  core::Result<std::string> reason =
      core::fail(core::ErrorCode::kBadRequest, "code: 1 to 32 of A-Z, 0-9 and _");
  if (isAttributeCode(code)) {
    reason = parseCatalogueDeleteRequest(req.body);
  }
  if (!reason) {
    audit(deps, req, "catalogue_delete", code, "bad_request", false);
    return jsonProblem(kLog, req, 400, reason.error().detail, reason.error().detail);
  }
  auto lease = deps.db.acquire();
  if (!lease) {
    return jsonStoreProblem(kLog, req, lease.error());
  }
  if (auto done =
          store::deleteCatalogueEntry(lease->db(), code, actorOf(req), *reason, deps.clock.now());
      !done) {
    return refused(deps, req, "catalogue_delete", code, done.error());
  }
  audit(deps, req, "catalogue_delete", code, "deleted", true);
  return jsonReply(200, boost::json::object{{"deleted", code}});
}

Response handleHistory(const Request& req, const AdminCatalogueDeps& deps) {
  const auto before = queryNumber(req, "before", 0, 0, INT64_MAX);
  const auto limit = queryNumber(req, "limit", kDefaultHistoryPage, 1, kMaxHistoryPage);
  if (!before || !limit || req.query.size() > 2) {
    return jsonProblem(kLog, req, 400, "before: a history id; limit: 1 to 500",
                       "bad history parameters");
  }
  return reading(deps, req, [&](store::Db& db) {
    auto history = store::catalogueHistory(db, *before, static_cast<int>(*limit));
    if (!history) {
      return jsonStoreProblem(kLog, req, history.error());
    }
    boost::json::array out;
    for (const auto& h : *history) {
      out.push_back({{"id", h.id},
                     {"code", h.code},
                     {"action", h.action},
                     {"at", h.at},
                     {"by", h.actor},
                     {"reason", h.reason},
                     {"policy_version", h.policy_version},
                     {"before", entryText(h.before)},
                     {"after", entryText(h.after)}});
    }
    boost::json::object page{{"history", std::move(out)}};
    if (static_cast<std::int64_t>(history->size()) == *limit) {
      page["next_before"] = history->back().id;  // the next page: ?before=
    }
    return jsonReply(200, page);
  });
}

}  // namespace

void mountAdminCatalogue(Router& router, const AdminCatalogueDeps& deps) {
  const auto route = [&](std::string_view method, std::string_view pattern, CallerAuth auth,
                         Response (*handler)(const Request&, const AdminCatalogueDeps&)) {
    router.add(method, pattern, auth, deps.sessions.refreshing([deps, handler](const Request& r) {
      return handler(r, deps);
    }));
  };
  route("GET", "/api/v1/admin/catalogue", CallerAuth::kMinistryReader, handleList);
  route("GET", "/api/v1/admin/catalogue/history", CallerAuth::kMinistryReader, handleHistory);
  route("PUT", "/api/v1/admin/catalogue/{code}", CallerAuth::kMinistryAdmin, handlePut);
  route("DELETE", "/api/v1/admin/catalogue/{code}", CallerAuth::kMinistryAdmin, handleDelete);
}

}  // namespace garde::broker::api
