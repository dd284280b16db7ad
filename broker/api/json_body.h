#pragma once
/// @file The start of every JSON body parser of garde's own APIs (the assignment, sign-in and
/// ceilings bodies): the text parsed with a depth cap, and an object required. Header-only so
/// that each parser's fuzz target links its parser's file alone.

#include <boost/json.hpp>

#include <string_view>

#include "core/result.h"

namespace garde::broker::api {

/// The object of `text`, nesting at most `max_depth`; kBadRequest "the body is not a JSON
/// object" otherwise.
inline core::Result<boost::json::object> parseJsonObject(std::string_view text, int max_depth) {
  boost::json::parse_options options;
  options.max_depth = static_cast<std::size_t>(max_depth);
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec, {}, options);
  if (ec || !v.is_object()) {
    return core::fail(core::ErrorCode::kBadRequest, "the body is not a JSON object");
  }
  return std::move(v.as_object());
}

}  // namespace garde::broker::api
