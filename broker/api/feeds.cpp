#include "broker/api/feeds.h"

#include <charconv>

#include "core/log.h"

namespace garde::broker::api {
namespace {

const core::Logger kLog("api.feeds");

std::string errorJson(std::string_view code, std::string_view detail) {
  std::string out = "{\"error\":\"";
  out += code;
  out += "\",\"detail\":\"";
  for (const char c : detail) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    if (static_cast<unsigned char>(c) >= 0x20) {
      out += c;
    }
  }
  return out + "\"}";
}

Response refusal(const Request& req, const core::Error& error) {
  const int status = error.code == core::ErrorCode::kForbidden    ? 403
                     : error.code == core::ErrorCode::kNotFound   ? 404
                     : error.code == core::ErrorCode::kBadRequest ? 400
                                                                  : 500;
  Response r = Response::json(
      status,
      errorJson(core::errorCodeName(error.code),
                status == 500 ? "the import failed; the directory is unchanged" : error.detail));
  r.log_fields.push_back({"reason", std::string(core::errorCodeName(error.code))});
  if (status == 500) {
    kLog.error("feed import failed", {{"request_id", req.request_id}, {"detail", error.detail}});
  }
  return r;
}

core::Status requireEnt(const Request& req) {
  if (!req.caller || req.caller->kind != Caller::Kind::kEntProject || req.caller->id.empty()) {
    return core::fail(core::ErrorCode::kForbidden, "only an ENT project may use this API");
  }
  return {};
}

}  // namespace

core::Result<FeedUpload> parseFeedUpload(const Request& req) {
  GARDE_TRY(requireEnt(req));
  if (req.body.empty()) {
    return core::fail(core::ErrorCode::kBadRequest, "the body must be the .tar.gz archive");
  }
  FeedUpload upload;
  upload.ent_id = req.caller->id;
  if (const std::string* md5 = req.header(kMd5Header)) {
    upload.md5 = *md5;
  }
  const std::string* name = req.queryParam("name");
  upload.name = name != nullptr && !name->empty() && name->size() <= 255
                    ? *name
                    : upload.ent_id + "_GAR-ENT_Complet.tar.gz";
  return upload;
}

Response handleFeedUpload(const Request& req, const FeedApiDeps& deps) {
  auto upload = parseFeedUpload(req);
  if (!upload) {
    return refusal(req, upload.error());
  }
  auto lease = deps.db.acquire();
  if (!lease) {
    return refusal(req, lease.error());
  }
  connectors::feed::FeedInput input;
  input.type = connectors::feed::FeedInput::Type::kArchiveBytes;
  input.name = upload->name;
  input.bytes = req.body;
  input.md5 = upload->md5;
  connectors::feed::FeedImportOptions options;
  options.ent_id = upload->ent_id;
  options.file_limits = deps.file_limits;
  options.archive_limits = deps.archive_limits;
  auto report = connectors::feed::importFeed(lease->db(), {input}, options, deps.clock.now());
  if (!report) {
    return refusal(req, report.error());
  }
  Response r = Response::json(report->imported ? 200 : 422, connectors::feed::reportJson(*report));
  r.log_fields.push_back({"ent", upload->ent_id});
  if (report->feed_id) {
    r.log_fields.push_back({"feed", std::to_string(*report->feed_id)});
    r.setHeader("Location", "/api/v1/ent/feeds/" + std::to_string(*report->feed_id));
  }
  r.log_fields.push_back({"outcome", report->imported ? "imported" : "refused"});
  return r;
}

Response handleFeedReport(const Request& req, const FeedApiDeps& deps) {
  if (auto s = requireEnt(req); !s) {
    return refusal(req, s.error());
  }
  const std::string* id_text = req.pathParam("id");
  std::int64_t id = 0;
  if (id_text == nullptr || id_text->empty() ||
      std::from_chars(id_text->data(), id_text->data() + id_text->size(), id).ptr !=
          id_text->data() + id_text->size() ||
      id <= 0) {
    return refusal(req, core::Error{core::ErrorCode::kNotFound, "no such feed"});
  }
  auto lease = deps.db.acquire();
  if (!lease) {
    return refusal(req, lease.error());
  }
  auto row = store::findFeed(lease->db(), req.caller->id, id);
  if (!row) {
    return refusal(req, row.error());
  }
  Response r = Response::json(200, row->report.empty() ? "{}" : row->report);
  r.log_fields.push_back({"ent", req.caller->id});
  r.log_fields.push_back({"feed", std::to_string(id)});
  return r;
}

void mountFeedApi(Router& router, const FeedApiDeps& deps) {
  router.post("/api/v1/ent/feeds", CallerAuth::kClientCertificate,
              [deps](const Request& r) { return handleFeedUpload(r, deps); });
  router.get("/api/v1/ent/feeds/{id}", CallerAuth::kClientCertificate,
             [deps](const Request& r) { return handleFeedReport(r, deps); });
}

}  // namespace garde::broker::api
