// garde: the broker binary and its operator commands.
#include <cstdio>

#include "saml/xml.h"

int main(int argc, char** argv) {
  (void)argc;
  (void)argv;
  garde::saml::LibraryGuard guard;
  std::puts("garde");
  return 0;
}
