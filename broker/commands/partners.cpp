// `garde ent add|list|show` and `garde publisher add|list|show`: register the ENT projects and the
// publishers, their SAML metadata and the client certificates they call the partner APIs with
// (docs/partner-apis.md). `add` on an existing id updates what is given and keeps the rest;
// `--cert FILE` (repeatable) registers the first certificate of a PEM file, `--remove-cert
// FINGERPRINT` (repeatable) removes one, so a certificate can be rolled over without a gap. Every
// change of the certificates bumps the registry generation (migration 6's triggers, and the
// command bumps it for the rest), so that a running `garde serve` is told at its next request.
#include <CLI/CLI.hpp>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "broker/commands/cli_support.h"
#include "broker/commands/commands.h"
#include "broker/commands/ent_identifier.h"
#include "core/file.h"
#include "core/time.h"
#include "core/x509.h"
#include "saml/metadata.h"
#include "store/caller_certificates.h"
#include "store/db.h"
#include "store/directory.h"
#include "store/migrations.h"
#include "store/publishers.h"

namespace garde::broker::commands {
namespace {

struct PartnerOptions {
  std::string database;
  std::string id;
  std::string name;
  std::string metadata;  ///< --idp-metadata / --sp-metadata
  std::string ent_identifier;
  std::string sign_requests;
  std::vector<std::string> certs;
  std::vector<std::string> remove_certs;
};

/// The entityID of the one entity of a metadata file (its signature is not checked: the operator
/// placed it there), and its text.
std::pair<std::string, std::string> readMetadata(const std::string& command,
                                                 const std::string& option, const std::string& path,
                                                 bool idp) {
  auto text = core::readFile(path);
  if (!text) {
    fail(command, option + " " + path + ": " + text.error().describe(), kExitUsage);
  }
  saml::MetadataOptions mopt;
  mopt.now = core::systemNow();
  auto entities = saml::parseMetadata(*text, mopt);
  if (!entities) {
    fail(command, option + " " + path + ": " + entities.error().describe());
  }
  if (entities->size() != 1) {
    fail(command, option + " " + path + ": expected one EntityDescriptor, found " +
                      std::to_string(entities->size()));
  }
  const auto& e = entities->front();
  if (idp ? !e.idp.has_value() : !e.sp.has_value()) {
    fail(command, option + " " + path + ": the entity has no " +
                      (idp ? "IDPSSODescriptor" : "SPSSODescriptor"));
  }
  return {e.entity_id, std::move(text).value()};
}

/// The certificates to add: the first certificate of each file (its leaf), refused when it has
/// already expired.
std::vector<store::CallerCertificate> readCertificates(const std::string& command,
                                                       const std::vector<std::string>& files,
                                                       store::CallerKind kind,
                                                       const std::string& id, core::UnixTime now) {
  std::vector<store::CallerCertificate> out;
  for (const auto& path : files) {
    auto pem = core::readFile(path);
    if (!pem) {
      fail(command, "--cert " + path + ": " + pem.error().describe(), kExitUsage);
    }
    auto infos = core::pemCertificates(*pem);
    if (!infos) {
      fail(command, "--cert " + path + ": " + infos.error().describe());
    }
    const core::CertificateInfo& leaf = infos->front();
    if (leaf.not_after <= now) {
      fail(command, "--cert " + path + ": the certificate expired at " +
                        core::formatIso8601(leaf.not_after));
    }
    out.push_back({kind, id, leaf.sha256_fingerprint, leaf.subject, leaf.not_after, now});
  }
  return out;
}

/// Adds and removes the certificates of (kind, id), inside the caller's transaction.
void changeCertificates(const std::string& command, store::Db& db, store::CallerKind kind,
                        const PartnerOptions& opt, core::UnixTime now) {
  for (const auto& fp : opt.remove_certs) {
    if (auto removed = store::removeCallerCertificate(db, kind, opt.id, fp); !removed) {
      fail(command, "--remove-cert " + fp + ": " + removed.error().describe());
    }
    std::cout << "removed certificate " << fp << "\n";
  }
  for (const auto& cert : readCertificates(command, opt.certs, kind, opt.id, now)) {
    if (auto existing = store::findCallerCertificate(db, cert.sha256)) {
      if (existing->kind == kind && existing->caller_id == opt.id) {
        std::cout << "certificate " << cert.sha256 << " already registered\n";
        continue;
      }
      fail(command, "--cert: the certificate " + cert.sha256 + " is registered to " +
                        std::string(store::callerKindCode(existing->kind)) + " " +
                        existing->caller_id);
    }
    if (auto added = store::addCallerCertificate(db, cert); !added) {
      fail(command, "--cert: " + added.error().describe());
    }
    std::cout << "added certificate " << cert.sha256 << " (" << cert.subject << ", not after "
              << core::formatIso8601(cert.not_after) << ")\n";
  }
}

void commit(const std::string& command, store::Db& db, store::Transaction& tx) {
  if (auto bumped = store::bumpRegistryGeneration(db); !bumped) {
    fail(command, bumped.error().describe());
  }
  if (auto done = tx.commit(); !done) {
    fail(command, done.error().describe());
  }
}

store::Transaction begin(const std::string& command, store::Db& db) {
  auto tx = store::Transaction::begin(db);
  if (!tx) {
    fail(command, tx.error().describe());
  }
  return std::move(tx).value();
}

void printCertificates(store::Db& db, store::CallerKind kind, const std::string& id,
                       core::UnixTime now) {
  auto certs = store::listCallerCertificates(db, kind, id);
  if (!certs) {
    fail("show", certs.error().describe());
  }
  std::cout << "certificates: " << certs->size() << "\n";
  for (const auto& c : *certs) {
    std::cout << "  " << c.sha256 << "  not after " << core::formatIso8601(c.not_after)
              << (c.not_after <= now ? " (EXPIRED)" : "") << "  added "
              << core::formatIso8601(c.added_at) << "  " << c.subject << "\n";
  }
}

std::size_t certificateCount(store::Db& db, store::CallerKind kind, const std::string& id) {
  auto certs = store::listCallerCertificates(db, kind, id);
  return certs ? certs->size() : 0;
}

// --- ent --------------------------------------------------------------------------------------

void runEntAdd(const PartnerOptions& opt) {
  const std::string command = "ent add";
  store::Db db = openDatabase(command, opt.database);
  const core::UnixTime now = core::systemNow();
  store::Transaction tx = begin(command, db);
  store::Ent ent;
  bool created = false;
  if (auto found = store::findEnt(db, opt.id)) {
    ent = std::move(found).value();
  } else if (found.error().code == core::ErrorCode::kUnknownPeer) {
    if (opt.name.empty()) {
      fail(command, "a new ENT needs --name", kExitUsage);
    }
    ent.id = opt.id;
    created = true;
  } else {
    fail(command, found.error().describe());
  }
  if (!opt.name.empty()) {
    ent.name = opt.name;
  }
  if (!opt.metadata.empty()) {
    auto [entity_id, xml] = readMetadata(command, "--idp-metadata", opt.metadata, true);
    ent.idp_entity_id = std::move(entity_id);
    ent.idp_metadata_xml = std::move(xml);
  }
  if (!opt.ent_identifier.empty()) {
    auto parsed = parseEntIdentifier(opt.ent_identifier);
    if (!parsed) {
      fail(command, "--ent-identifier: " + parsed.error().detail, kExitUsage);
    }
    std::tie(ent.identifier_source, ent.identifier_name) = std::move(parsed).value();
  }
  if (!opt.sign_requests.empty()) {
    ent.sign_authn_requests = opt.sign_requests;
  }
  if (auto saved = store::upsertEnt(db, ent, now); !saved) {
    fail(command, saved.error().describe());
  }
  changeCertificates(command, db, store::CallerKind::kEnt, opt, now);
  commit(command, db, tx);
  std::cout << (created ? "created" : "updated") << " ENT " << ent.id << "\n";
}

void runEntList(const PartnerOptions& opt) {
  store::Db db = openDatabase("ent list", opt.database);
  auto ents = store::listEnts(db);
  if (!ents) {
    fail("ent list", ents.error().describe());
  }
  for (const auto& e : *ents) {
    std::cout << e.id << "\t" << e.name << "\t" << e.idp_entity_id.value_or("-") << "\t"
              << certificateCount(db, store::CallerKind::kEnt, e.id) << " certificate(s)\n";
  }
}

void runEntShow(const PartnerOptions& opt) {
  store::Db db = openDatabase("ent show", opt.database);
  auto ent = store::findEnt(db, opt.id);
  if (!ent) {
    fail("ent show", opt.id + ": " + ent.error().describe());
  }
  std::cout << "idENT: " << ent->id << "\nname: " << ent->name
            << "\nIdP entityID: " << ent->idp_entity_id.value_or("(none)")
            << "\nidentifier: " << ent->identifier_source << " " << ent->identifier_name
            << "\nsign AuthnRequests: " << ent->sign_authn_requests << "\n";
  printCertificates(db, store::CallerKind::kEnt, ent->id, core::systemNow());
}

// --- publisher --------------------------------------------------------------------------------

void runPublisherAdd(const PartnerOptions& opt) {
  const std::string command = "publisher add";
  store::Db db = openDatabase(command, opt.database);
  const core::UnixTime now = core::systemNow();
  store::Transaction tx = begin(command, db);
  store::Publisher pub;
  bool created = false;
  if (auto found = store::findPublisher(db, opt.id)) {
    pub = std::move(found).value();
  } else if (found.error().code == core::ErrorCode::kUnknownPeer) {
    if (opt.name.empty()) {
      fail(command, "a new publisher needs --name", kExitUsage);
    }
    pub.id = opt.id;
    created = true;
  } else {
    fail(command, found.error().describe());
  }
  if (!opt.name.empty()) {
    pub.name = opt.name;
  }
  if (!opt.metadata.empty()) {
    auto [entity_id, xml] = readMetadata(command, "--sp-metadata", opt.metadata, false);
    pub.sp_entity_id = std::move(entity_id);
    pub.sp_metadata_xml = std::move(xml);
  }
  if (auto saved = store::upsertPublisher(db, pub); !saved) {
    fail(command, saved.error().describe());
  }
  changeCertificates(command, db, store::CallerKind::kPublisher, opt, now);
  commit(command, db, tx);
  std::cout << (created ? "created" : "updated") << " publisher " << pub.id << "\n";
}

void runPublisherList(const PartnerOptions& opt) {
  store::Db db = openDatabase("publisher list", opt.database);
  auto pubs = store::listPublishers(db);
  if (!pubs) {
    fail("publisher list", pubs.error().describe());
  }
  for (const auto& p : *pubs) {
    std::cout << p.id << "\t" << p.name << "\t" << p.sp_entity_id.value_or("-") << "\t"
              << certificateCount(db, store::CallerKind::kPublisher, p.id) << " certificate(s)\n";
  }
}

void runPublisherShow(const PartnerOptions& opt) {
  store::Db db = openDatabase("publisher show", opt.database);
  auto pub = store::findPublisher(db, opt.id);
  if (!pub) {
    fail("publisher show", opt.id + ": " + pub.error().describe());
  }
  std::cout << "SIREN_ISNI: " << pub->id << "\nname: " << pub->name
            << "\nSP entityID: " << pub->sp_entity_id.value_or("(none)") << "\n";
  printCertificates(db, store::CallerKind::kPublisher, pub->id, core::systemNow());
}

// --- CLI --------------------------------------------------------------------------------------

void databaseOption(CLI::App* sub, PartnerOptions& opt) {
  sub->add_option("--database", opt.database, "SQLite database file (created if absent)")
      ->required();
}

void certOptions(CLI::App* sub, PartnerOptions& opt) {
  sub->add_option("--cert", opt.certs,
                  "PEM client certificate the partner calls the APIs with (its first certificate "
                  "is registered by SHA-256 fingerprint; repeatable, for rollover)");
  sub->add_option("--remove-cert", opt.remove_certs,
                  "SHA-256 fingerprint (lower-case hex) of a certificate to remove (repeatable)");
}

template <class F>
void onRun(CLI::App* sub, std::shared_ptr<PartnerOptions> opt, F run) {
  sub->callback([opt, run] { run(*opt); });
}

}  // namespace

void addPartners(CLI::App& app) {
  {
    CLI::App& group = subcommandGroup(app, "ent", "ENT projects (their IdP and API certificates)");
    auto opt = std::make_shared<PartnerOptions>();
    CLI::App* add = group.add_subcommand("add", "Register or update an ENT project");
    add->add_option("id", opt->id, "idENT, e.g. ENTTEST1")->required();
    add->add_option("--name", opt->name, "its name (required for a new ENT)");
    add->add_option("--idp-metadata", opt->metadata, "its IdP's SAML metadata file");
    add->add_option("--ent-identifier", opt->ent_identifier,
                    "where its assertion carries the person's identifier: name-id (persistent "
                    "NameID, the default), name-id:FORMAT-URI, or attribute:NAME");
    add->add_option("--sign-requests", opt->sign_requests,
                    "sign AuthnRequests to it: metadata (when its metadata asks) or always")
        ->check(CLI::IsMember({"metadata", "always"}));
    certOptions(add, *opt);
    databaseOption(add, *opt);
    onRun(add, opt, runEntAdd);

    auto list_opt = std::make_shared<PartnerOptions>();
    CLI::App* list = group.add_subcommand("list", "List the ENT projects");
    databaseOption(list, *list_opt);
    onRun(list, list_opt, runEntList);

    auto show_opt = std::make_shared<PartnerOptions>();
    CLI::App* show = group.add_subcommand("show", "Show an ENT project and its certificates");
    show->add_option("id", show_opt->id, "idENT")->required();
    databaseOption(show, *show_opt);
    onRun(show, show_opt, runEntShow);
  }
  {
    CLI::App& group =
        subcommandGroup(app, "publisher", "Publishers (their SP and API certificates)");
    auto opt = std::make_shared<PartnerOptions>();
    CLI::App* add = group.add_subcommand("add", "Register or update a publisher");
    add->add_option("id", opt->id, "SIREN_ISNI, [0-9]{9}_[0-9]{16}")->required();
    add->add_option("--name", opt->name, "its name (required for a new publisher)");
    add->add_option("--sp-metadata", opt->metadata, "its SP's SAML metadata file");
    certOptions(add, *opt);
    databaseOption(add, *opt);
    onRun(add, opt, runPublisherAdd);

    auto list_opt = std::make_shared<PartnerOptions>();
    CLI::App* list = group.add_subcommand("list", "List the publishers");
    databaseOption(list, *list_opt);
    onRun(list, list_opt, runPublisherList);

    auto show_opt = std::make_shared<PartnerOptions>();
    CLI::App* show = group.add_subcommand("show", "Show a publisher and its certificates");
    show->add_option("id", show_opt->id, "SIREN_ISNI")->required();
    databaseOption(show, *show_opt);
    onRun(show, show_opt, runPublisherShow);
  }
}

}  // namespace garde::broker::commands
