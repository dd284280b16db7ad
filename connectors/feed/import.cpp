#include "connectors/feed/import.h"

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "core/log.h"
#include "store/directory.h"

namespace garde::connectors::feed {
namespace {

const core::Logger kLog("feed.import");

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string baseName(std::string_view path) {
  const auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

/// What a file name says: `{idENT}_GAR-ENT_{Complet|Delta}_{date}{2D_|1D_}{Kind}_{NNNN}.xml`
/// (an underscore after the date is accepted too).
struct NameParts {
  std::string ent_id;
  bool delta = false;
  std::string degree;  ///< "1D", "2D" or ""
  std::string kind;
};

std::optional<NameParts> parseFileName(std::string_view name) {
  static const std::regex kPattern(R"(^(.+?)_GAR-ENT_(Complet|Delta)_([0-9]{8,14})_?(?:(1D|2D)_)?)"
                                   R"((Eleve|Enseignant|Etab|Groupe|RespAff)_([0-9]{4})\.xml$)");
  std::cmatch m;
  const std::string s(name);
  if (!std::regex_match(s.c_str(), m, kPattern)) {
    return std::nullopt;
  }
  NameParts parts;
  parts.ent_id = m[1].str();
  parts.delta = m[2].str() == "Delta";
  parts.degree = m[4].str();
  parts.kind = m[5].str();
  return parts;
}

std::string joinNames(const std::vector<FeedInput>& inputs) {
  std::string out;
  for (const auto& in : inputs) {
    if (!out.empty()) {
      out += ", ";
    }
    out += in.name;
    if (out.size() > 1000) {
      out.resize(1000);
      break;
    }
  }
  return out;
}

store::FeedProblem makeProblem(std::uint32_t file, std::uint32_t line, core::ErrorCode code,
                               std::string message) {
  store::FeedProblem p;
  p.at.file = file;
  p.at.line = line;
  p.code = std::string(core::errorCodeName(code));
  p.message = std::move(message);
  return p;
}

/// Reads an open file stream for the parser.
FeedRead streamReader(std::ifstream& in) {
  return [&in](char* buffer, std::size_t size) -> long {
    in.read(buffer, static_cast<std::streamsize>(size));
    if (in.bad()) {
      return -1;
    }
    return static_cast<long>(in.gcount());
  };
}

/// The state of one import while its files are read.
class Importer {
 public:
  Importer(store::FeedStage& stage, const FeedImportOptions& options, FeedReport& report)
      : stage_(stage), options_(options), report_(report) {}

  /// What the file name says, checked before the file is read: a delta, or a name that does not
  /// say the ENT when none was given, is a problem (the file is then not read).
  bool checkName(std::uint32_t index, const std::optional<NameParts>& parts,
                 std::vector<store::FeedProblem>& out) {
    if (parts && parts->delta) {
      out.push_back(makeProblem(index, 0, core::ErrorCode::kBadRequest,
                                "a delta file: garde imports full snapshots (Complet) only"));
      return false;
    }
    if (!parts && !options_.ent_id) {
      out.push_back(makeProblem(
          index, 0, core::ErrorCode::kBadRequest,
          "the file name does not follow {idENT}_GAR-ENT_Complet_{date}{2D_|1D_}{Kind}_{NNNN}"
          ".xml: name the ENT (--ent)"));
    }
    return true;
  }

  /// Records what was read of file `index` and checks it against its name. Not thread-safe: the
  /// parallel path calls it under its lock.
  void afterParse(std::uint32_t index, const std::optional<NameParts>& parts,
                  const FeedFileSummary& summary, std::vector<store::FeedProblem>& out) {
    FeedFileReport& file = report_.files[index];
    file.records = summary.records;
    if (summary.kind) {
      file.kind = std::string(kindName(*summary.kind));
    }
    if (summary.degree) {
      file.degree = std::string(degreeName(*summary.degree));
    }
    if (parts) {
      name_ents_.insert(parts->ent_id);
    }
    if (parts && summary.kind && parts->kind != file.kind) {
      out.push_back(makeProblem(
          index, 1, core::ErrorCode::kMalformedMessage,
          "the file name says " + parts->kind + " but its root element is GAR-ENT-" + file.kind));
    }
    if (parts && summary.degree && !parts->degree.empty() && parts->degree != file.degree) {
      out.push_back(makeProblem(
          index, 1, core::ErrorCode::kMalformedMessage,
          "the file name says " + parts->degree + " but its namespace is " + file.degree));
    }
  }

  void progress() {
    if (options_.progress && stage_.records() % 10000 == 0) {
      options_.progress("read", stage_.records(), 0);
    }
  }

  /// Reads one GAR-ENT file (from disk or an archive member) on this thread.
  core::Status readFile(std::string_view name, const FeedRead& read) {
    const auto index = static_cast<std::uint32_t>(report_.files.size());
    report_.files.push_back(FeedFileReport{baseName(name), "", "", 0});
    const auto parts = parseFileName(report_.files.back().name);
    if (!checkName(index, parts, own_problems_)) {
      return {};
    }
    const FeedRecordSink sink = [&](store::FeedRecord&& record,
                                    std::uint32_t line) -> core::Status {
      GARDE_TRY(stage_.add(record, store::FeedPosition{index, line}));
      progress();
      return {};
    };
    GARDE_ASSIGN_OR_RETURN(const FeedFileSummary summary,
                           parseFeedFile(report_.files.back().name, index, read, sink,
                                         parse_problems_, options_.file_limits));
    afterParse(index, parts, summary, own_problems_);
    return {};
  }

  /// Reads .xml files on `options_.parse_threads` threads, each with its own schemas; this thread
  /// stages what they read (the connection is this thread's). At most 8 batches of 1,000 records
  /// wait between them, so memory stays bounded whatever the snapshot's size.
  core::Status readXmlFiles(const std::vector<const FeedInput*>& files) {
    const std::size_t threads =
        std::min<std::size_t>(std::max<std::size_t>(options_.parse_threads, 1), files.size());
    if (threads <= 1) {
      for (const FeedInput* input : files) {
        std::ifstream in(input->path, std::ios::binary);
        if (!in) {
          return core::fail(core::ErrorCode::kNotFound, "cannot read " + input->path);
        }
        GARDE_TRY(readFile(input->name, streamReader(in)));
      }
      return {};
    }
    const auto first = static_cast<std::uint32_t>(report_.files.size());
    for (const FeedInput* input : files) {
      report_.files.push_back(FeedFileReport{baseName(input->name), "", "", 0});
    }
    using Batch = std::vector<std::pair<store::FeedRecord, store::FeedPosition>>;
    constexpr std::size_t kBatch = 1000;
    constexpr std::size_t kQueued = 8;
    std::mutex mutex;
    std::condition_variable ready;  // a batch is queued, or a worker ended
    std::condition_variable room;   // the queue has room, or the import is aborted
    std::deque<Batch> queue;
    std::size_t active = threads;
    bool abort = false;
    std::string worker_error;
    std::atomic<std::size_t> next{0};
    auto push = [&](Batch&& batch) {
      std::unique_lock lock(mutex);
      room.wait(lock, [&] { return abort || queue.size() < kQueued; });
      if (abort) {
        return false;
      }
      queue.push_back(std::move(batch));
      ready.notify_one();
      return true;
    };
    auto work = [&] {
      const SchemaSet schemas;
      for (;;) {
        const std::size_t i = next++;
        if (i >= files.size()) {
          break;
        }
        const auto index = static_cast<std::uint32_t>(first + i);
        const std::string name = baseName(files[i]->name);
        const auto parts = parseFileName(name);
        std::vector<store::FeedProblem> local;
        if (!checkNameLocked(mutex, index, parts, local)) {
          std::lock_guard lock(mutex);
          own_problems_.insert(own_problems_.end(), local.begin(), local.end());
          continue;
        }
        std::ifstream in(files[i]->path, std::ios::binary);
        Batch batch;
        const FeedRecordSink sink = [&](store::FeedRecord&& record,
                                        std::uint32_t line) -> core::Status {
          batch.emplace_back(std::move(record), store::FeedPosition{index, line});
          if (batch.size() >= kBatch) {
            if (!push(std::move(batch))) {
              return core::fail(core::ErrorCode::kInternal, "aborted");
            }
            batch = Batch();
          }
          return {};
        };
        auto summary = in ? parseFeedFile(name, index, streamReader(in), sink, local,
                                          options_.file_limits, &schemas)
                          : core::Result<FeedFileSummary>(core::fail(
                                core::ErrorCode::kNotFound, "cannot read " + files[i]->path));
        if (summary && !batch.empty()) {
          (void)push(std::move(batch));
        }
        std::lock_guard lock(mutex);
        if (!summary) {
          if (worker_error.empty() && summary.error().detail != "aborted") {
            worker_error = summary.error().describe();
          }
          abort = true;
          room.notify_all();
        } else {
          afterParse(index, parts, *summary, own_problems_);
        }
        parse_problems_.insert(parse_problems_.end(), local.begin(), local.end());
        if (abort) {
          break;
        }
      }
      std::lock_guard lock(mutex);
      --active;
      ready.notify_all();
    };
    std::vector<std::thread> pool;
    for (std::size_t t = 0; t < threads; ++t) {
      pool.emplace_back(work);
    }
    core::Status status;
    for (;;) {
      Batch batch;
      {
        std::unique_lock lock(mutex);
        ready.wait(lock, [&] { return !queue.empty() || active == 0; });
        if (queue.empty()) {
          break;
        }
        batch = std::move(queue.front());
        queue.pop_front();
        room.notify_one();
      }
      if (!status) {
        continue;  // draining after a failure
      }
      for (const auto& [record, at] : batch) {
        if (auto s = stage_.add(record, at); !s) {
          status = s;
          std::lock_guard lock(mutex);
          abort = true;
          room.notify_all();
          break;
        }
        progress();
      }
    }
    for (auto& t : pool) {
      t.join();
    }
    GARDE_TRY(status);
    if (!worker_error.empty()) {
      return core::fail(core::ErrorCode::kStoreError, worker_error);
    }
    return {};
  }

  bool checkNameLocked(std::mutex& mutex, std::uint32_t index,
                       const std::optional<NameParts>& parts,
                       std::vector<store::FeedProblem>& out) {
    std::lock_guard lock(mutex);
    return checkName(index, parts, out);
  }

  /// Reads every member of an archive after checking its checksum.
  core::Status readArchive(const FeedInput& input) {
    const auto index = static_cast<std::uint32_t>(report_.files.size());
    report_.files.push_back(FeedFileReport{input.name, "archive", "", 0});
    // An archive named as ENT connectors name them says its ENT too, so that a refusal before any
    // member is read (a bad checksum) is still recorded for that ENT.
    static const std::regex kArchiveName(R"(^(.+?)_GAR-ENT_Complet_.*$)");
    std::smatch m;
    if (std::regex_match(input.name, m, kArchiveName)) {
      name_ents_.insert(m[1].str());
    }
    if (!input.md5) {
      problem(index, 0, core::ErrorCode::kSignatureMissing,
              "the archive comes without its .md5 checksum");
      return {};
    }
    ArchiveSource source;
    if (input.type == FeedInput::Type::kArchiveFile) {
      source.path = input.path;
    } else {
      source.bytes = input.bytes;
    }
    GARDE_ASSIGN_OR_RETURN(const std::string actual, archiveMd5(source));
    auto expected = parseMd5File(*input.md5);
    if (!expected) {
      problem(index, 0, core::ErrorCode::kSignatureInvalid,
              "the .md5 checksum is unreadable: " + expected.error().detail);
      return {};
    }
    if (*expected != actual) {
      problem(index, 0, core::ErrorCode::kSignatureInvalid,
              "the archive's MD5 is not the one its .md5 gives (damaged or altered transfer)");
      return {};
    }
    auto walked =
        forEachMember(source, options_.archive_limits,
                      [&](std::string_view path, const FeedRead& read) -> core::Status {
                        if (!endsWith(path, ".xml")) {
                          problem(index, 0, core::ErrorCode::kBadRequest,
                                  "archive member is not a GAR-ENT .xml file: " + baseName(path));
                          return core::fail(core::ErrorCode::kBadRequest, "stop");
                        }
                        return readFile(path, read);
                      });
    if (!walked && walked.error().detail != "stop") {
      if (walked.error().code == core::ErrorCode::kStoreError ||
          walked.error().code == core::ErrorCode::kInternal) {
        return walked;
      }
      problem(index, 0, walked.error().code, walked.error().detail);
    }
    return {};
  }

  void problem(std::uint32_t file, std::uint32_t line, core::ErrorCode code, std::string message) {
    store::FeedProblem p;
    p.at.file = file;
    p.at.line = line;
    p.code = std::string(core::errorCodeName(code));
    p.message = std::move(message);
    own_problems_.push_back(std::move(p));
  }

  /// Every problem found while reading, in file order.
  std::vector<store::FeedProblem> problems() const {
    std::vector<store::FeedProblem> all = own_problems_;
    all.insert(all.end(), parse_problems_.begin(), parse_problems_.end());
    all.insert(all.end(), stage_.problems().begin(), stage_.problems().end());
    std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
      return a.at.file != b.at.file ? a.at.file < b.at.file : a.at.line < b.at.line;
    });
    return all;
  }

  const std::set<std::string>& nameEnts() const { return name_ents_; }

 private:
  store::FeedStage& stage_;
  const FeedImportOptions& options_;
  FeedReport& report_;
  std::vector<store::FeedProblem> own_problems_;
  std::vector<store::FeedProblem> parse_problems_;
  std::set<std::string> name_ents_;
};

core::Result<FeedReport> refuse(store::Db& db, FeedReport report, std::string reason,
                                const std::vector<FeedInput>& inputs, std::size_t max_problems,
                                core::UnixTime now) {
  report.imported = false;
  report.reason = std::move(reason);
  if (report.problems.size() > max_problems) {
    report.problems.resize(max_problems);
  }
  report.finished_at = core::formatIso8601(now);
  if (!report.ent_id.empty()) {
    // Recorded so that the ENT can read why; an unknown ENT has nowhere to keep it.
    auto id =
        store::recordFailedFeed(db, report.ent_id, joinNames(inputs), reportJson(report), now);
    if (id) {
      report.feed_id = *id;
      // The stored report names its own id too.
      (void)store::finishFeed(db, *id, false, 0, reportJson(report), now);
    }
  }
  kLog.warn("feed refused", {{"ent", report.ent_id},
                             {"files", std::to_string(report.files.size())},
                             {"problems", std::to_string(report.problems.size())},
                             {"reason", report.reason}});
  return report;
}

}  // namespace

core::Result<std::vector<FeedInput>> inputsFromPaths(const std::vector<std::string>& paths) {
  namespace fs = std::filesystem;
  std::vector<FeedInput> inputs;
  // A directory stands for the files in it, in name order (an unpacked snapshot).
  std::vector<std::string> expanded;
  for (const auto& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<std::string> inside;
      for (const auto& entry : fs::directory_iterator(path, ec)) {
        if (entry.is_regular_file(ec)) {
          inside.push_back(entry.path().string());
        }
      }
      std::sort(inside.begin(), inside.end());
      expanded.insert(expanded.end(), inside.begin(), inside.end());
    } else {
      expanded.push_back(path);
    }
  }
  for (const auto& path : expanded) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
      return core::fail(core::ErrorCode::kNotFound, "not a readable file: " + path);
    }
    FeedInput in;
    in.path = path;
    in.name = baseName(path);
    if (endsWith(path, ".md5")) {
      continue;  // the checksum of an archive, read with it
    }
    if (endsWith(path, ".xml")) {
      in.type = FeedInput::Type::kXmlFile;
    } else if (endsWith(path, ".tar.gz") || endsWith(path, ".tgz")) {
      in.type = FeedInput::Type::kArchiveFile;
      const std::string stem = path.substr(0, path.size() - (endsWith(path, ".tgz") ? 4 : 7));
      for (const std::string& candidate : {path + ".md5", stem + ".md5"}) {
        if (fs::is_regular_file(candidate, ec)) {
          std::ifstream md5(candidate, std::ios::binary);
          std::string text((std::istreambuf_iterator<char>(md5)), std::istreambuf_iterator<char>());
          in.md5 = text.substr(0, 4096);
          break;
        }
      }
    } else {
      return core::fail(core::ErrorCode::kBadRequest,
                        "not a GAR-ENT file (.xml) nor an archive (.tar.gz): " + path);
    }
    inputs.push_back(std::move(in));
  }
  return inputs;
}

core::Result<FeedReport> importFeed(store::Db& db, const std::vector<FeedInput>& inputs,
                                    const FeedImportOptions& options, core::UnixTime now) {
  FeedReport report;
  report.started_at = core::formatIso8601(now);
  if (options.ent_id) {
    report.ent_id = *options.ent_id;
  }
  if (inputs.empty()) {
    return refuse(db, std::move(report), "no file given", inputs, options.max_problems, now);
  }
  GARDE_ASSIGN_OR_RETURN(auto stage, store::FeedStage::open(db, report.ent_id));
  Importer importer(*stage, options, report);
  using Clock = std::chrono::steady_clock;
  const auto ms = [](Clock::time_point from) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - from).count();
  };
  const auto read_start = Clock::now();
  std::vector<const FeedInput*> xml_files;
  for (const FeedInput& input : inputs) {
    if (input.type == FeedInput::Type::kXmlFile) {
      xml_files.push_back(&input);
    }
  }
  GARDE_TRY(importer.readXmlFiles(xml_files));
  for (const FeedInput& input : inputs) {
    if (input.type == FeedInput::Type::kXmlBytes) {
      std::size_t offset = 0;
      GARDE_TRY(importer.readFile(input.name, [&](char* buffer, std::size_t size) -> long {
        const std::size_t n = std::min(size, input.bytes.size() - offset);
        std::memcpy(buffer, input.bytes.data() + offset, n);
        offset += n;
        return static_cast<long>(n);
      }));
    } else if (input.type != FeedInput::Type::kXmlFile) {
      GARDE_TRY(importer.readArchive(input));
    }
  }
  report.records = stage->records();
  report.problems = importer.problems();
  report.read_ms = ms(read_start);

  // Refusals end the stage first: its transaction must be gone before the failure is recorded.
  auto refuseNow = [&](std::string reason) {
    stage.reset();
    return refuse(db, std::move(report), std::move(reason), inputs, options.max_problems, now);
  };
  // Which ENT: the one asked for, and every file name must agree with it.
  const auto& ents = importer.nameEnts();
  if (options.ent_id) {
    for (const auto& e : ents) {
      if (e != *options.ent_id) {
        return refuseNow("a file name names ENT " + e + ", not " + *options.ent_id);
      }
    }
  } else if (ents.size() == 1) {
    report.ent_id = *ents.begin();
  } else if (ents.size() > 1) {
    return refuseNow("the files name several ENTs: one snapshot is one ENT's");
  }
  if (!report.problems.empty()) {
    return refuseNow("the snapshot has problems: nothing was imported");
  }
  if (report.ent_id.empty()) {
    return refuseNow("cannot tell which ENT the files are of (--ent)");
  }
  if (stage->people() == 0) {
    return refuseNow(
        "the snapshot lists no person: refused, so that it does not remove every person "
        "of the ENT");
  }
  stage->setEntId(report.ent_id);
  const auto check_start = Clock::now();
  GARDE_ASSIGN_OR_RETURN(auto checked, stage->check(options.max_problems));
  report.check_ms = ms(check_start);
  if (!checked.empty()) {
    report.problems = std::move(checked);
    return refuseNow("the snapshot references what it does not contain: nothing was imported");
  }
  const auto merge_start = Clock::now();
  GARDE_ASSIGN_OR_RETURN(report.counts, stage->merge(joinNames(inputs), now, options.progress));
  report.merge_ms = ms(merge_start);
  report.feed_id = stage->feedId();
  report.imported = true;
  report.finished_at = core::formatIso8601(now);
  GARDE_TRY(stage->commit(reportJson(report), now));
  kLog.info("feed imported", {{"ent", report.ent_id},
                              {"feed", std::to_string(*report.feed_id)},
                              {"files", std::to_string(report.files.size())},
                              {"records", std::to_string(report.records)},
                              {"changed", std::to_string(report.counts.total())}});
  return report;
}

std::string reportJson(const FeedReport& report) {
  boost::json::object o;
  if (report.feed_id) {
    o["feed_id"] = *report.feed_id;
  } else {
    o["feed_id"] = nullptr;
  }
  o["ent"] = report.ent_id;
  o["status"] = report.imported ? "imported" : "refused";
  if (!report.imported) {
    o["reason"] = report.reason;
  }
  o["started_at"] = report.started_at;
  o["finished_at"] = report.finished_at;
  o["records"] = report.records;
  o["changed"] = report.counts.total();
  o["timings_ms"] = boost::json::object{
      {"read", report.read_ms}, {"check", report.check_ms}, {"merge", report.merge_ms}};
  boost::json::array files;
  for (const auto& f : report.files) {
    files.push_back(boost::json::object{
        {"name", f.name}, {"kind", f.kind}, {"degree", f.degree}, {"records", f.records}});
  }
  o["files"] = std::move(files);
  boost::json::object counts;
  for (const auto& [name, c] : report.counts.named()) {
    counts[name] =
        boost::json::object{{"added", c->added}, {"changed", c->changed}, {"removed", c->removed}};
  }
  o["counts"] = std::move(counts);
  boost::json::array problems;
  for (const auto& p : report.problems) {
    const std::string file =
        p.at.file < report.files.size() ? report.files[p.at.file].name : std::string();
    problems.push_back(boost::json::object{
        {"file", file}, {"line", p.at.line}, {"code", p.code}, {"message", p.message}});
  }
  o["problems"] = std::move(problems);
  return boost::json::serialize(o);
}

std::string reportText(const FeedReport& report) {
  std::string out;
  if (report.imported) {
    out += "imported: ENT " + report.ent_id + ", feed " + std::to_string(*report.feed_id) + ", " +
           std::to_string(report.files.size()) + " file(s), " + std::to_string(report.records) +
           " records, " + std::to_string(report.counts.total()) + " changed (read " +
           std::to_string(report.read_ms) + " ms, check " + std::to_string(report.check_ms) +
           " ms, merge " + std::to_string(report.merge_ms) + " ms)\n";
  } else {
    out += "refused: " + report.reason + "\n";
  }
  if (report.imported) {
    out += "  kind                    added  changed  removed\n";
    for (const auto& [name, c] : report.counts.named()) {
      char line[128];
      std::snprintf(line, sizeof line, "  %-22s %6lld %8lld %8lld\n", std::string(name).c_str(),
                    static_cast<long long>(c->added), static_cast<long long>(c->changed),
                    static_cast<long long>(c->removed));
      out += line;
    }
  }
  for (const auto& p : report.problems) {
    const std::string file =
        p.at.file < report.files.size() ? report.files[p.at.file].name : std::string("?");
    out += "  " + file + ":" + std::to_string(p.at.line) + ": " + p.code + ": " + p.message + "\n";
  }
  return out;
}

}  // namespace garde::connectors::feed
