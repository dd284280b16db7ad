#include "support/feed_builder.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace garde::test {
namespace {

std::string esc(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string leaf(const char* name, const std::string& value) {
  return std::string("<") + name + ">" + esc(value) + "</" + name + ">";
}

}  // namespace

struct FeedFileWriter::File {
  std::ofstream out;
};

FeedFileWriter::FeedFileWriter(std::string dir, std::string ent, std::string date, bool primary,
                               std::string kind, std::size_t per_file)
    : dir_(std::move(dir)),
      ent_(std::move(ent)),
      date_(std::move(date)),
      kind_(std::move(kind)),
      primary_(primary),
      per_file_(per_file) {}

FeedFileWriter::~FeedFileWriter() { finish(); }

void FeedFileWriter::open() {
  char number[8];
  std::snprintf(number, sizeof number, "%04zu", paths_.size());
  const std::string path = dir_ + "/" + ent_ + "_GAR-ENT_Complet_" + date_ +
                           (primary_ ? "1D_" : "2D_") + kind_ + "_" + number + ".xml";
  file_ = new File;
  file_->out.open(path, std::ios::binary | std::ios::trunc);
  if (!file_->out) {
    throw std::runtime_error("cannot write " + path);
  }
  paths_.push_back(path);
  file_->out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<GAR-ENT-" << kind_ << " xmlns=\""
             << (primary_ ? "http://data.education.fr/ns/gar/1d"
                          : "http://data.education.fr/ns/gar")
             << "\" Version=\"" << (primary_ ? "1.4" : "1.7") << "\">\n";
  in_file_ = 0;
}

void FeedFileWriter::add(const std::string& element) {
  if (file_ == nullptr || in_file_ >= per_file_) {
    if (file_ != nullptr) {
      file_->out << "</GAR-ENT-" << kind_ << ">\n";
      delete file_;
      file_ = nullptr;
    }
    open();
  }
  file_->out << element << "\n";
  ++in_file_;
}

std::vector<std::string> FeedFileWriter::finish() {
  if (file_ != nullptr) {
    file_->out << "</GAR-ENT-" << kind_ << ">\n";
    file_->out.close();
    delete file_;
    file_ = nullptr;
  }
  return paths_;
}

std::string etabElement(const FeedEtab& e, bool) {
  return "<GAREtab>" + leaf("GARStructureUAI", e.uai) + leaf("GARStructureNomCourant", e.name) +
         "</GAREtab>";
}

std::string personElement(const FeedTestPerson& p, bool primary) {
  const char* tag = p.teacher ? "GAREnseignant" : "GAREleve";
  std::string x = std::string("<") + tag + ">" + leaf("GARPersonIdentifiant", p.id);
  std::vector<std::string> uais;
  for (const auto& [uai, profile] : p.profiles) {
    x += "<GARPersonProfils>" + leaf("GARStructureUAI", uai) + leaf("GARPersonProfil", profile) +
         "</GARPersonProfils>";
    if (std::find(uais.begin(), uais.end(), uai) == uais.end()) {
      uais.push_back(uai);
    }
  }
  x += leaf("GARPersonNom", p.last_name) + leaf("GARPersonPrenom", p.first_name) +
       leaf("GARPersonAutresPrenoms", p.first_name);
  if (!p.civility.empty()) {
    x += leaf("GARPersonCivilite", p.civility);
  }
  for (const auto& uai : uais) {
    x += leaf("GARPersonEtab", uai);
  }
  if (p.teacher && !primary) {
    for (const auto& e : p.emails) {
      x += leaf("GARPersonMail", e);
    }
  }
  return x + "</" + tag + ">";
}

std::string personMefElement(const std::string& uai, const std::string& id, const std::string& code,
                             bool primary) {
  if (primary) {
    return "<GARPersonMEFSTAT4>" + leaf("GARStructureUAI", uai) + leaf("GARPersonIdentifiant", id) +
           leaf("GARMEFSTAT4Code", code) + "</GARPersonMEFSTAT4>";
  }
  return "<GARPersonMEF>" + leaf("GARStructureUAI", uai) + leaf("GARPersonIdentifiant", id) +
         leaf("GARMEFCode", code) + "</GARPersonMEF>";
}

std::string pupilSubjectElement(const std::string& uai, const std::string& id,
                                const std::string& code) {
  return "<GAREleveEnseignement>" + leaf("GARStructureUAI", uai) +
         leaf("GARPersonIdentifiant", id) + leaf("GARMatiereCode", code) +
         "</GAREleveEnseignement>";
}

std::string groupElement(const FeedTestGroup& g) {
  return "<GARGroupe>" + leaf("GARGroupeCode", g.code) + leaf("GARStructureUAI", g.uai) +
         leaf("GARGroupeLibelle", g.label) +
         leaf("GARGroupeStatut", g.division ? "DIVISION" : "GROUPE") + "</GARGroupe>";
}

std::string membershipElement(const std::string& uai, const std::string& id,
                              const std::string& code) {
  return "<GARPersonGroupe>" + leaf("GARStructureUAI", uai) + leaf("GARPersonIdentifiant", id) +
         leaf("GARGroupeCode", code) + "</GARPersonGroupe>";
}

std::string teacherSubjectsElement(const std::string& uai, const std::string& id,
                                   const std::string& code, const std::vector<std::string>& subs,
                                   bool division) {
  const char* tag = division ? "GAREnsClasseMatiere" : "GAREnsGroupeMatiere";
  std::string x = std::string("<") + tag + ">" + leaf("GARStructureUAI", uai) +
                  leaf("GARPersonIdentifiant", id) + leaf("GARGroupeCode", code);
  for (const auto& s : subs) {
    x += leaf("GARMatiereCode", s);
  }
  return x + "</" + tag + ">";
}

std::string managerElement(const FeedTestManager& m) {
  std::string x = "<GARRespAff>" + leaf("GARPersonIdentifiant", m.id) +
                  leaf("GARPersonNom", m.last_name) + leaf("GARPersonPrenom", m.first_name);
  for (const auto& e : m.emails) {
    x += leaf("GARPersonMail", e);
  }
  for (const auto& u : m.uais) {
    x += leaf("GARRespAffEtab", u);
  }
  return x + "</GARRespAff>";
}

std::vector<std::string> writeFeedFiles(const FeedSnapshot& s, const std::string& dir,
                                        std::size_t per_file) {
  std::vector<std::string> all;
  auto take = [&](FeedFileWriter& w) {
    const auto paths = w.finish();
    all.insert(all.end(), paths.begin(), paths.end());
  };
  {
    FeedFileWriter w(dir, s.ent, s.date, s.primary, "Etab", per_file);
    for (const auto& e : s.etabs) w.add(etabElement(e, s.primary));
    take(w);
  }
  for (const bool teacher : {false, true}) {
    FeedFileWriter w(dir, s.ent, s.date, s.primary, teacher ? "Enseignant" : "Eleve", per_file);
    for (const auto& p : s.people) {
      if (p.teacher == teacher) w.add(personElement(p, s.primary));
    }
    for (const auto& p : s.people) {
      if (p.teacher != teacher) continue;
      for (const auto& [uai, code] : p.mefs) w.add(personMefElement(uai, p.id, code, s.primary));
    }
    if (!teacher && !s.primary) {
      for (const auto& p : s.people) {
        if (p.teacher) continue;
        for (const auto& [uai, code] : p.subjects) w.add(pupilSubjectElement(uai, p.id, code));
      }
    }
    take(w);
  }
  {
    FeedFileWriter w(dir, s.ent, s.date, s.primary, "Groupe", per_file);
    for (const auto& g : s.groups) w.add(groupElement(g));
    for (const auto& p : s.people) {
      for (const auto& [uai, code] : p.groups) w.add(membershipElement(uai, p.id, code));
    }
    if (!s.primary) {
      auto isDivision = [&](const std::string& uai, const std::string& code) {
        for (const auto& g : s.groups) {
          if (g.uai == uai && g.code == code) return g.division;
        }
        return true;
      };
      for (const bool division : {false, true}) {  // GAREnsGroupeMatiere, then ...ClasseMatiere
        for (const auto& p : s.people) {
          for (const auto& t : p.taught) {
            if (isDivision(t[0], t[1]) != division) continue;
            w.add(teacherSubjectsElement(t[0], p.id, t[1], {t.begin() + 2, t.end()}, division));
          }
        }
      }
    }
    take(w);
  }
  {
    FeedFileWriter w(dir, s.ent, s.date, s.primary, "RespAff", per_file);
    for (const auto& m : s.managers) w.add(managerElement(m));
    take(w);
  }
  return all;
}

std::string tarGz(const std::vector<TarMember>& members) {
  archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_pax_restricted(a);
  std::string out;
  out.resize(64 * 1024 * 1024);
  std::size_t used = 0;
  if (archive_write_open_memory(a, out.data(), out.size(), &used) != ARCHIVE_OK) {
    archive_write_free(a);
    throw std::runtime_error("archive_write_open_memory failed");
  }
  for (const auto& m : members) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, m.path.c_str());
    archive_entry_set_perm(e, 0644);
    switch (m.type) {
      case TarMember::Type::kFile:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, static_cast<la_int64_t>(m.content.size()));
        break;
      case TarMember::Type::kDirectory:
        archive_entry_set_filetype(e, AE_IFDIR);
        break;
      case TarMember::Type::kSymlink:
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_symlink(e, m.link_target.c_str());
        break;
      case TarMember::Type::kHardlink:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_hardlink(e, m.link_target.c_str());
        break;
      case TarMember::Type::kFifo:
        archive_entry_set_filetype(e, AE_IFIFO);
        break;
    }
    archive_write_header(a, e);
    if (m.type == TarMember::Type::kFile && !m.content.empty()) {
      archive_write_data(a, m.content.data(), m.content.size());
    }
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  out.resize(used);
  return out;
}

std::string readWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + path);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<TarMember> membersOf(const std::vector<std::string>& paths) {
  std::vector<TarMember> members;
  for (const auto& p : paths) {
    TarMember m;
    m.path = p.substr(p.rfind('/') + 1);
    m.content = readWhole(p);
    members.push_back(std::move(m));
  }
  return members;
}

}  // namespace garde::test
