#include "broker/api/json_reply.h"

#include <boost/json.hpp>

namespace garde::broker::api {

Response jsonReply(int status, const boost::json::value& v) {
  Response r = Response::json(status, boost::json::serialize(v));
  r.setHeader("Cache-Control", "no-store");
  return r;
}

Response jsonProblem(const core::Logger& log, const Request& req, int status,
                     std::string_view message, std::string_view why) {
  log.info("refused",
           {{"request_id", req.request_id}, {"status", std::to_string(status)}, {"why", why}});
  return jsonReply(status, boost::json::object{{"error", message}, {"request_id", req.request_id}});
}

Response jsonStoreProblem(const core::Logger& log, const Request& req, const core::Error& e) {
  switch (e.code) {
    case core::ErrorCode::kNotFound:
    case core::ErrorCode::kUnknownResource:
      return jsonProblem(log, req, 404, e.detail, e.detail);
    case core::ErrorCode::kConflict:
      return jsonProblem(log, req, 409, e.detail, e.detail);
    case core::ErrorCode::kBadRequest:
      return jsonProblem(log, req, 400, e.detail, e.detail);
    default:
      return jsonProblem(log, req, 503, "service unavailable", e.describe());
  }
}

}  // namespace garde::broker::api
