// `garde contract submit|list`: a publisher's contract from a file, checked exactly as
// POST /api/v1/publisher/contracts checks it (broker/api/contracts.h, docs/contracts.md), and the
// revisions with their fate. Decisions stay with the admin API (a ministry admin's session).
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/api/contract_document.h"
#include "broker/api/contracts.h"
#include "broker/commands/cli_support.h"
#include "broker/commands/commands.h"
#include "core/file.h"
#include "core/time.h"
#include "saml/keys.h"
#include "store/contract_submissions.h"
#include "store/db.h"

namespace garde::broker::commands {
namespace {

struct ContractOptions {
  std::string database;
  std::string file;
  std::string metadata_signers;
  std::string as = "operator";
  std::string publisher;
  std::string status;
};

/// The file at `path`, refused above `max_bytes` (a contract is well under it).
std::string readInput(const char* command, const std::string& path, std::size_t max_bytes) {
  auto text = core::readFile(path);
  if (!text) {
    fail(command, "cannot read " + path);
  }
  if (text->size() > max_bytes) {
    fail(command, path + " is larger than " + std::to_string(max_bytes) + " bytes");
  }
  return std::move(text).value();
}

void printProblems(std::ostream& out, const std::vector<api::ContractProblem>& problems) {
  for (const auto& p : problems) {
    out << (p.severity == api::ContractProblem::Severity::kError ? "error" : "flag") << "\t"
        << (p.field.empty() ? "(document)" : p.field) << "\t" << p.code << "\t" << p.message
        << "\n";
  }
}

void submit(const ContractOptions& o) {
  const char* command = "contract submit";
  std::vector<saml::Certificate> signers;
  if (!o.metadata_signers.empty()) {
    auto certs =
        saml::certificatesFromPemBundle(readInput(command, o.metadata_signers, 1024 * 1024));
    if (!certs) {
      fail(command, "--metadata-signers: " + certs.error().detail, kExitUsage);
    }
    signers = std::move(certs).value();
  }
  api::ParsedContract parsed = api::parseContractDocument(readInput(command, o.file, 1024 * 1024));
  store::Db db = openDatabase(command, o.database, false);
  auto outcome = api::submitCheckedContract(db, std::move(parsed), signers, o.as,
                                            core::systemNow());
  if (!outcome) {
    fail(command, outcome.error().describe());
  }
  if (!outcome->submission) {
    std::cerr << "garde " << command << ": the contract has problems; nothing was stored\n";
    printProblems(std::cerr, outcome->problems);
    throw CLI::RuntimeError(kExitFailure);
  }
  const auto& s = *outcome->submission;
  std::cout << "submitted contract " << s.id << ": publisher " << s.publisher_id << ", revision "
            << s.revision << ", waiting for a ministry admin\n";
  printProblems(std::cout, outcome->problems);
}

void list(const ContractOptions& o) {
  const char* command = "contract list";
  std::optional<store::SubmissionStatus> status;
  if (!o.status.empty()) {
    status = store::parseSubmissionStatus(o.status);
    if (!status) {
      fail(command, "--status: submitted, approved, suspended, superseded or rejected",
           kExitUsage);
    }
  }
  store::Db db = openDatabase(command, o.database, false);
  auto all = store::listSubmissions(
      db, o.publisher.empty() ? std::nullopt : std::optional<std::string_view>(o.publisher),
      status);
  if (!all) {
    fail(command, all.error().describe());
  }
  for (const auto& s : *all) {
    std::cout << s.id << "\t" << s.publisher_id << "\trevision " << s.revision << "\t"
              << store::submissionStatusCode(s.status) << "\t" << core::formatIso8601(s.submitted_at)
              << "\t" << s.submitted_by;
    if (!s.decided_by.empty()) {
      std::cout << "\t" << s.decided_by << " " << core::formatIso8601(s.decided_at);
    }
    std::cout << "\n";
  }
}

}  // namespace

void addContract(CLI::App& app) {
  auto options = std::make_shared<ContractOptions>();
  CLI::App& group = subcommandGroup(app, "contract", "Publishers' contracts (docs/contracts.md)");
  CLI::App* sub = group.add_subcommand(
      "submit", "Check a contract document (JSON) and store it as a revision waiting for review");
  sub->add_option("file", options->file, "The contract document")->required();
  sub->add_option("--database", options->database, "SQLite database file")->required();
  sub->add_option("--metadata-signers", options->metadata_signers,
                  "PEM bundle: the SP metadata must be signed by one of these");
  sub->add_option("--as", options->as, "Who submits, for the record (default: operator)");
  sub->callback([options] { submit(*options); });
  CLI::App* ls = group.add_subcommand("list", "The contract revisions, newest first");
  ls->add_option("--database", options->database, "SQLite database file")->required();
  ls->add_option("--publisher", options->publisher, "Only this publisher's (SIREN_ISNI)");
  ls->add_option("--status", options->status, "Only those with this status");
  ls->callback([options] { list(*options); });
}

}  // namespace garde::broker::commands
