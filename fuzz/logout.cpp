// The single logout reader (connectors/logout/logout.h, readLogoutMessage) at an SLO endpoint of
// garde that knows one peer (kSpEntityId and kIdpEntityId both sign with the fuzz world's key).
// First byte: bit 0 set, the rest is the raw query string of an HTTP-Redirect GET; clear, the rest
// is the XML, posted (HTTP-POST, base64) as SAMLRequest (bit 1 clear) or SAMLResponse (bit 1 set),
// with a RelayState.
#include <cstddef>
#include <cstdint>

#include "connectors/logout/logout.h"
#include "core/encoding.h"
#include "fuzz_world.h"
#include "support/constants.h"

using namespace garde;

namespace fuzz_logout {

/// Our SLO URL in the fuzz world: the Destination every seed names.
inline constexpr const char* kSloUrl = "https://garde.example.org/idp/slo";

const connectors::logout::Expectation& expectation() {
  static const connectors::logout::Expectation e = [] {
    connectors::logout::Expectation x;
    x.destination = kSloUrl;
    x.keys_for = [](std::string_view issuer) -> std::optional<std::vector<saml::Certificate>> {
      if (issuer == test::kSpEntityId || issuer == test::kIdpEntityId) {
        return std::vector<saml::Certificate>{fuzz::credential().cert};
      }
      return std::nullopt;
    };
    return x;
  }();
  return e;
}

}  // namespace fuzz_logout

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::initOnce();
  if (size == 0) {
    return 0;
  }
  const std::string_view rest = fuzz::asText(data + 1, size - 1);
  const auto& expect = fuzz_logout::expectation();
  if ((data[0] & 1) == 1) {
    (void)connectors::logout::readLogoutMessage("GET", rest, {}, expect, test::kNow);
    return 0;
  }
  const char* field = (data[0] & 2) == 2 ? "SAMLResponse" : "SAMLRequest";
  const connectors::logout::FormFields form{{field, core::base64Encode(rest)},
                                            {"RelayState", "fuzz-relay"}};
  (void)connectors::logout::readLogoutMessage("POST", {}, form, expect, test::kNow);
  return 0;
}
