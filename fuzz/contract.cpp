// A publisher's contract document (broker/api/contract_document.h, parseContractDocument): whatever
// the bytes, a list of problems or a document that holds what the store relies on, and that
// written back (contractDocumentJson) reads again to the same document without a problem.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "broker/api/contract_document.h"
#include "fuzz_world.h"

using namespace garde;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::initOnce();
  const std::string_view input = fuzz::asText(data, size);
  const broker::api::ParsedContract parsed = broker::api::parseContractDocument(input, 16);
  for (const auto& p : parsed.problems) {
    if (p.code.empty() || p.message.empty()) {
      __builtin_trap();
    }
  }
  if (parsed.hasErrors()) {
    return 0;
  }
  const auto& doc = parsed.doc;
  if (doc.publisher_id.size() != 26 || doc.publisher_name.empty() || doc.sp_metadata_xml.empty() ||
      doc.resources.empty() || doc.resources.size() > 16) {
    __builtin_trap();
  }
  for (const auto& r : doc.resources) {
    if (r.resource.id.empty() || r.resource.publisher_id != doc.publisher_id ||
        r.resource.url.rfind("https://", 0) != 0) {
      __builtin_trap();
    }
    for (const auto& [profile, needs] : r.needs) {
      for (const auto& n : needs) {
        if (n.code.empty() || n.justification.find_first_not_of(" \t\n") == std::string::npos) {
          __builtin_trap();
        }
      }
    }
  }
  const std::string written = broker::api::contractDocumentJson(doc);
  const broker::api::ParsedContract again = broker::api::parseContractDocument(written, 16);
  if (again.hasErrors() || broker::api::contractDocumentJson(again.doc) != written) {
    __builtin_trap();
  }
  return 0;
}
