// `garde metadata source add|remove`, `garde metadata bind`, `garde metadata refresh` and
// `garde metadata status`: peers' metadata fetched from sources (docs/metadata-sources.md). The
// commands work on the database; a running garde picks every change up through the registry
// generation, without a restart.
#include <CLI/CLI.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "broker/commands/cli_support.h"
#include "broker/commands/commands.h"
#include "broker/api/admin_metadata.h"
#include "broker/flows/metadata_refresh.h"
#include "config/config.h"
#include "core/file.h"
#include "core/time.h"
#include "saml/algorithms.h"
#include "saml/keys.h"
#include "store/algorithm_exceptions.h"
#include "store/metadata_sources.h"

namespace garde::broker::commands {
namespace {

namespace json = boost::json;

struct Common {
  std::string database;
  std::string config;
};

/// --database, or the database and [federation] of --config.
struct Opened {
  std::optional<store::Db> db;
  flows::MetadataRefreshOptions refresh;
};

Opened open(const std::string& command, const Common& c) {
  Opened out;
  std::string database = c.database;
  if (!c.config.empty()) {
    const config::Config cfg = config::loadConfig(c.config);
    if (database.empty()) {
      database = cfg.store.database;
    }
    out.refresh = flows::metadataRefreshOptions(cfg.federation);
  }
  if (database.empty()) {
    fail(command, "give --database FILE or --config FILE", kExitUsage);
  }
  out.db.emplace(openDatabase(command, database, /*create=*/false));
  return out;
}

void commonOptions(CLI::App* sub, Common& c) {
  sub->add_option("--database", c.database, "SQLite database file");
  sub->add_option("--config", c.config,
                  "garde config file (its store.database and [federation] settings)");
}

/// "14d", "6h", "30m", "90s" or plain seconds.
std::int64_t durationSeconds(const std::string& command, const std::string& option,
                             const std::string& text) {
  std::size_t used = 0;
  long long n = -1;
  try {
    n = std::stoll(text, &used);
  } catch (const std::exception&) {
  }
  const std::string unit = n < 0 ? std::string() : text.substr(used);
  std::int64_t factor = 0;
  if (unit.empty() || unit == "s") {
    factor = 1;
  } else if (unit == "m") {
    factor = 60;
  } else if (unit == "h") {
    factor = 3600;
  } else if (unit == "d") {
    factor = 86400;
  }
  if (n <= 0 || factor == 0 || n > 3650LL * 86400) {
    fail(command, option + ": expected a positive duration such as 14d, 6h, 30m or 90s",
         kExitUsage);
  }
  return n * factor;
}

std::string iso(const std::optional<core::UnixTime>& t) {
  return t ? core::formatIso8601(*t) : std::string("-");
}

// --- source add | remove ----------------------------------------------------------------------

struct SourceAddOptions {
  Common common;
  std::string name;
  std::string kind = "url";
  std::string url;
  std::vector<std::string> signers;
  std::string max_validity = "14d";
  std::string refresh = "6h";
};

void runSourceAdd(const SourceAddOptions& o) {
  const std::string command = "metadata source add";
  store::MetadataSource source;
  source.name = o.name;
  const auto kind = store::parseMetadataSourceKind(o.kind);
  if (!kind) {
    fail(command, "--kind: expected url, aggregate or mdq", kExitUsage);
  }
  source.kind = *kind;
  if (o.url.rfind("https://", 0) != 0 && o.url.rfind("http://", 0) != 0) {
    fail(command, "--url: expected an http:// or https:// URL", kExitUsage);
  }
  source.url = o.url;
  for (const std::string& path : o.signers) {
    auto pem = core::readFile(path);
    if (!pem) {
      fail(command, "--signer " + path + ": " + pem.error().detail, kExitUsage);
    }
    auto certs = saml::certificatesFromPemBundle(*pem);
    if (!certs) {
      fail(command, "--signer " + path + ": " + certs.error().detail, kExitUsage);
    }
    for (const saml::Certificate& cert : *certs) {
      source.signer_pem += cert.pem();
    }
  }
  if (source.signer_pem.empty()) {
    fail(command,
         "--signer: a fetched document is used only when its signature verifies with a pinned "
         "certificate",
         kExitUsage);
  }
  source.max_validity_seconds = durationSeconds(command, "--max-validity", o.max_validity);
  source.refresh_seconds = durationSeconds(command, "--refresh", o.refresh);
  source.added_at = core::systemNow();
  Opened opened = open(command, o.common);
  if (auto added = store::addMetadataSource(*opened.db, source); !added) {
    fail(command, added.error().describe());
  }
  std::cout << "source " << source.name << " (" << o.kind << ") added: " << source.url << "\n";
}

struct NameOptions {
  Common common;
  std::string name;
};

void runSourceRemove(const NameOptions& o) {
  Opened opened = open("metadata source remove", o.common);
  if (auto removed = store::removeMetadataSource(*opened.db, o.name); !removed) {
    fail("metadata source remove", removed.error().describe());
  }
  std::cout << "source " << o.name << " removed\n";
}

// --- bind ---------------------------------------------------------------------------------------

struct BindOptions {
  Common common;
  std::string ent;
  std::string publisher;
  std::string source;
  bool inline_metadata = false;
};

void runBind(const BindOptions& o) {
  const std::string command = "metadata bind";
  if (o.ent.empty() == o.publisher.empty()) {
    fail(command, "give exactly one of --ent IDENT and --publisher SIREN_ISNI", kExitUsage);
  }
  if (o.source.empty() == !o.inline_metadata) {
    fail(command, "give exactly one of --source NAME and --inline", kExitUsage);
  }
  const store::CallerKind kind = o.ent.empty() ? store::CallerKind::kPublisher
                                               : store::CallerKind::kEnt;
  const std::string& id = o.ent.empty() ? o.publisher : o.ent;
  Opened opened = open(command, o.common);
  if (auto bound = store::bindPeerMetadata(*opened.db, kind, id, o.source); !bound) {
    fail(command, bound.error().describe());
  }
  std::cout << store::callerKindCode(kind) << " " << id << ": "
            << (o.source.empty() ? "inline metadata" : "metadata from source " + o.source)
            << "\n";
}

// --- refresh ------------------------------------------------------------------------------------

struct RefreshOptions {
  Common common;
  std::string source;
  bool if_due = false;
};

void runRefresh(const RefreshOptions& o) {
  const std::string command = "metadata refresh";
  Opened opened = open(command, o.common);
  flows::MetadataRefreshOptions options = opened.refresh;
  options.force = !o.if_due;
  options.only_source = o.source;
  auto outcomes = flows::refreshMetadataSources(*opened.db, core::systemNow(), options);
  if (!outcomes) {
    fail(command, outcomes.error().describe());
  }
  bool failed = false;
  for (const auto& r : *outcomes) {
    std::cout << r.source << (r.entity_key.empty() ? "" : " " + r.entity_key) << ": "
              << flows::refreshOutcomeName(r.kind);
    if (!r.error.empty()) {
      std::cout << " (" << r.error << ")";
    }
    std::cout << "\n";
    failed = failed || r.kind == flows::MetadataRefreshOutcome::Kind::kFailed;
  }
  if (failed) {
    throw CLI::RuntimeError(kExitFailure);
  }
}

// --- exception grant | revoke -------------------------------------------------------------------

struct ExceptionOptions {
  Common common;
  std::string ent;
  std::string publisher;
  std::string algorithm;
  std::string reason;
  std::string expires;
  std::string by;
};

/// The peer of --ent / --publisher.
std::pair<store::CallerKind, std::string> peerOf(const std::string& command,
                                                 const ExceptionOptions& o) {
  if (o.ent.empty() == o.publisher.empty()) {
    fail(command, "give exactly one of --ent IDENT and --publisher SIREN_ISNI", kExitUsage);
  }
  return o.ent.empty() ? std::pair{store::CallerKind::kPublisher, o.publisher}
                       : std::pair{store::CallerKind::kEnt, o.ent};
}

/// The longest an exception may be granted for: a debt must come due.
constexpr std::int64_t kMaxExceptionSeconds = 366 * 86400;

void runExceptionGrant(const ExceptionOptions& o) {
  const std::string command = "metadata exception grant";
  const auto [kind, id] = peerOf(command, o);
  if (!saml::parseWeakAlgorithm(o.algorithm)) {
    fail(command, "--algorithm: the only exception garde grants is rsa-sha1", kExitUsage);
  }
  if (o.reason.empty()) {
    fail(command, "--reason: say why the peer cannot do better (it is shown and logged)",
         kExitUsage);
  }
  const auto expires = core::parseIso8601(o.expires.size() == 10 ? o.expires + "T00:00:00Z"
                                                                  : o.expires);
  const core::UnixTime now = core::systemNow();
  if (!expires || *expires <= now || *expires - now > kMaxExceptionSeconds) {
    fail(command, "--expires: a date (YYYY-MM-DD or xs:dateTime) in the coming 366 days",
         kExitUsage);
  }
  Opened opened = open(command, o.common);
  store::AlgorithmException e{kind, id, o.algorithm, o.reason, *expires,
                              o.by.empty() ? std::string("operator") : o.by, now};
  if (auto granted = store::grantAlgorithmException(*opened.db, e); !granted) {
    fail(command, granted.error().describe());
  }
  std::cout << store::callerKindCode(kind) << " " << id << ": " << o.algorithm
            << " allowed until " << core::formatIso8601(*expires) << " (" << o.reason << ")\n";
}

void runExceptionRevoke(const ExceptionOptions& o) {
  const std::string command = "metadata exception revoke";
  const auto [kind, id] = peerOf(command, o);
  Opened opened = open(command, o.common);
  if (auto revoked = store::revokeAlgorithmException(*opened.db, kind, id, o.algorithm);
      !revoked) {
    fail(command, revoked.error().describe());
  }
  std::cout << store::callerKindCode(kind) << " " << id << ": " << o.algorithm << " revoked\n";
}

// --- status -------------------------------------------------------------------------------------

struct StatusOptions {
  Common common;
  bool json = false;
};

void runStatus(const StatusOptions& o) {
  const std::string command = "metadata status";
  Opened opened = open(command, o.common);
  const core::UnixTime now = core::systemNow();
  auto status =
      flows::metadataStatus(*opened.db, now, opened.refresh.expiry_warning_seconds, true);
  if (!status) {
    fail(command, status.error().describe());
  }
  auto exceptions = store::listAlgorithmExceptions(*opened.db);
  if (!exceptions) {
    fail(command, exceptions.error().describe());
  }
  if (o.json) {
    std::cout << json::serialize(api::metadataStatusJson(*status, *exceptions, now)) << "\n";
    return;
  }
  for (const auto& e : *exceptions) {
    std::cout << "algorithm exception: " << store::callerKindCode(e.peer_kind) << " " << e.peer_id
              << " may use " << e.algorithm
              << (e.expires_at <= now ? " EXPIRED (refused since " : " until ")
              << core::formatIso8601(e.expires_at) << (e.expires_at <= now ? ")" : "")
              << ", granted by " << e.granted_by << ": " << e.reason << "\n";
  }
  if (status->empty()) {
    std::cout << "no metadata source: every peer uses its inline metadata\n";
  }
  for (const auto& s : *status) {
    std::cout << s.source.name << " (" << store::metadataSourceKindCode(s.source.kind) << ") "
              << s.source.url << "\n"
              << "  state: " << (s.up ? "up" : "DOWN")
              << (s.expiring ? ", EXPIRING or missing" : "") << "; last success "
              << iso(s.last_success) << "; valid until " << iso(s.valid_until) << "\n";
    for (const auto& c : s.copies) {
      std::cout << "  copy" << (c.entity_key.empty() ? "" : " " + c.entity_key) << ": "
                << c.entity_count << " entities, fetched " << iso(c.fetched_at) << ", checked "
                << iso(c.checked_at) << ", valid until " << iso(c.valid_until);
      if (c.failures > 0) {
        std::cout << "; " << c.failures << " failure(s), last: " << c.last_error;
      }
      std::cout << "\n";
    }
    for (const auto& p : s.peers) {
      std::cout << "  " << store::callerKindCode(p.kind) << " " << p.peer_id << " ("
                << p.entity_id << "): " << (p.problem.empty() ? "served" : "NOT SERVED: " + p.problem)
                << "\n";
      for (const auto& k : p.keys) {
        std::cout << "    key " << k.use << " sha256:" << k.fingerprint.substr(0, 16)
                  << "... not after " << core::formatIso8601(k.not_after) << "\n";
      }
    }
  }
}

}  // namespace

void addMetadataSources(CLI::App& app) {
  CLI::App& metadata = subcommandGroup(app, "metadata", "SAML metadata");
  CLI::App& source = subcommandGroup(metadata, "source", "Where peers' metadata is fetched from");

  auto add_opt = std::make_shared<SourceAddOptions>();
  CLI::App* add = source.add_subcommand("add", "Register a metadata source");
  add->add_option("name", add_opt->name, "source name: a-z, 0-9 and '-'")->required();
  add->add_option("--kind", add_opt->kind, "url (one entity), aggregate or mdq")
      ->check(CLI::IsMember({"url", "aggregate", "mdq"}));
  add->add_option("--url", add_opt->url, "document URL, or the MDQ base URL")->required();
  add->add_option("--signer", add_opt->signers,
                  "PEM certificate(s) the documents must be signed with (repeatable)")
      ->required();
  add->add_option("--max-validity", add_opt->max_validity,
                  "refuse a validUntil further ahead than this (default 14d)");
  add->add_option("--refresh", add_opt->refresh,
                  "fetch again after this at most, whatever cacheDuration says (default 6h)");
  commonOptions(add, add_opt->common);
  add->callback([add_opt] { runSourceAdd(*add_opt); });

  auto remove_opt = std::make_shared<NameOptions>();
  CLI::App* remove = source.add_subcommand("remove", "Remove a source no peer is bound to");
  remove->add_option("name", remove_opt->name, "source name")->required();
  commonOptions(remove, remove_opt->common);
  remove->callback([remove_opt] { runSourceRemove(*remove_opt); });

  auto bind_opt = std::make_shared<BindOptions>();
  CLI::App* bind = metadata.add_subcommand(
      "bind", "Take an ENT's or a publisher's metadata from a source, or inline again");
  bind->add_option("--ent", bind_opt->ent, "idENT of the ENT project");
  bind->add_option("--publisher", bind_opt->publisher, "SIREN_ISNI of the publisher");
  bind->add_option("--source", bind_opt->source, "source name");
  bind->add_flag("--inline", bind_opt->inline_metadata,
                 "use the registration's or the contract's inline metadata again");
  commonOptions(bind, bind_opt->common);
  bind->callback([bind_opt] { runBind(*bind_opt); });

  auto refresh_opt = std::make_shared<RefreshOptions>();
  CLI::App* refresh = metadata.add_subcommand(
      "refresh", "Fetch sources now; exit 1 when one failed (its last good copy stands)");
  refresh->add_option("--source", refresh_opt->source, "only this source");
  refresh->add_flag("--if-due", refresh_opt->if_due, "only documents due to be fetched");
  commonOptions(refresh, refresh_opt->common);
  refresh->callback([refresh_opt] { runRefresh(*refresh_opt); });

  CLI::App& exception =
      subcommandGroup(metadata, "exception", "A weaker algorithm one peer may use, until a date");
  auto grant_opt = std::make_shared<ExceptionOptions>();
  CLI::App* grant = exception.add_subcommand("grant", "Allow one peer a named weaker algorithm");
  grant->add_option("--ent", grant_opt->ent, "idENT of the ENT project");
  grant->add_option("--publisher", grant_opt->publisher, "SIREN_ISNI of the publisher");
  grant->add_option("--algorithm", grant_opt->algorithm, "rsa-sha1")->required();
  grant->add_option("--reason", grant_opt->reason, "why the peer cannot do better")->required();
  grant->add_option("--expires", grant_opt->expires, "YYYY-MM-DD, at most 366 days ahead")
      ->required();
  grant->add_option("--by", grant_opt->by, "who grants it (recorded)");
  commonOptions(grant, grant_opt->common);
  grant->callback([grant_opt] { runExceptionGrant(*grant_opt); });
  auto revoke_opt = std::make_shared<ExceptionOptions>();
  CLI::App* revoke = exception.add_subcommand("revoke", "Withdraw an exception at once");
  revoke->add_option("--ent", revoke_opt->ent, "idENT of the ENT project");
  revoke->add_option("--publisher", revoke_opt->publisher, "SIREN_ISNI of the publisher");
  revoke->add_option("--algorithm", revoke_opt->algorithm, "rsa-sha1")->required();
  commonOptions(revoke, revoke_opt->common);
  revoke->callback([revoke_opt] { runExceptionRevoke(*revoke_opt); });

  auto status_opt = std::make_shared<StatusOptions>();
  CLI::App* status = metadata.add_subcommand(
      "status", "Each source's last refresh, validity, failures, and its peers' keys");
  status->add_flag("--json", status_opt->json, "as JSON");
  commonOptions(status, status_opt->common);
  status->callback([status_opt] { runStatus(*status_opt); });
}

}  // namespace garde::broker::commands
