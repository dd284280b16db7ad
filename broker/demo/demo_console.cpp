#include "broker/demo/demo_console.h"

#include <boost/json.hpp>

#include <sstream>

#include "broker/api/contract_document.h"
#include "broker/api/contracts.h"
#include "core/encoding.h"
#include "core/file.h"
#include "core/log.h"
#include "core/password.h"
#include "core/private_files.h"
#include "core/random.h"
#include "store/admin_accounts.h"
#include "store/audit.h"
#include "store/contract_submissions.h"
#include "store/db.h"
#include "store/usage.h"

namespace garde::broker::demo {
namespace {

constexpr core::Logger kLog("demo.console");
constexpr std::int64_t kDay = 86400;
constexpr int kHistoryDays = 28;

/// The accounts, their passwords read from `file` or made now (and written there, 0600).
std::vector<DemoAccount> accounts(const std::filesystem::path& file) {
  std::vector<DemoAccount> out = {{"alice", "ministry_admin", ""},
                                  {"bruno", "ministry_admin", ""},
                                  {"dpo", "auditor", ""}};
  if (auto text = core::readFile(file.string())) {
    std::istringstream in(*text);
    for (std::string line; std::getline(in, line);) {
      if (line.empty() || line.front() == '#') {
        continue;
      }
      std::istringstream fields(line);
      std::string user;
      std::string role;
      std::string password;
      if (fields >> user >> role >> password) {
        for (auto& a : out) {
          if (a.username == user && a.role == role) a.password = password;
        }
      }
    }
  }
  bool made = false;
  for (auto& a : out) {
    if (a.password.empty()) {
      a.password = core::base64UrlEncode(core::systemRandom().bytes(12));
      made = true;
    }
  }
  if (made) {
    std::string text = "# garde demo console accounts: username role password\n";
    for (const auto& a : out) text += a.username + " " + a.role + " " + a.password + "\n";
    if (auto w = core::writeOwnerOnlyFile(file.string(), text); !w) {
      throw std::runtime_error("demo: cannot write " + file.string() + ": " + w.error().detail);
    }
  }
  return out;
}

struct Launch {
  const char* person;
  const char* profile;
  const char* resource;
  const char* publisher;
  const char* subscription;  ///< the entitling one; nullptr: refused
  const char* released;      ///< the codes, space separated, or the refusal code
  int per_week;              ///< how often, on a school week
};

// Who launches what in the demo, with what their contract releases (store/demo_data.cpp).
constexpr Launch kLaunches[] = {
    {"elv-0001", "National_elv", store::demo::kResourceA, store::demo::kPublisherA,
     "DEMO_A_0561534N", "IDO PRO UAI DIV", 9},
    {"elv-0002", "National_elv", store::demo::kResourceA, store::demo::kPublisherA,
     "DEMO_A_0561534N", "IDO PRO UAI DIV", 6},
    {"elv-0004", "National_elv", store::demo::kResourceA, store::demo::kPublisherA,
     "DEMO_A_0561534N", "IDO PRO UAI DIV", 4},
    {"elv-0001", "National_elv", store::demo::kResourceA2, store::demo::kPublisherA,
     "DEMO_A2_0561534N", "IDO PRO UAI NOM PRE", 5},
    {"elv-0002", "National_elv", store::demo::kResourceA2, store::demo::kPublisherA,
     "DEMO_A2_0561534N", "IDO PRO UAI NOM PRE", 3},
    {"elv-0001", "National_elv", store::demo::kResourceB, store::demo::kPublisherB,
     "DEMO_B_0561534N", "IDO PRO", 7},
    {"elv-0003", "National_elv", store::demo::kResourceB, store::demo::kPublisherB,
     "DEMO_B_0561534N", "IDO PRO", 5},
    {"ens-0001", "National_ens", store::demo::kResourceA, store::demo::kPublisherA,
     "DEMO_A_0561534N", "IDO PRO UAI NOM PRE P_MEL", 8},
    {"ens-0002", "National_ens", store::demo::kResourceB, store::demo::kPublisherB,
     "DEMO_B_0561534N", "IDO PRO", 4},
    {"doc-0001", "National_doc", store::demo::kResourceB, store::demo::kPublisherB,
     "DEMO_B_0561534N", "IDO PRO", 2},
    {"elv-0003", "National_elv", store::demo::kResourceA, store::demo::kPublisherA, nullptr,
     "not_assigned", 2},
    {"ens-0002", "National_ens", store::demo::kResourceA, store::demo::kPublisherA, nullptr,
     "not_assigned", 1},
};

std::vector<std::string> codes(std::string_view text) {
  std::vector<std::string> out;
  std::istringstream in{std::string(text)};
  for (std::string c; in >> c;) out.push_back(c);
  return out;
}

/// Four weeks of launches before today, as the broker would have recorded them (without a
/// person's digest: nobody's subject export will find them), then aggregated. Deterministic.
/// Written once: nothing when the first day already has figures.
core::Result<std::int64_t> writeHistory(store::Db& db, core::UnixTime now) {
  const core::UnixTime first = (now / kDay - kHistoryDays) * kDay;
  store::UsageQuery first_day;
  first_day.from_day = core::formatIso8601(first).substr(0, 10);
  first_day.until_day = first_day.from_day;
  GARDE_ASSIGN_OR_RETURN(const auto there, store::queryUsage(db, first_day));
  if (!there.empty()) {
    return 0;
  }
  std::int64_t written = 0;
  GARDE_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(db));
  for (int d = 0; d < kHistoryDays; ++d) {
    const core::UnixTime day = first + d * kDay;
    const int weekday = static_cast<int>((day / kDay + 3) % 7);  // 0 = Monday
    const bool weekend = weekday >= 5;
    for (std::size_t i = 0; i < std::size(kLaunches); ++i) {
      const Launch& l = kLaunches[i];
      // A school week's launches spread over five days, with a little variation; weekends: few.
      const int base = weekend ? (l.per_week > 5 ? 1 : 0) : (l.per_week + 2) / 5;
      const int n = base + ((d * 7 + static_cast<int>(i) * 5) % 4 == 0 ? 1 : 0);
      for (int k = 0; k < n; ++k) {
        store::AuditRecord r;
        r.at = day + 8 * 3600 + static_cast<core::UnixTime>((k * 37 + i * 613) % 30000);
        r.kind = "launch";
        r.correlation_id = "demo-history-" + std::to_string(++written);
        r.ent_id = store::demo::kEnt;
        r.uai = store::demo::kUai;
        r.profile = l.profile;
        r.publisher_id = l.publisher;
        r.resource_id = l.resource;
        r.policy_version = "demo-1";
        if (l.subscription != nullptr) {
          r.outcome = "released";
          r.reason = l.subscription;
          r.released = codes(l.released);
        } else {
          r.outcome = "refused";
          r.reason = l.released;
        }
        GARDE_TRY(store::writeAudit(db, r));
      }
    }
  }
  GARDE_TRY(tx.commit());
  GARDE_TRY(store::aggregateUsage(db, now));
  return written;
}

/// Publisher A's second revision, as its publisher would submit it: the contract in force, plus
/// the pupils' level (E_MEF) for the manual. Submitted once, when A has no revision yet.
core::Result<std::optional<std::int64_t>> submitPendingContract(store::Db& db,
                                                                const store::DemoPeers& peers,
                                                                core::UnixTime now) {
  GARDE_ASSIGN_OR_RETURN(const auto revisions,
                         store::listSubmissions(db, std::string_view(store::demo::kPublisherA)));
  if (!revisions.empty() || !peers.publisher_a_sp_metadata_xml) {
    return std::optional<std::int64_t>();
  }
  namespace json = boost::json;
  const auto needs = [](std::initializer_list<std::pair<const char*, const char*>> list) {
    json::array out;
    for (const auto& [code, why] : list) out.push_back({{"attribute", code}, {"justification", why}});
    return out;
  };
  const std::string& base = peers.publisher_a_base_url;
  json::object manual{
      {"id", store::demo::kResourceA},
      {"title", "Manuel de démonstration A"},
      {"category", "manuel"},
      {"url", base + "/resource"},
      {"login_url", base + "/login"},
      {"launch_mode", "bounce"},
      {"needs",
       json::object{{"National_elv", needs({{"IDO", "user account and saved work"},
                                            {"PRO", "pupil or teacher view"},
                                            {"UAI", "licence accounting per establishment"},
                                            {"DIV", "shared class workspace"},
                                            {"E_MEF", "chapters matched to the pupil's level"}})},
                    {"National_ens", needs({{"IDO", "user account and saved work"},
                                            {"PRO", "pupil or teacher view"},
                                            {"UAI", "licence accounting per establishment"},
                                            {"NOM", "name shown to the teacher's pupils"},
                                            {"PRE", "name shown to the teacher's pupils"},
                                            {"P_MEL", "notice when pupils hand in work"}})}}}};
  json::object book{
      {"id", store::demo::kResourceA2},
      {"title", "Cahier d'exercices A"},
      {"category", "exercices"},
      {"url", base + "/cahier"},
      {"login_url", base + "/login"},
      {"launch_mode", "bounce"},
      {"needs",
       json::object{{"National_elv", needs({{"IDO", "user account and saved work"},
                                            {"PRO", "pupil view"},
                                            {"UAI", "licence accounting per establishment"},
                                            {"NOM", "name on the work handed in to the teacher"},
                                            {"PRE", "name on the work handed in to the teacher"}})}}}};
  const json::object doc{{"publisher", {{"id", store::demo::kPublisherA}, {"name", "Éditions Démo A"}}},
                         {"sp_metadata", *peers.publisher_a_sp_metadata_xml},
                         {"comment", "Revision 2: the manual adapts its chapters to the pupil's level."},
                         {"resources", json::array{manual, book}}};
  api::ParsedContract parsed = api::parseContractDocument(json::serialize(doc));
  GARDE_ASSIGN_OR_RETURN(auto outcome,
                         api::submitCheckedContract(db, std::move(parsed), {},
                                                    std::string("publisher ") +
                                                        store::demo::kPublisherA,
                                                    now));
  if (!outcome.submission) {
    std::string why;
    for (const auto& p : outcome.problems) why += " " + p.field + ": " + p.code + ";";
    return core::fail(core::ErrorCode::kBadRequest, "the demo contract has problems:" + why);
  }
  return std::optional<std::int64_t>(outcome.submission->id);
}

}  // namespace

core::Result<DemoConsoleReport> loadDemoConsole(const std::string& database,
                                                const std::filesystem::path& dir,
                                                const store::DemoPeers& peers,
                                                const core::Clock& clock) {
  DemoConsoleReport report;
  report.accounts = accounts(dir / "console-accounts.txt");
  GARDE_ASSIGN_OR_RETURN(auto db, store::Db::open(database));
  const core::UnixTime now = clock.now();
  for (const auto& a : report.accounts) {
    GARDE_ASSIGN_OR_RETURN(const auto found, store::findAdminAccount(db, a.username));
    if (found) {
      continue;
    }
    store::AdminAccount account;
    account.username = a.username;
    account.role = *store::parseAdminRole(a.role);
    GARDE_ASSIGN_OR_RETURN(account.password_hash,
                           core::hashPassword(a.password, core::systemRandom()));
    account.created_at = now;
    GARDE_TRY(store::createAdminAccount(db, account));
  }
  GARDE_ASSIGN_OR_RETURN(report.history_records, writeHistory(db, now));
  GARDE_ASSIGN_OR_RETURN(report.pending_contract, submitPendingContract(db, peers, now));
  return report;
}

}  // namespace garde::broker::demo
