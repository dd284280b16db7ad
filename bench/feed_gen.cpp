// feed_gen: writes a realistic GAR-ENT snapshot of any size (bench/README.md, "Directory feeds"),
// valid against the ministry's schemas, as an ENT connector names and splits its files.
//
//   feed_gen --out DIR --people N [--ent ENT] [--date YYYYMMDD] [--primary] [--per-file 10000]
//            [--change-percent P]
//
// The population is a pure function of the person's index, so a second run with
// --change-percent P writes "the next day": P % of the people changed (a quarter renamed, a
// quarter left and replaced by newcomers, a quarter moved to another class, a quarter with other
// subjects), the others identical. Nothing is held in memory but the current element: 1,000,000
// people are written in a constant few MB.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "support/feed_builder.h"

namespace {

using garde::test::FeedEtab;
using garde::test::FeedFileWriter;
using garde::test::FeedTestGroup;
using garde::test::FeedTestManager;
using garde::test::FeedTestPerson;

const char* const kLast[] = {"Martin",   "Bernard",   "Lefèvre",   "Dubois",  "Moreau",   "Laurent",
                             "Girard",   "Bonnet",    "François",  "Mercier", "Faure",    "André",
                             "Gauthier", "Mathieu",   "Chevalier", "N'Diaye", "Nguyễn",   "Çelik",
                             "Da Silva", "Le Goff",   "Hébert",    "Noël",    "Rémy",     "Ménard",
                             "Brûlé",    "Aït-Ahmed", "Bénard",    "Pétain",  "Lemaître", "Dupré"};
const char* const kFirst[] = {"Léa",    "Chloé",   "Inès",    "Zoé",    "Jade",     "Anaïs",
                              "Maëlle", "Noé",     "Raphaël", "Gaël",   "Loïc",     "Jérôme",
                              "Hélène", "Aïssata", "Océane",  "Éloïse", "Timothée", "Théo",
                              "Mathéo", "Clément", "Amélie",  "Cécile", "Benoît",   "Françoise",
                              "Joël",   "Agnès"};
const char* const kSubjects[] = {"030201", "061300", "020700", "040600", "043700", "080100",
                                 "090100", "100100", "110100", "130100", "001600", "021500"};
constexpr std::size_t kPupilsPerEtab = 600;
constexpr std::size_t kPupilsPerClass = 25;
constexpr std::size_t kClassesPerEtab = kPupilsPerEtab / kPupilsPerClass;  // 24
constexpr std::size_t kGroupsPerEtab = 6;
constexpr std::size_t kTeachersPerEtab = 50;
constexpr std::size_t kPerEtab = kPupilsPerEtab + kTeachersPerEtab;

struct Args {
  std::string out;
  std::string ent = "ENTBENCH";
  std::string date = "20260901";
  std::size_t people = 1000;
  std::size_t per_file = 10000;
  unsigned change_percent = 0;
  bool primary = false;
};

std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

std::string uaiOf(std::size_t etab) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%07zuX", 750000 + etab);
  return buf;
}

/// What changes for person `i` on the next day: 0 none, 1 renamed, 2 left (and a newcomer came),
/// 3 another class, 4 other subjects.
int changeOf(std::size_t i, unsigned percent) {
  if (percent == 0 || mix(i * 7 + 1) % 100 >= percent) return 0;
  return 1 + static_cast<int>(mix(i * 13 + 5) % 4);
}

/// The person at index `i` (pupils and teachers interleaved by establishment), as of the day the
/// `change_percent` says; `exists` false for a leaver.
FeedTestPerson personAt(std::size_t i, const Args& a, bool& exists) {
  const std::size_t etab = i / kPerEtab;
  const std::size_t k = i % kPerEtab;
  const std::string uai = uaiOf(etab);
  const int change = changeOf(i, a.change_percent);
  FeedTestPerson p;
  const std::uint64_t h = mix(i);
  p.id = (change == 2 ? "new-" : "p-") + std::to_string(i);
  if (i % 100000 == 99) {
    p.id += std::string(64 - p.id.size(), 'x');  // the identifier at its 64-character limit
  }
  exists = true;  // a leaver is replaced by a newcomer under a new identifier
  p.last_name = kLast[h % std::size(kLast)];
  p.first_name = kFirst[(h >> 8) % std::size(kFirst)];
  if (change == 1) p.last_name += "-" + std::string(kLast[(h >> 16) % std::size(kLast)]);
  if (i % 50000 == 7) {
    // Names at the schema's 500-character limit (accented characters count once each).
    std::string n;
    for (int c = 0; c < 500; ++c) n += "é";  // 500 characters, 1000 bytes
    p.last_name = n;
    p.first_name = std::string(500, 'a');
  }
  if (k >= kPupilsPerEtab) {
    p.teacher = true;
    p.civility = (h & 1) ? "M." : "Mme";
    p.profiles = {{uai, (k == kPerEtab - 1) ? "National_doc" : "National_ens"}};
    p.emails = {"prof" + std::to_string(i) + "@ac-bench.fr"};
    p.mefs = {{uai, "10010012110"}, {uai, "10110001110"}};
    const std::size_t t = k - kPupilsPerEtab;
    for (std::size_t c = 0; c < 3; ++c) {
      const std::size_t cls = (t * 3 + c) % kClassesPerEtab;
      p.taught.push_back(
          {uai, "C" + std::to_string(cls), kSubjects[(t + c) % std::size(kSubjects)]});
    }
    p.groups = {{uai, "C" + std::to_string(t % kClassesPerEtab)}};
    return p;
  }
  p.profiles = {{uai, "National_elv"}};
  std::size_t cls = k / kPupilsPerClass;
  if (change == 3) cls = (cls + 1) % kClassesPerEtab;
  p.mefs = {{uai, cls < 12 ? "10010012110" : "10110001110"}};
  const std::size_t first_subject = change == 4 ? 7 : 0;
  for (std::size_t s = 0; s < 5; ++s) {
    p.subjects.push_back(
        {uai, kSubjects[(first_subject + s + (h >> 24) % 3) % std::size(kSubjects)]});
  }
  p.groups = {{uai, "C" + std::to_string(cls)}, {uai, "G" + std::to_string(h % kGroupsPerEtab)}};
  return p;
}

int run(const Args& a) {
  std::filesystem::create_directories(a.out);
  const std::size_t etabs = (a.people + kPerEtab - 1) / kPerEtab;
  std::size_t files = 0;
  auto finish = [&](FeedFileWriter& w) { files += w.finish().size(); };
  {
    FeedFileWriter w(a.out, a.ent, a.date, a.primary, "Etab", a.per_file);
    for (std::size_t e = 0; e < etabs; ++e) {
      w.add(garde::test::etabElement(
          FeedEtab{uaiOf(e), "Collège Jean-Moulin n°" + std::to_string(e)}, a.primary));
    }
    finish(w);
  }
  bool exists = true;
  for (const bool teacher : {false, true}) {
    FeedFileWriter w(a.out, a.ent, a.date, a.primary, teacher ? "Enseignant" : "Eleve", a.per_file);
    for (std::size_t i = 0; i < a.people; ++i) {
      const auto p = personAt(i, a, exists);
      if (exists && p.teacher == teacher) w.add(garde::test::personElement(p, a.primary));
    }
    for (std::size_t i = 0; i < a.people; ++i) {
      const auto p = personAt(i, a, exists);
      if (!exists || p.teacher != teacher) continue;
      for (const auto& [uai, code] : p.mefs) {
        w.add(garde::test::personMefElement(uai, p.id, a.primary ? "2111" : code, a.primary));
      }
    }
    if (!teacher && !a.primary) {
      for (std::size_t i = 0; i < a.people; ++i) {
        const auto p = personAt(i, a, exists);
        if (!exists || p.teacher) continue;
        for (const auto& [uai, code] : p.subjects) {
          w.add(garde::test::pupilSubjectElement(uai, p.id, code));
        }
      }
    }
    finish(w);
  }
  {
    FeedFileWriter w(a.out, a.ent, a.date, a.primary, "Groupe", a.per_file);
    for (std::size_t e = 0; e < etabs; ++e) {
      for (std::size_t c = 0; c < kClassesPerEtab; ++c) {
        w.add(garde::test::groupElement(
            FeedTestGroup{uaiOf(e), "C" + std::to_string(c), "Classe " + std::to_string(c), true}));
      }
      for (std::size_t g = 0; g < kGroupsPerEtab; ++g) {
        w.add(garde::test::groupElement(FeedTestGroup{uaiOf(e), "G" + std::to_string(g),
                                                      "Groupe " + std::to_string(g), false}));
      }
    }
    for (std::size_t i = 0; i < a.people; ++i) {
      const auto p = personAt(i, a, exists);
      for (const auto& [uai, code] : p.groups) {
        w.add(garde::test::membershipElement(uai, p.id, code));
      }
    }
    if (!a.primary) {
      for (std::size_t i = 0; i < a.people; ++i) {
        const auto p = personAt(i, a, exists);
        for (const auto& t : p.taught) {
          w.add(garde::test::teacherSubjectsElement(t[0], p.id, t[1], {t[2]}, true));
        }
      }
    }
    finish(w);
  }
  {
    FeedFileWriter w(a.out, a.ent, a.date, a.primary, "RespAff", a.per_file);
    for (std::size_t e = 0; e < etabs; ++e) {
      const std::size_t i = e * kPerEtab + kPupilsPerEtab;  // the first teacher manages
      if (i >= a.people) continue;
      const auto p = personAt(i, a, exists);
      w.add(garde::test::managerElement(
          FeedTestManager{p.id, p.last_name, p.first_name, p.emails, {uaiOf(e)}}));
    }
    finish(w);
  }
  std::printf("%zu people, %zu establishments, %zu files in %s\n", a.people, etabs, files,
              a.out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "feed_gen: %s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--out")
      a.out = value();
    else if (arg == "--people")
      a.people = std::stoul(value());
    else if (arg == "--ent")
      a.ent = value();
    else if (arg == "--date")
      a.date = value();
    else if (arg == "--per-file")
      a.per_file = std::stoul(value());
    else if (arg == "--change-percent")
      a.change_percent = static_cast<unsigned>(std::stoul(value()));
    else if (arg == "--primary")
      a.primary = true;
    else {
      std::fprintf(stderr,
                   "usage: feed_gen --out DIR --people N [--ent ENT] [--date YYYYMMDD] "
                   "[--primary] [--per-file N] [--change-percent P]\n");
      return 2;
    }
  }
  if (a.out.empty()) {
    std::fprintf(stderr, "feed_gen: --out DIR is required\n");
    return 2;
  }
  return run(a);
}
