#pragma once
/// @file The first problem met while writing a message, shared by the two writers of saml/:
/// messages.cpp's TreeBuilder and message_text.cpp's CanonicalWriter. Both write straight through
/// and report the first problem at the end, with the same codes and details.

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/result.h"
#include "saml/xml.h"

namespace garde::saml::detail {

class BuildProblems {
 public:
  /// True when `text` may be written (checkXmlText); otherwise its kBadEncoding is remembered.
  bool checkText(std::string_view text, std::string_view what) {
    auto ok = checkXmlText(text, what);
    if (!ok && !first_) {
      first_ = std::move(ok).error();
    }
    return ok.has_value();
  }

  /// kMalformedMessage "cannot build <element> without <what>" when `value` is empty.
  void require(std::string_view value, std::string_view element, std::string_view what) {
    if (value.empty() && !first_) {
      first_ =
          core::Error{core::ErrorCode::kMalformedMessage,
                      "cannot build " + std::string(element) + " without " + std::string(what)};
    }
  }

  /// The first problem, if any.
  core::Status status() const {
    if (first_) {
      return core::fail(*first_);
    }
    return {};
  }

 private:
  std::optional<core::Error> first_;
};

}  // namespace garde::saml::detail
