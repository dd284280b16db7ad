#pragma once
/// @file Character escaping of Canonical XML 1.0 (section 2.3, "Processing of Text Nodes" and
/// "Processing of Attribute Nodes"), which exclusive C14N shares: text written through these
/// functions is already in canonical form, so garde can sign what it writes without building a
/// tree and canonicalizing it (saml/message_text.cpp). The input must be XML text
/// (saml::isXmlText); these functions only escape.

#include <string>
#include <string_view>

namespace garde::saml::c14n {

/// Appends `text` to `out`, each character for which `escape` gives a reference replaced by it.
template <class Escape>
void appendEscaped(std::string& out, std::string_view text, Escape escape) {
  std::size_t done = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (const char* escaped = escape(text[i])) {
      out.append(text, done, i - done);
      out += escaped;
      done = i + 1;
    }
  }
  out.append(text, done, text.size() - done);
}

/// An attribute value: & < " and the three whitespace characters XML would normalize.
inline void appendAttributeValue(std::string& out, std::string_view value) {
  appendEscaped(out, value, [](char c) -> const char* {
    switch (c) {
      case '&':
        return "&amp;";
      case '<':
        return "&lt;";
      case '"':
        return "&quot;";
      case '\t':
        return "&#x9;";
      case '\n':
        return "&#xA;";
      case '\r':
        return "&#xD;";
      default:
        return nullptr;
    }
  });
}

/// Character data: & < > and carriage return.
inline void appendText(std::string& out, std::string_view text) {
  appendEscaped(out, text, [](char c) -> const char* {
    switch (c) {
      case '&':
        return "&amp;";
      case '<':
        return "&lt;";
      case '>':
        return "&gt;";
      case '\r':
        return "&#xD;";
      default:
        return nullptr;
    }
  });
}

}  // namespace garde::saml::c14n
