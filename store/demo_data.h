#pragma once
/// @file Demo data, the part no partner sends: the ENT's and the publishers' registration, the
/// establishment's (academy, nature code), resources, contracts, the demo's assignments, the
/// ministry catalogue and default ceilings. The directory comes from the demo's GAR-ENT feed files
/// and the subscriptions from the subscription web service (broker/demo/demo_data.h, which calls
/// these around them; docs/demo.md). Names and identifiers are fictitious.

#include <optional>
#include <string>

#include "core/result.h"
#include "core/time.h"
#include "policy/date.h"
#include "store/db.h"

namespace garde::store {

/// The demo's peers: entity ids and URLs depend on where the demo runs.
struct DemoPeers {
  std::string ent_idp_entity_id = "https://ent.demo.test/idp";
  std::optional<std::string> ent_idp_metadata_xml;
  /// How the ENT says who the user is, and when our requests are signed (store::Ent).
  std::string ent_identifier_source = "name_id";
  std::string ent_identifier_name = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
  std::string ent_sign_authn_requests = "metadata";
  std::string publisher_a_sp_entity_id = "https://edition-a.demo.test/sp/metadata";
  std::optional<std::string> publisher_a_sp_metadata_xml;
  std::string publisher_a_base_url = "https://edition-a.demo.test";
  std::string publisher_b_sp_entity_id = "https://edition-b.demo.test/sp/metadata";
  std::optional<std::string> publisher_b_sp_metadata_xml;
  std::string publisher_b_base_url = "https://edition-b.demo.test";
  core::UnixTime at = 1756684800;  ///< 2025-09-01T00:00:00Z, the time recorded on demo rows
};

/// Well-known demo identifiers, for tests and the demo page.
namespace demo {
inline constexpr const char* kEnt = "ENTTEST1";
inline constexpr const char* kUai = "0561534N";
inline constexpr const char* kPublisherA = "123456789_0000000000000001";
inline constexpr const char* kPublisherB = "987654321_0000000000000002";
inline constexpr const char* kResourceA = "ark:/49591/demo.manuel.a";
/// Publisher A's second resource, for pupils of class 3A only (an opaque RelayState from A then
/// needs a choice: docs/flows.md).
inline constexpr const char* kResourceA2 = "ark:/49591/demo.cahier.a";
inline constexpr const char* kResourceB = "ark:/49591/demo.outil.b";
inline constexpr const char* kPolicyVersion = "demo-1";
/// Pupils: elv-0001 (3A, group LATIN), elv-0002 (3A), elv-0003 (4B: not assigned resource A nor
/// A2), elv-0004 (3A, non-ASCII names).
/// Teachers: ens-0001 (assigned A by name), ens-0002 (not assigned A). doc-0001: teacher-librarian.
inline constexpr const char* kPupil = "elv-0001";
inline constexpr const char* kUnassignedPupil = "elv-0003";
inline constexpr const char* kTeacher = "ens-0001";
}  // namespace demo

/// Registers the demo's partners into a migrated database, in one transaction: the ENT, its
/// establishment (name, academy, nature code), the two publishers, their resources and approved
/// contracts, the ministry catalogue and the default ceilings (version demo-1, only when no policy
/// exists yet, so a real policy is never replaced). Idempotent: a second run rewrites the same
/// rows. What comes before the feed import and the subscriptions (they need the ENT, the
/// publishers and the resources).
core::Status loadDemoPartners(Db& db, const DemoPeers& peers = {});

/// The demo's assignments (resource A to class 3A and to ens-0001, the exercise book to class 3A),
/// in one transaction, idempotent. Needs the subscriptions DEMO_A_0561534N and DEMO_A2_0561534N
/// (created through the subscription web service) and the directory (the feed): kNotFound
/// otherwise.
core::Status loadDemoAssignments(Db& db, core::UnixTime at);

/// The catalogue of docs/domain.md section 4, with the profiles each entry exists for (the entries
/// missing are added; those present are left as the ministry keeps them) and, when no policy
/// exists, the default ceilings as `version`. Used by loadDemoPartners and by a fresh production install.
core::Status loadMinistryDefaults(Db& db, std::string_view version, std::string_view author,
                                  core::UnixTime at);

}  // namespace garde::store
