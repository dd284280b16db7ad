#pragma once
/// @file The JSON answers of garde's own APIs (/api/v1/establishment, /api/v1/admin): a body
/// never cached, and refusals as {"error": message, "request_id": ...} with an info log line
/// saying why (the partner APIs answer in the GAR's formats instead).

#include <boost/json/fwd.hpp>

#include <string_view>

#include "broker/request.h"
#include "core/error.h"
#include "core/log.h"

namespace garde::broker::api {

/// `v` serialized, `Cache-Control: no-store`.
Response jsonReply(int status, const boost::json::value& v);
/// A refusal: `message` to the caller, `why` in the log line of `log` (never personal data).
Response jsonProblem(const core::Logger& log, const Request& req, int status,
                     std::string_view message, std::string_view why);
/// The refusal for a store error: kNotFound/kUnknownResource 404, kConflict 409, kBadRequest 400
/// (the detail to the caller), anything else 503 (the detail only in the log).
Response jsonStoreProblem(const core::Logger& log, const Request& req, const core::Error& e);

}  // namespace garde::broker::api
