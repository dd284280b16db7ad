#pragma once
/// @file Character escaping of Canonical XML 1.0 (section 2.3, "Processing of Text Nodes" and
/// "Processing of Attribute Nodes"), which exclusive C14N shares: text written through these
/// functions is already in canonical form, so garde can sign what it writes without building a
/// tree and canonicalizing it (saml/message_text.cpp). The input must be XML text
/// (saml::isXmlText); these functions only escape.

#include <string>
#include <string_view>

namespace garde::saml::c14n {

/// An attribute value: & < " and the three whitespace characters XML would normalize.
inline void appendAttributeValue(std::string& out, std::string_view value) {
  std::size_t done = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char* escaped = nullptr;
    switch (value[i]) {
      case '&':
        escaped = "&amp;";
        break;
      case '<':
        escaped = "&lt;";
        break;
      case '"':
        escaped = "&quot;";
        break;
      case '\t':
        escaped = "&#x9;";
        break;
      case '\n':
        escaped = "&#xA;";
        break;
      case '\r':
        escaped = "&#xD;";
        break;
      default:
        continue;
    }
    out.append(value, done, i - done);
    out += escaped;
    done = i + 1;
  }
  out.append(value, done, value.size() - done);
}

/// Character data: & < > and carriage return.
inline void appendText(std::string& out, std::string_view text) {
  std::size_t done = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char* escaped = nullptr;
    switch (text[i]) {
      case '&':
        escaped = "&amp;";
        break;
      case '<':
        escaped = "&lt;";
        break;
      case '>':
        escaped = "&gt;";
        break;
      case '\r':
        escaped = "&#xD;";
        break;
      default:
        continue;
    }
    out.append(text, done, i - done);
    out += escaped;
    done = i + 1;
  }
  out.append(text, done, text.size() - done);
}

}  // namespace garde::saml::c14n
