#pragma once
/// @file The demo ENT's accounts, as its login page lists them. They mirror the people that
/// the demo's feed files list (broker/demo/data/*_Eleve_0000.xml, *_Enseignant_0000.xml): the identifier here is the person's
/// identifier at the ENT, which the ENT sends as NameID and the broker looks up in its directory.

#include <span>
#include <string_view>

namespace garde::broker::demo {

struct DemoUser {
  std::string_view id;       ///< identifier at the ENT (the NameID the ENT sends)
  std::string_view name;     ///< "Léa Martin"
  std::string_view profile;  ///< "pupil", "teacher", "teacher-librarian"
  std::string_view note;     ///< what makes this account interesting in the demo
};

/// Every demo account, in display order.
std::span<const DemoUser> demoUsers() noexcept;

/// The account with this identifier, or nullptr.
const DemoUser* findDemoUser(std::string_view id) noexcept;

/// An attribute of the ministry catalogue (docs/domain.md section 4).
struct CatalogueAttribute {
  std::string_view code;
  std::string_view meaning;
};

/// The whole catalogue, in its order: what a publisher page lists as "not received" when absent.
std::span<const CatalogueAttribute> catalogue() noexcept;

/// The meaning of a code, or "" when it is not in the catalogue.
std::string_view attributeMeaning(std::string_view code) noexcept;

}  // namespace garde::broker::demo
