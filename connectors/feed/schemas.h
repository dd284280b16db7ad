#pragma once
/// @file The GAR-ENT schemas: which one a file is checked against, embedded in the binary
/// (generated from connectors/feed/xsd/ at build time), parsed once.

#include <libxml/xmlschemas.h>

#include <string_view>

#include "core/result.h"

namespace garde::connectors::feed {

/// The two schemas of the ministry: second degree (GAR-ENT.xsd, namespace
/// http://data.education.fr/ns/gar) and primary (GAR-ENT-1D.xsd, namespace .../ns/gar/1d).
enum class Degree { kSecond, kPrimary };

inline constexpr std::string_view kNamespaceSecond = "http://data.education.fr/ns/gar";
inline constexpr std::string_view kNamespacePrimary = "http://data.education.fr/ns/gar/1d";

/// "2D" or "1D", as in the file names.
std::string_view degreeName(Degree degree) noexcept;

/// The schema text, as the ministry publishes it.
std::string_view embeddedSchema(Degree degree) noexcept;

/// The parsed schema, built once per process on first use (thread-safe) and never freed; read-only
/// afterwards, so validations on several threads may share it. kInternal if the embedded schema
/// does not parse (a build defect).
core::Result<xmlSchema*> schema(Degree degree);

/// Both schemas parsed for one thread of its own (a parallel import's workers): libxml2 does not
/// make one parsed schema safe to validate with from several threads at once (validation looks
/// names up in the schema's dictionary). Freed with the object; parsing takes about a millisecond.
class SchemaSet {
 public:
  SchemaSet();
  ~SchemaSet();
  SchemaSet(const SchemaSet&) = delete;
  SchemaSet& operator=(const SchemaSet&) = delete;
  /// The schema, or nullptr when it did not parse (a build defect).
  xmlSchema* get(Degree degree) const noexcept {
    return degree == Degree::kPrimary ? primary_ : second_;
  }

 private:
  xmlSchema* second_ = nullptr;
  xmlSchema* primary_ = nullptr;
};

}  // namespace garde::connectors::feed
