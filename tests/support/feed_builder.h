#pragma once
// GAR-ENT feed files for the tests and the benchmarks (bench/feed_bench.cpp): a small model of an
// ENT project's directory written as the files an ENT connector produces (named
// {idENT}_GAR-ENT_Complet_{date}{2D_|1D_}{Kind}_{NNNN}.xml, split every `per_file` elements, valid
// against the ministry's schemas), and .tar.gz archives with any members (including the hostile
// ones: '..', absolute paths, links). Files are written as they are generated: memory does not
// grow with the snapshot.

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace garde::test {

struct FeedEtab {
  std::string uai;
  std::string name;
};

struct FeedTestPerson {
  std::string id;
  bool teacher = false;
  std::string last_name;
  std::string first_name;
  std::string civility;                                       ///< "M.", "Mme" or ""
  std::vector<std::pair<std::string, std::string>> profiles;  ///< (UAI, National_xxx)
  std::vector<std::string> emails;                            ///< teachers only
  std::vector<std::pair<std::string, std::string>> mefs;      ///< (UAI, code)
  std::vector<std::pair<std::string, std::string>> subjects;  ///< pupils: (UAI, subject)
  std::vector<std::pair<std::string, std::string>> groups;    ///< (UAI, group code)
  /// teachers: (UAI, group code, subject) taught
  std::vector<std::vector<std::string>> taught;
};

struct FeedTestGroup {
  std::string uai;
  std::string code;
  std::string label;
  bool division = true;
};

struct FeedTestManager {
  std::string id;
  std::string last_name;
  std::string first_name;
  std::vector<std::string> emails;
  std::vector<std::string> uais;
};

/// A whole snapshot, small enough to hold (tests).
struct FeedSnapshot {
  std::string ent = "ENTTEST1";
  bool primary = false;  ///< GAR-ENT-1D (namespace .../ns/gar/1d) instead of GAR-ENT
  std::string date = "20260901";
  std::vector<FeedEtab> etabs;
  std::vector<FeedTestPerson> people;
  std::vector<FeedTestGroup> groups;
  std::vector<FeedTestManager> managers;
};

/// Writes the elements of one kind into files of at most `per_file` elements each, named as an
/// ENT connector names them, in `dir`. Elements must come in the schema's order.
class FeedFileWriter {
 public:
  FeedFileWriter(std::string dir, std::string ent, std::string date, bool primary, std::string kind,
                 std::size_t per_file);
  ~FeedFileWriter();
  FeedFileWriter(const FeedFileWriter&) = delete;
  FeedFileWriter& operator=(const FeedFileWriter&) = delete;
  /// Appends one element (its XML text, in the default namespace).
  void add(const std::string& element);
  /// Closes the current file; returns every path written.
  std::vector<std::string> finish();

 private:
  void open();
  std::string dir_, ent_, date_, kind_;
  bool primary_;
  std::size_t per_file_, in_file_ = 0;
  std::vector<std::string> paths_;
  struct File;
  File* file_ = nullptr;
};

/// The XML of each element kind (escaped, schema order inside the element).
std::string etabElement(const FeedEtab& e, bool primary);
std::string personElement(const FeedTestPerson& p, bool primary);
std::string personMefElement(const std::string& uai, const std::string& id, const std::string& code,
                             bool primary);
std::string pupilSubjectElement(const std::string& uai, const std::string& id,
                                const std::string& code);
std::string groupElement(const FeedTestGroup& g);
std::string membershipElement(const std::string& uai, const std::string& id,
                              const std::string& code);
std::string teacherSubjectsElement(const std::string& uai, const std::string& id,
                                   const std::string& code, const std::vector<std::string>& subs,
                                   bool division);
std::string managerElement(const FeedTestManager& m);

/// Writes the snapshot's files into `dir`; returns their paths (Etab, Eleve, Enseignant, Groupe,
/// RespAff order; a kind without elements gets no file).
std::vector<std::string> writeFeedFiles(const FeedSnapshot& snapshot, const std::string& dir,
                                        std::size_t per_file = 10000);

/// A member of a test archive.
struct TarMember {
  enum class Type { kFile, kDirectory, kSymlink, kHardlink, kFifo };
  std::string path;
  std::string content;
  Type type = Type::kFile;
  std::string link_target;
};

/// A gzip-compressed tar (ustar/pax) of `members`, in memory.
std::string tarGz(const std::vector<TarMember>& members);

/// The files at `paths` as archive members named by their base names.
std::vector<TarMember> membersOf(const std::vector<std::string>& paths);

/// The content of a file (throws std::runtime_error if it cannot be read).
std::string readWhole(const std::string& path);

}  // namespace garde::test
