// The one test main: runs Catch2 inside the library guard (libxml2, xmlsec, OpenSSL).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "saml/xml.h"

int main(int argc, char* argv[]) {
  garde::saml::LibraryGuard guard;
  return Catch::Session().run(argc, argv);
}
