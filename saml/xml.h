#pragma once
/// @file libxml2 handles, the library guard, hardened parsing of untrusted XML and tree helpers.
///
/// Every XML that crosses a trust boundary goes through parseUntrusted(): no DTD (any DOCTYPE is
/// rejected before its declarations are read), no entity expansion, no network, caps on size, depth
/// and node count, and IDs registered once with duplicates rejected. Callers then read the returned
/// tree; nothing re-parses between signature verification and reading.

#include <libxml/tree.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/c_handle.h"
#include "core/result.h"

namespace garde::saml {

using core::Result;

using XmlDoc = core::CHandle<xmlDoc, xmlFreeDoc>;
/// A node outside any document tree (new, or unlinked), freed with its subtree.
using XmlNodeHandle = core::CHandle<xmlNode, xmlFreeNode>;
/// xmlFree is a function pointer variable, so it needs a hand-written deleter.
struct XmlFree {
  void operator()(xmlChar* p) const noexcept { xmlFree(p); }
};
using XmlString = std::unique_ptr<xmlChar, XmlFree>;

namespace ns {
inline constexpr const char* kAssertion = "urn:oasis:names:tc:SAML:2.0:assertion";
inline constexpr const char* kProtocol = "urn:oasis:names:tc:SAML:2.0:protocol";
inline constexpr const char* kMetadata = "urn:oasis:names:tc:SAML:2.0:metadata";
inline constexpr const char* kDsig = "http://www.w3.org/2000/09/xmldsig#";
inline constexpr const char* kXenc = "http://www.w3.org/2001/04/xmlenc#";
inline constexpr const char* kXenc11 = "http://www.w3.org/2009/xmlenc11#";
inline constexpr const char* kXsi = "http://www.w3.org/2001/XMLSchema-instance";
inline constexpr const char* kXs = "http://www.w3.org/2001/XMLSchema";
}  // namespace ns

/// Initialises libxml2, xmlsec and its OpenSSL backend, in xmlsec's order; shuts them down in
/// reverse. Exactly one instance, owned by main() or the test main, alive while any saml/ code
/// runs. Throws std::runtime_error if a library fails to initialise.
class LibraryGuard {
 public:
  LibraryGuard();
  ~LibraryGuard();
  LibraryGuard(const LibraryGuard&) = delete;
  LibraryGuard& operator=(const LibraryGuard&) = delete;
};

/// Caps for one parse of untrusted XML.
struct ParseLimits {
  std::size_t max_bytes = 256 * 1024;  ///< serialized input size
  std::size_t max_depth = 64;          ///< element nesting
  std::size_t max_nodes = 20000;       ///< elements + attributes + text nodes
};

/// Limits for metadata aggregates, which are larger than protocol messages.
inline constexpr ParseLimits kMetadataLimits{64u * 1024 * 1024, 64, 5'000'000};

/// Parses untrusted XML. Errors: kLimitExceeded (size/depth/nodes), kForbiddenXml (DOCTYPE,
/// entity declarations or references, processing instructions), kMalformedMessage (not
/// well-formed), kDuplicateId (two ID / xml:id attributes with one value).
/// Attributes named "ID" (no namespace) are registered as XML IDs so that "#id" references resolve.
Result<XmlDoc> parseUntrusted(std::string_view xml, const ParseLimits& limits = {});

/// Parses XML produced by garde itself (same hardening, generous limits). Used after building.
Result<XmlDoc> parseOwn(std::string_view xml);

/// True for the attributes that name an element for "#id" references: SAML's ID (no namespace),
/// which parseUntrusted() registers, and xml:id, which libxml2 registers itself.
bool isIdAttribute(const xmlAttr* attr) noexcept;

/// True if `node` is an element with this namespace URI and local name.
bool isElement(const xmlNode* node, const char* ns_uri, const char* local_name) noexcept;

/// First child element with this namespace and name, or nullptr.
xmlNode* firstChildElement(const xmlNode* parent, const char* ns_uri,
                           const char* local_name) noexcept;

/// All child elements with this namespace and name, in document order.
std::vector<xmlNode*> childElements(const xmlNode* parent, const char* ns_uri,
                                    const char* local_name);

/// All child elements, whatever their name.
std::vector<xmlNode*> childElements(const xmlNode* parent);

/// Attribute without namespace, or nullopt if absent.
std::optional<std::string> attribute(const xmlNode* node, const char* name);

/// Attribute with a namespace (e.g. xsi:type), or nullopt if absent.
std::optional<std::string> attributeNs(const xmlNode* node, const char* ns_uri, const char* name);

/// The full text of the element: every text and CDATA descendant concatenated, comments skipped.
/// (A comment inside a NameID must not truncate the identity: "a<!---->b" reads "ab".)
std::string textContent(const xmlNode* node);

/// True if `s` is UTF-8 made only of characters XML 1.0 can carry (section 2.2): what garde accepts
/// as the text of an element or attribute it builds.
bool isXmlText(std::string_view s) noexcept;
/// kBadEncoding naming `what` unless isXmlText(text): the check every builder of XML text makes.
core::Status checkXmlText(std::string_view text, std::string_view what);

/// Serializes a whole document (UTF-8, with XML declaration unless `with_declaration` is false).
std::string serialize(const xmlDoc* doc, bool with_declaration = true);

/// Serializes one element subtree (as it stands in its document; namespaces declared on ancestors
/// are not copied). For display and tests.
std::string serializeNode(const xmlNode* node);

/// Exclusive C14N (no comments) of a subtree, for comparisons in tests and tools.
Result<std::string> canonicalize(xmlDoc* doc, xmlNode* node);

/// Registers the "ID" attribute of `node` in its document (for elements built by garde).
void registerId(xmlNode* node);

/// The element with this registered ID, or nullptr.
xmlNode* elementById(xmlDoc* doc, std::string_view id);

/// Local name of an element as a string view (empty for non-elements).
std::string_view localName(const xmlNode* node) noexcept;

}  // namespace garde::saml
