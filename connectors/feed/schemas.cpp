#include "connectors/feed/schemas.h"

#include <libxml/parser.h>
#include <libxml/xmlschemastypes.h>

#include <mutex>

namespace garde::connectors::feed {
namespace {

struct Parsed {
  xmlSchema* schema = nullptr;
};

// libxml2 builds its table of built-in schema types on the first schema parse, without a lock:
// two workers parsing at once would race on it (and leak the loser's table). Built once here first.
void initialiseLibraryOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    xmlInitParser();
    xmlSchemaInitTypes();
  });
}

Parsed parse(Degree degree) {
  initialiseLibraryOnce();
  const std::string_view text = embeddedSchema(degree);
  xmlSchemaParserCtxt* ctxt = xmlSchemaNewMemParserCtxt(text.data(), static_cast<int>(text.size()));
  Parsed out;
  if (ctxt != nullptr) {
    out.schema = xmlSchemaParse(ctxt);
    xmlSchemaFreeParserCtxt(ctxt);
  }
  return out;
}

}  // namespace

SchemaSet::SchemaSet()
    : second_(parse(Degree::kSecond).schema), primary_(parse(Degree::kPrimary).schema) {}

SchemaSet::~SchemaSet() {
  if (second_ != nullptr) xmlSchemaFree(second_);
  if (primary_ != nullptr) xmlSchemaFree(primary_);
}

std::string_view degreeName(Degree degree) noexcept {
  return degree == Degree::kPrimary ? "1D" : "2D";
}

core::Result<xmlSchema*> schema(Degree degree) {
  // Kept for the life of the process: the schema is shared, read-only, by every validation.
  static const Parsed second = parse(Degree::kSecond);
  static const Parsed primary = parse(Degree::kPrimary);
  const Parsed& p = degree == Degree::kPrimary ? primary : second;
  if (p.schema == nullptr) {
    return core::fail(
        core::ErrorCode::kInternal,
        "the embedded GAR-ENT " + std::string(degreeName(degree)) + " schema does not parse");
  }
  return p.schema;
}

}  // namespace garde::connectors::feed
