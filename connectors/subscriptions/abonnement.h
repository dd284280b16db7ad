#pragma once
/// @file The GAR subscription web service's formats (docs/partner-apis.md): `<abonnement>` and
/// `<filtres>` read from untrusted XML (saml::parseUntrusted: no DOCTYPE, no entities, caps),
/// every rule of an abonnement checked with all its problems reported, each naming its field
/// (docs/domain.md section 7), and the answers written (`<abonnements>`, `<etablissements>`, the
/// assignment report, `<erreurs>`). Pure: what the rules need from the store (the resource's
/// publisher, the establishments' nature codes) and `today` are inputs.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "policy/date.h"
#include "store/directory.h"
#include "store/subscriptions.h"

namespace garde::connectors::subscriptions {

/// The namespace of every element of the service.
inline constexpr const char* kNamespace = "http://www.atosworldline.com/wsabonnement/v1.0/";

/// The idAbonnement no subscription may have: `POST /abonnements` is the listing, so a
/// subscription of that id could never be updated.
inline constexpr std::string_view kReservedId = "abonnements";

/// An `<abonnement>` as sent: each field's text (whitespace around it trimmed), unchecked.
struct AbonnementFields {
  std::optional<std::string> id;                        ///< idAbonnement
  std::optional<std::string> comment;                   ///< commentaireAbonnement
  std::optional<std::string> publisher_id;              ///< idDistributeurCom
  std::optional<std::string> resource_id;               ///< idRessource
  std::optional<std::string> resource_type;             ///< typeIdRessource
  std::optional<std::string> resource_label;            ///< libelleRessource
  std::optional<std::string> valid_from;                ///< debutValidite
  std::optional<std::string> valid_until;               ///< finValidite
  std::optional<std::string> end_school_year;           ///< anneeFinValidite
  std::vector<std::string> uais;                        ///< uaiEtab
  std::optional<std::string> nature_code;               ///< codeNatureUAI
  std::optional<std::string> category;                  ///< categorieAffectation
  std::optional<std::string> assignment_type;           ///< typeAffectation
  std::optional<std::string> licences_global;           ///< nbLicenceGlobale
  std::optional<std::string> licences_enseignant;       ///< nbLicenceEnseignant
  std::optional<std::string> licences_eleve;            ///< nbLicenceEleve
  std::optional<std::string> licences_prof_doc;         ///< nbLicenceProfDoc
  std::optional<std::string> licences_autre_personnel;  ///< nbLicenceAutrePersonnel
  std::vector<std::string> audiences;                   ///< publicCible
  std::optional<std::string> project_code;              ///< codeProjetRessource
};

/// The caps of one request body: a subscription may list many establishments.
inline constexpr std::size_t kMaxBodyBytes = 1024 * 1024;

/// Reads an `<abonnement>` document. Errors: those of saml::parseUntrusted (kForbiddenXml for a
/// DOCTYPE or an entity, kLimitExceeded, kMalformedMessage when not well-formed), and
/// kMalformedMessage naming the element for: another root or namespace, an unknown element, an
/// element with child elements, or a field given twice that is not repeatable.
core::Result<AbonnementFields> parseAbonnement(std::string_view xml);

/// One problem of a request, naming its field (an element's local name).
struct FieldProblem {
  std::string field;
  std::string message;
  bool operator==(const FieldProblem&) const = default;
};

/// Create (PUT) or update (POST).
enum class AbonnementOperation { kCreate, kUpdate };

/// What the rules need besides the document.
struct AbonnementContext {
  AbonnementOperation operation = AbonnementOperation::kCreate;
  std::string path_id;    ///< the {idAbonnement} of the URL: the body must say the same
  std::string caller_id;  ///< the calling publisher's SIREN_ISNI
  /// The publisher of the resource idRessource names; nullopt when garde has no such resource.
  std::optional<std::string> resource_publisher;
  /// codeNatureUAI of the establishments garde knows among uaiEtab (an unknown one is allowed: a
  /// subscription may name an establishment whose ENT is not connected yet).
  std::map<std::string, std::optional<std::string>, std::less<>> known_natures;
  /// Update: the stored subscription, whose establishments are kept.
  const store::SubscriptionRecord* existing = nullptr;
};

/// The outcome of the rules: the record to store, or every problem found.
struct AbonnementCheck {
  std::optional<store::SubscriptionRecord> record;
  std::vector<FieldProblem> problems;
};

/// Whether a codeNatureUAI is a primary school's (premier degré: the nature codes 1xx, e.g. 101
/// école maternelle, 151 école élémentaire), which may not be targeted for DOCUMENTALISTE.
bool isPrimaryNature(std::string_view nature_code) noexcept;

/// The school year ("YYYY-YYYY", its first year) a day belongs to: from 1 September.
int schoolYearOf(policy::Date day) noexcept;

/// Checks every rule of docs/domain.md section 7 and docs/partner-apis.md; `record` is set only
/// when `problems` is empty. anneeFinValidite ends on 31 August of its second year.
AbonnementCheck checkAbonnement(const AbonnementFields& fields, const AbonnementContext& context);

/// One `<filtre>` of a listing.
struct Filter {
  std::string name;   ///< filtreNom
  std::string value;  ///< filtreValeur
};

/// Reads a `<filtres>` document; an empty body is no filter. Errors as parseAbonnement's.
core::Result<std::vector<Filter>> parseFiltres(std::string_view xml);

/// The store's filter for `filters` as `caller_id` lists them, or the problems (an unknown filter
/// name, one given twice, a malformed date). Another publisher's idDistributeurCom is reported
/// apart, as `forbidden` (the API answers 403).
struct FilterCheck {
  store::SubscriptionFilter filter;
  std::vector<FieldProblem> problems;
  bool forbidden = false;
};
FilterCheck checkFilters(const std::vector<Filter>& filters, std::string_view caller_id);

/// `<abonnements>` with one `<abonnement>` per record, in the order given.
std::string writeAbonnements(const std::vector<store::SubscriptionRecord>& records);
/// One `<abonnement>` document.
std::string writeAbonnement(const store::SubscriptionRecord& record);
/// `<etablissements>`: per establishment its uai, nom, academie, idENT and codeNatureUAI.
std::string writeEtablissements(const std::vector<store::Establishment>& establishments);
/// `<rapportAffectations>`: per subscription, establishment and kind of target, the count.
std::string writeAssignmentReport(const std::vector<store::AssignmentCount>& counts);
/// `<erreurs>`: one `<erreur>` per problem, each with `code`, `champ` (when it names a field) and
/// `message`.
std::string writeErrors(std::string_view code, const std::vector<FieldProblem>& problems);

}  // namespace garde::connectors::subscriptions
