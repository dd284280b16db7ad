#include "saml/xml.h"

#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/valid.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/xmlsec.h>

#include <stdexcept>
#include <unordered_set>

namespace garde::saml {
namespace {

using core::ErrorCode;
using core::fail;

using ParserCtxt = core::CHandle<xmlParserCtxt, xmlFreeParserCtxt>;

struct ParseGuardState {
  const char* forbidden = nullptr;  // what we stopped on
};

ParseGuardState* stateOf(void* ctx) {
  return static_cast<ParseGuardState*>(static_cast<xmlParserCtxtPtr>(ctx)->_private);
}

void stopWith(void* ctx, const char* what) {
  auto* state = stateOf(ctx);
  if (state->forbidden == nullptr) {
    state->forbidden = what;
  }
  xmlStopParser(static_cast<xmlParserCtxtPtr>(ctx));
}

// A DOCTYPE is refused the moment it is seen: its declarations (entities, external subsets)
// are never read, so no expansion, no file or network access, no billion laughs.
void onInternalSubset(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*) {
  stopWith(ctx, "DOCTYPE declaration");
}
void onExternalSubset(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*) {
  stopWith(ctx, "external DTD subset");
}
void onEntityDecl(void* ctx, const xmlChar*, int, const xmlChar*, const xmlChar*, xmlChar*) {
  stopWith(ctx, "entity declaration");
}
xmlEntityPtr onGetEntity(void* ctx, const xmlChar* name) {
  // Predefined entities (&amp; ...) are resolved by the parser before this is consulted.
  const xmlEntityPtr predefined = xmlGetPredefinedEntity(name);
  if (predefined != nullptr) {
    return predefined;
  }
  stopWith(ctx, "entity reference");
  return nullptr;
}
void onProcessingInstruction(void* ctx, const xmlChar*, const xmlChar*) {
  stopWith(ctx, "processing instruction");
}

std::string attrValue(xmlAttr* attr) {
  XmlString v(xmlNodeListGetString(attr->doc, attr->children, 1));
  return v ? reinterpret_cast<const char*>(v.get()) : "";
}

// Walks the tree once: depth and node caps, no DTD nodes, IDs unique and registered.
// ("Id" attributes of ds:Signature or xenc elements are never registered, so no reference can
// resolve to them and their values need not be unique: pysaml2 names every Signature "Signature1".)
core::Status checkTree(xmlDoc* doc, const ParseLimits& limits) {
  if (doc->intSubset != nullptr || doc->extSubset != nullptr) {
    return fail(ErrorCode::kForbiddenXml, "DOCTYPE declaration is not allowed");
  }
  xmlNode* root = xmlDocGetRootElement(doc);
  if (root == nullptr) {
    return fail(ErrorCode::kMalformedMessage, "document has no root element");
  }
  std::unordered_set<std::string> ids;
  std::size_t nodes = 0;
  std::size_t depth = 1;
  xmlNode* node = root;
  while (node != nullptr) {
    ++nodes;
    if (node->type == XML_ELEMENT_NODE) {
      if (depth > limits.max_depth) {
        return fail(ErrorCode::kLimitExceeded,
                    "element nesting deeper than " + std::to_string(limits.max_depth));
      }
      for (xmlAttr* attr = node->properties; attr != nullptr; attr = attr->next) {
        ++nodes;
        if (!isIdAttribute(attr)) {
          continue;
        }
        std::string value = attrValue(attr);
        if (!ids.insert(value).second) {
          return fail(ErrorCode::kDuplicateId, "ID '" + value + "' appears more than once");
        }
        if (attr->ns == nullptr &&
            std::string_view(reinterpret_cast<const char*>(attr->name)) == "ID") {
          if (xmlAddID(nullptr, doc, attr->children ? BAD_CAST value.c_str() : BAD_CAST "", attr) ==
              nullptr) {
            return fail(ErrorCode::kDuplicateId, "ID '" + value + "' could not be registered");
          }
        }
      }
    } else if (node->type == XML_ENTITY_REF_NODE || node->type == XML_ENTITY_NODE ||
               node->type == XML_DTD_NODE || node->type == XML_PI_NODE) {
      return fail(ErrorCode::kForbiddenXml,
                  "entity, DTD or processing instruction node in document");
    }
    if (nodes > limits.max_nodes) {
      return fail(ErrorCode::kLimitExceeded,
                  "more than " + std::to_string(limits.max_nodes) + " nodes");
    }
    // Depth-first, iterative.
    if (node->type == XML_ELEMENT_NODE && node->children != nullptr) {
      node = node->children;
      ++depth;
      continue;
    }
    while (node != nullptr && node->next == nullptr) {
      node = node->parent;
      if (node == nullptr || node == reinterpret_cast<xmlNode*>(doc)) {
        node = nullptr;
        break;
      }
      --depth;
      if (node == root) {
        node = nullptr;
        break;
      }
    }
    if (node != nullptr) {
      node = node->next;
    }
  }
  return {};
}

// xmlsec reports every failure on stderr by default; the callers turn failures into Errors and log
// them once, so the library stays quiet.
void quietXmlsecErrors(const char*, int, const char*, const char*, const char*, int, const char*) {}

}  // namespace

LibraryGuard::LibraryGuard() {
  xmlInitParser();
  LIBXML_TEST_VERSION
  if (xmlSecInit() < 0) {
    throw std::runtime_error("xmlsec initialisation failed");
  }
  if (xmlSecCheckVersion() != 1) {
    throw std::runtime_error("loaded xmlsec library version is not compatible");
  }
  if (xmlSecCryptoAppInit(nullptr) < 0) {
    throw std::runtime_error("xmlsec crypto app initialisation failed");
  }
  if (xmlSecCryptoInit() < 0) {
    throw std::runtime_error("xmlsec crypto initialisation failed");
  }
  xmlSecErrorsSetCallback(&quietXmlsecErrors);
}

LibraryGuard::~LibraryGuard() {
  xmlSecCryptoShutdown();
  xmlSecCryptoAppShutdown();
  xmlSecShutdown();
  xmlCleanupParser();
}

Result<XmlDoc> parseUntrusted(std::string_view xml, const ParseLimits& limits) {
  if (xml.size() > limits.max_bytes) {
    return fail(ErrorCode::kLimitExceeded, "XML of " + std::to_string(xml.size()) +
                                               " bytes exceeds " +
                                               std::to_string(limits.max_bytes));
  }
  if (xml.empty()) {
    return fail(ErrorCode::kMalformedMessage, "empty XML document");
  }
  ParserCtxt ctxt(xmlNewParserCtxt());
  if (!ctxt) {
    return fail(ErrorCode::kInternal, "cannot allocate XML parser");
  }
  ParseGuardState state;
  ctxt->_private = &state;
  ctxt->sax->internalSubset = &onInternalSubset;
  ctxt->sax->externalSubset = &onExternalSubset;
  ctxt->sax->entityDecl = &onEntityDecl;
  ctxt->sax->getEntity = &onGetEntity;
  ctxt->sax->processingInstruction = &onProcessingInstruction;
  constexpr int kOptions = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
  XmlDoc doc(xmlCtxtReadMemory(ctxt.get(), xml.data(), static_cast<int>(xml.size()), "message.xml",
                               nullptr, kOptions));
  if (state.forbidden != nullptr) {
    return fail(ErrorCode::kForbiddenXml, std::string(state.forbidden) + " is not allowed");
  }
  if (!doc || ctxt->wellFormed == 0) {
    std::string detail = "XML is not well-formed";
    if (const xmlError* err = xmlCtxtGetLastError(ctxt.get()); err != nullptr && err->message) {
      std::string msg = err->message;
      while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) {
        msg.pop_back();
      }
      detail += " (line " + std::to_string(err->line) + ": " + msg + ")";
    }
    return fail(ErrorCode::kMalformedMessage, detail);
  }
  GARDE_TRY(checkTree(doc.get(), limits));
  return doc;
}

Result<XmlDoc> parseOwn(std::string_view xml) { return parseUntrusted(xml, kMetadataLimits); }

bool isIdAttribute(const xmlAttr* attr) noexcept {
  const std::string_view name = reinterpret_cast<const char*>(attr->name);
  if (attr->ns == nullptr) {
    return name == "ID";
  }
  return name == "id" && xmlStrEqual(attr->ns->href, XML_XML_NAMESPACE) != 0;
}

bool isElement(const xmlNode* node, const char* ns_uri, const char* local_name) noexcept {
  if (node == nullptr || node->type != XML_ELEMENT_NODE) {
    return false;
  }
  if (xmlStrcmp(node->name, BAD_CAST local_name) != 0) {
    return false;
  }
  if (ns_uri == nullptr) {
    return node->ns == nullptr;
  }
  return node->ns != nullptr && xmlStrcmp(node->ns->href, BAD_CAST ns_uri) == 0;
}

xmlNode* firstChildElement(const xmlNode* parent, const char* ns_uri,
                           const char* local_name) noexcept {
  if (parent == nullptr) {
    return nullptr;
  }
  for (xmlNode* c = parent->children; c != nullptr; c = c->next) {
    if (isElement(c, ns_uri, local_name)) {
      return c;
    }
  }
  return nullptr;
}

std::vector<xmlNode*> childElements(const xmlNode* parent, const char* ns_uri,
                                    const char* local_name) {
  std::vector<xmlNode*> out;
  if (parent != nullptr) {
    for (xmlNode* c = parent->children; c != nullptr; c = c->next) {
      if (isElement(c, ns_uri, local_name)) {
        out.push_back(c);
      }
    }
  }
  return out;
}

std::vector<xmlNode*> childElements(const xmlNode* parent) {
  std::vector<xmlNode*> out;
  if (parent != nullptr) {
    for (xmlNode* c = parent->children; c != nullptr; c = c->next) {
      if (c->type == XML_ELEMENT_NODE) {
        out.push_back(c);
      }
    }
  }
  return out;
}

std::optional<std::string> attribute(const xmlNode* node, const char* name) {
  if (node == nullptr || node->type != XML_ELEMENT_NODE) {
    return std::nullopt;
  }
  xmlAttr* attr = xmlHasNsProp(node, BAD_CAST name, nullptr);
  if (attr == nullptr || attr->type != XML_ATTRIBUTE_NODE) {
    return std::nullopt;
  }
  return attrValue(attr);
}

std::optional<std::string> attributeNs(const xmlNode* node, const char* ns_uri, const char* name) {
  if (node == nullptr || node->type != XML_ELEMENT_NODE) {
    return std::nullopt;
  }
  xmlAttr* attr = xmlHasNsProp(node, BAD_CAST name, BAD_CAST ns_uri);
  if (attr == nullptr || attr->type != XML_ATTRIBUTE_NODE || attr->ns == nullptr) {
    return std::nullopt;
  }
  return attrValue(attr);
}

std::string textContent(const xmlNode* node) {
  std::string out;
  if (node == nullptr) {
    return out;
  }
  for (const xmlNode* c = node->children; c != nullptr; c = c->next) {
    if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content != nullptr) {
      out += reinterpret_cast<const char*>(c->content);
    } else if (c->type == XML_ELEMENT_NODE) {
      out += textContent(c);
    }
  }
  return out;
}

std::string serialize(const xmlDoc* doc, bool with_declaration) {
  if (!with_declaration) {
    return serializeNode(xmlDocGetRootElement(doc));
  }
  xmlChar* mem = nullptr;
  int size = 0;
  xmlDocDumpMemoryEnc(const_cast<xmlDoc*>(doc), &mem, &size, "UTF-8");
  XmlString holder(mem);
  return mem ? std::string(reinterpret_cast<const char*>(mem), static_cast<std::size_t>(size)) : "";
}

std::string serializeNode(const xmlNode* node) {
  if (node == nullptr) {
    return {};
  }
  core::CHandle<xmlBuffer, xmlBufferFree> buf(xmlBufferCreate());
  xmlNodeDump(buf.get(), node->doc, const_cast<xmlNode*>(node), 0, 0);
  return std::string(reinterpret_cast<const char*>(xmlBufferContent(buf.get())),
                     static_cast<std::size_t>(xmlBufferLength(buf.get())));
}

Result<std::string> canonicalize(xmlDoc* doc, xmlNode* node) {
  XmlDoc copy(xmlNewDoc(BAD_CAST "1.0"));
  xmlNode* copied = xmlDocCopyNode(node, copy.get(), 1);
  if (copied == nullptr) {
    return fail(ErrorCode::kInternal, "cannot copy node for canonicalization");
  }
  xmlDocSetRootElement(copy.get(), copied);
  (void)doc;
  xmlChar* out = nullptr;
  const int n = xmlC14NDocDumpMemory(copy.get(), nullptr, XML_C14N_EXCLUSIVE_1_0, nullptr, 0, &out);
  XmlString holder(out);
  if (n < 0 || out == nullptr) {
    return fail(ErrorCode::kInternal, "canonicalization failed");
  }
  return std::string(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
}

void registerId(xmlNode* node) {
  xmlAttr* attr = xmlHasNsProp(node, BAD_CAST "ID", nullptr);
  if (attr == nullptr) {
    return;
  }
  const std::string value = attrValue(attr);
  xmlAddID(nullptr, node->doc, BAD_CAST value.c_str(), attr);
}

xmlNode* elementById(xmlDoc* doc, std::string_view id) {
  const std::string key(id);
  xmlAttr* attr = xmlGetID(doc, BAD_CAST key.c_str());
  return attr != nullptr ? attr->parent : nullptr;
}

std::string_view localName(const xmlNode* node) noexcept {
  if (node == nullptr || node->type != XML_ELEMENT_NODE) {
    return {};
  }
  return reinterpret_cast<const char*>(node->name);
}

bool isXmlText(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::uint32_t cp = 0;
    std::size_t len = 0;
    if (c < 0x80) {
      cp = c;
      len = 1;
    } else if ((c & 0xE0) == 0xC0) {
      cp = c & 0x1F;
      len = 2;
    } else if ((c & 0xF0) == 0xE0) {
      cp = c & 0x0F;
      len = 3;
    } else if ((c & 0xF8) == 0xF0) {
      cp = c & 0x07;
      len = 4;
    } else {
      return false;
    }
    if (i + len > s.size()) {
      return false;
    }
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) {
        return false;
      }
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms and surrogates are not UTF-8.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) {
      return false;
    }
    const bool allowed = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
                         (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
    if (!allowed) {
      return false;
    }
    i += len;
  }
  return true;
}

core::Status checkXmlText(std::string_view text, std::string_view what) {
  if (isXmlText(text)) {
    return {};
  }
  return core::fail(core::ErrorCode::kBadEncoding,
                    std::string(what) + " is not valid UTF-8 or holds characters XML cannot carry");
}

}  // namespace garde::saml
