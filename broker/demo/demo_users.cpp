#include "broker/demo/demo_users.h"

#include <array>

namespace garde::broker::demo {
namespace {

// Keep in step with the demo's feed files (broker/demo/data/); tests/broker/demo_peers_test.cpp
// checks every account signs in, tests/broker/demo_data_test.cpp that the feed has them.
constexpr std::array kUsers{
    DemoUser{"elv-0001", "Léa Martin", "pupil",
             "class 3A, group LATIN: resource A is assigned to 3A"},
    DemoUser{"elv-0002", "Hugo Bernard", "pupil", "class 3A"},
    DemoUser{"elv-0003", "Chloé Petit", "pupil", "class 4B: resource A is not assigned to her"},
    DemoUser{"elv-0004", "Maïté-Françoise Lefèvre-Côté", "pupil", "class 3A"},
    DemoUser{"ens-0001", "Paul Durand", "teacher", "assigned resource A by name; the collège's assignment manager (console)"},
    DemoUser{"ens-0002", "Claire Moreau", "teacher", "not assigned resource A; the lycée's assignment manager (console)"},
    DemoUser{"doc-0001", "Anne Leroy", "teacher-librarian", "no class"},
};

// Keep in step with kCatalogue in store/demo_data.cpp.
constexpr std::array kCatalogue{
    CatalogueAttribute{"IDO", "pseudonym for this publisher"},
    CatalogueAttribute{"PRO", "profile in the establishment"},
    CatalogueAttribute{"UAI", "establishment"},
    CatalogueAttribute{"PRE", "first name"},
    CatalogueAttribute{"NOM", "last name"},
    CatalogueAttribute{"CIV", "civility"},
    CatalogueAttribute{"DIV", "classes"},
    CatalogueAttribute{"GRO", "groups"},
    CatalogueAttribute{"P_MEL", "staff e-mail"},
    CatalogueAttribute{"E_MEF", "pupil's level (MEF)"},
    CatalogueAttribute{"E_MAT", "subjects a pupil follows"},
    CatalogueAttribute{"P_MAT", "subjects a teacher teaches"},
};

}  // namespace

std::span<const DemoUser> demoUsers() noexcept { return kUsers; }

const DemoUser* findDemoUser(std::string_view id) noexcept {
  for (const DemoUser& u : kUsers) {
    if (u.id == id) {
      return &u;
    }
  }
  return nullptr;
}

std::span<const CatalogueAttribute> catalogue() noexcept { return kCatalogue; }

std::string_view attributeMeaning(std::string_view code) noexcept {
  for (const CatalogueAttribute& a : kCatalogue) {
    if (a.code == code) {
      return a.meaning;
    }
  }
  return {};
}

}  // namespace garde::broker::demo
