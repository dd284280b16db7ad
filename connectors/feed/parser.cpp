#include "connectors/feed/parser.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlschemas.h>

#include <algorithm>
#include <cstring>
#include <variant>

#include "core/c_handle.h"
#include "policy/profile.h"

namespace garde::connectors::feed {
namespace {

using XmlDoc = core::CHandle<xmlDoc, xmlFreeDoc>;

void ignoreXmlError(void*, xmlErrorPtr) {}

/// A streaming reader validating against a schema, with its validation context owned here
/// rather than by the reader, because libxml2 2.9 leaks that context in part when a document
/// stops before its end (not well-formed, cut by a cap, unreadable): xmlSchemaFreeValidCtxt
/// empties its cache of identity-constraint matchers before it clears the elements still open,
/// which put their matchers back in that cache. So unless the document was read to its end, one
/// more validation run (of a one-element document, which fails at once) clears the open elements
/// while the cache is still there, and freeing the context then frees the cache. That run happens
/// before the reader is freed: the open elements point into the reader's dictionary.
class ValidatingReader {
 public:
  ValidatingReader() = default;
  ~ValidatingReader() {
    if (ctxt_ != nullptr && reader_ != nullptr && !reached_the_end_) {
      xmlSchemaSetValidErrors(ctxt_, nullptr, nullptr, nullptr);
      xmlSchemaSetValidStructuredErrors(ctxt_, ignoreXmlError, nullptr);
      XmlDoc doc(xmlNewDoc(reinterpret_cast<const xmlChar*>("1.0")));
      if (doc) {
        xmlDocSetRootElement(doc.get(),
                             xmlNewDocNode(doc.get(), nullptr,
                                           reinterpret_cast<const xmlChar*>("drain"), nullptr));
        (void)xmlSchemaValidateDoc(ctxt_, doc.get());
      }
    }
    if (reader_ != nullptr) xmlFreeTextReader(reader_);
    if (ctxt_ != nullptr) xmlSchemaFreeValidCtxt(ctxt_);
  }
  ValidatingReader(const ValidatingReader&) = delete;
  ValidatingReader& operator=(const ValidatingReader&) = delete;

  /// The reader, over `read` through `input`, validating against `schema`; errors go to
  /// `on_error` from the first byte.
  core::Status open(xmlInputReadCallback read, xmlInputCloseCallback close, void* input,
                    const std::string& url, xmlSchema* schema,
                    xmlStructuredErrorFunc on_error, void* error_arg) {
    ctxt_ = xmlSchemaNewValidCtxt(schema);
    if (ctxt_ == nullptr) {
      return core::fail(core::ErrorCode::kInternal, "xmlSchemaNewValidCtxt failed");
    }
    reader_ = xmlReaderForIO(read, close, input, url.c_str(), nullptr,
                             XML_PARSE_NONET | XML_PARSE_NOCDATA);
    if (reader_ == nullptr) {
      return core::fail(core::ErrorCode::kInternal, "xmlReaderForIO failed");
    }
    xmlTextReaderSetStructuredErrorHandler(reader_, on_error, error_arg);
    if (xmlTextReaderSchemaValidateCtxt(reader_, ctxt_, 0) != 0) {
      return core::fail(core::ErrorCode::kInternal, "xmlTextReaderSchemaValidateCtxt failed");
    }
    return {};
  }

  xmlTextReader* get() const noexcept { return reader_; }
  /// The document was read to its end: nothing is left open.
  void reachedTheEnd() noexcept { reached_the_end_ = true; }

 private:
  xmlSchemaValidCtxt* ctxt_ = nullptr;
  xmlTextReader* reader_ = nullptr;
  bool reached_the_end_ = false;
};

struct Kind {
  const char* root;
  FeedKind kind;
};
constexpr Kind kKinds[] = {{"GAR-ENT-Eleve", FeedKind::kEleve},
                           {"GAR-ENT-Enseignant", FeedKind::kEnseignant},
                           {"GAR-ENT-Etab", FeedKind::kEtab},
                           {"GAR-ENT-Groupe", FeedKind::kGroupe},
                           {"GAR-ENT-RespAff", FeedKind::kRespAff}};

// --- The prolog guard ---------------------------------------------------------------------------
// Reads what comes before the root element's start tag itself, so that a DOCTYPE is refused
// before libxml2 reads a single declaration (no entity is ever declared, so none is expanded or
// fetched), and so that the root's namespace picks the schema before the reader starts (a schema
// can only be set before the first read).

struct Prolog {
  enum class State { kNeedMore, kRoot, kForbidden, kMalformed };
  State state = State::kNeedMore;
  std::string reason;
  std::string root_tag;  ///< the root start tag, from '<' to '>'
};

bool isNameStart(unsigned char c) {
  return c == '_' || c == ':' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c >= 0x80;
}

Prolog scanProlog(std::string_view b) {
  Prolog out;
  std::size_t i = 0;
  if (b.size() >= 2 &&
      ((static_cast<unsigned char>(b[0]) == 0xFE && static_cast<unsigned char>(b[1]) == 0xFF) ||
       (static_cast<unsigned char>(b[0]) == 0xFF && static_cast<unsigned char>(b[1]) == 0xFE) ||
       b[0] == '\0')) {
    out.state = Prolog::State::kMalformed;
    out.reason = "not UTF-8 (GAR-ENT files are UTF-8)";
    return out;
  }
  if (b.size() >= 3 && b.substr(0, 3) == "\xEF\xBB\xBF") {
    i = 3;
  }
  while (i < b.size()) {
    const char c = b[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++i;
      continue;
    }
    if (c != '<') {
      out.state = Prolog::State::kMalformed;
      out.reason = "text before the root element";
      return out;
    }
    if (i + 1 >= b.size()) {
      return out;  // need more
    }
    const char d = b[i + 1];
    if (d == '?') {
      const auto end = b.find("?>", i + 2);
      if (end == std::string_view::npos) {
        return out;
      }
      const std::string_view pi = b.substr(i + 2, end - i - 2);
      const bool declaration =
          pi.size() >= 3 && pi.substr(0, 3) == "xml" && (pi.size() == 3 || pi[3] == ' ');
      if (!declaration || i != (b.substr(0, 3) == "\xEF\xBB\xBF" ? 3u : 0u)) {
        out.state = Prolog::State::kForbidden;
        out.reason = "processing instruction";
        return out;
      }
      i = end + 2;
      continue;
    }
    if (d == '!') {
      if (i + 3 >= b.size()) {
        return out;
      }
      if (b[i + 2] == '-' && b[i + 3] == '-') {
        const auto end = b.find("-->", i + 4);
        if (end == std::string_view::npos) {
          return out;
        }
        i = end + 3;
        continue;
      }
      out.state = Prolog::State::kForbidden;
      out.reason = "DOCTYPE (no DTD is accepted)";
      return out;
    }
    if (!isNameStart(static_cast<unsigned char>(d))) {
      out.state = Prolog::State::kMalformed;
      out.reason = "not well-formed before the root element";
      return out;
    }
    // The root start tag: up to the first '>' outside quotes.
    char quote = 0;
    for (std::size_t j = i + 1; j < b.size(); ++j) {
      const char e = b[j];
      if (quote != 0) {
        if (e == quote) {
          quote = 0;
        }
      } else if (e == '"' || e == '\'') {
        quote = e;
      } else if (e == '>') {
        out.state = Prolog::State::kRoot;
        out.root_tag = std::string(b.substr(i, j - i + 1));
        return out;
      }
    }
    return out;
  }
  return out;
}

// The namespace of the root element from its start tag: xmlns (no prefix) or xmlns:prefix.
std::optional<std::string> rootNamespace(std::string_view tag) {
  std::size_t i = 1;
  while (i < tag.size() && std::strchr(" \t\r\n/>", tag[i]) == nullptr) {
    ++i;
  }
  const std::string_view qname = tag.substr(1, i - 1);
  const auto colon = qname.find(':');
  const std::string wanted =
      colon == std::string_view::npos ? "xmlns" : "xmlns:" + std::string(qname.substr(0, colon));
  while (i < tag.size()) {
    while (i < tag.size() && std::strchr(" \t\r\n", tag[i]) != nullptr) {
      ++i;
    }
    const std::size_t name_start = i;
    while (i < tag.size() && std::strchr(" \t\r\n=/>", tag[i]) == nullptr) {
      ++i;
    }
    const std::string_view name = tag.substr(name_start, i - name_start);
    while (i < tag.size() && std::strchr(" \t\r\n", tag[i]) != nullptr) {
      ++i;
    }
    if (i >= tag.size() || tag[i] != '=') {
      return std::nullopt;
    }
    ++i;
    while (i < tag.size() && std::strchr(" \t\r\n", tag[i]) != nullptr) {
      ++i;
    }
    if (i >= tag.size() || (tag[i] != '"' && tag[i] != '\'')) {
      return std::nullopt;
    }
    const char quote = tag[i++];
    const auto end = tag.find(quote, i);
    if (end == std::string_view::npos) {
      return std::nullopt;
    }
    if (name == wanted) {
      return std::string(tag.substr(i, end - i));
    }
    i = end + 1;
  }
  return std::nullopt;
}

// --- The input: the prolog already read, then the stream, under the byte cap --------------------

struct Input {
  const FeedRead* read = nullptr;
  std::string head;  ///< bytes read by the prolog guard, served first
  std::size_t head_pos = 0;
  std::uint64_t total = 0;
  std::uint64_t max_bytes = 0;
  bool over_limit = false;
  bool io_error = false;
};

int readInput(void* context, char* buffer, int len) {
  auto* in = static_cast<Input*>(context);
  if (len <= 0) {
    return 0;
  }
  if (in->head_pos < in->head.size()) {
    const std::size_t n =
        std::min<std::size_t>(static_cast<std::size_t>(len), in->head.size() - in->head_pos);
    std::memcpy(buffer, in->head.data() + in->head_pos, n);
    in->head_pos += n;
    return static_cast<int>(n);
  }
  const long n = (*in->read)(buffer, static_cast<std::size_t>(len));
  if (n < 0) {
    in->io_error = true;
    return -1;
  }
  in->total += static_cast<std::uint64_t>(n);
  if (in->total > in->max_bytes) {
    in->over_limit = true;
    return -1;
  }
  return static_cast<int>(n);
}

int closeInput(void*) { return 0; }

// --- Records ------------------------------------------------------------------------------------

struct Problems {
  std::vector<store::FeedProblem>* out = nullptr;
  std::uint32_t file = 0;
  std::size_t count = 0;  ///< problems of this file
  std::size_t max = 0;
  bool full() const { return count >= max; }
  void add(std::uint32_t line, core::ErrorCode code, std::string message) {
    ++count;
    if (count > max) {
      return;
    }
    store::FeedProblem p;
    p.at.file = file;
    p.at.line = line;
    p.code = std::string(core::errorCodeName(code));
    p.message = std::move(message);
    out->push_back(std::move(p));
  }
};

void onXmlError(void* context, xmlErrorPtr error) {
  auto* problems = static_cast<Problems*>(context);
  if (error == nullptr || error->level == XML_ERR_WARNING) {
    return;
  }
  std::string message = error->message != nullptr ? error->message : "XML error";
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
    message.pop_back();
  }
  const bool schema = error->domain == XML_FROM_SCHEMASV;
  problems->add(static_cast<std::uint32_t>(std::max(error->line, 0)),
                schema ? core::ErrorCode::kMalformedMessage : core::ErrorCode::kMalformedMessage,
                (schema ? "schema: " : "XML: ") + message);
}

std::string civility(std::string_view text) {
  if (text == "M." || text == "Mme") {
    return std::string(text);
  }
  return {};  // anything else is not a civility garde releases (docs/feeds.md)
}

/// Builds the record of one depth-1 element from its fields.
class RecordBuilder {
 public:
  void start(std::string_view element) {
    record_.reset();
    pending_uai_.clear();
    pending_profile_.clear();
    if (element == "GAREleve" || element == "GAREnseignant") {
      store::FeedPerson p;
      p.teacher = element == "GAREnseignant";
      record_ = std::move(p);
    } else if (element == "GARPersonMEF" || element == "GARPersonMEFSTAT4") {
      record_ = store::FeedPersonMef{};
    } else if (element == "GAREleveEnseignement") {
      record_ = store::FeedPupilSubject{};
    } else if (element == "GAREtab") {
      record_ = store::FeedEstablishment{};
    } else if (element == "GARMEF") {
      record_ = store::FeedEstablishmentMef{};
    } else if (element == "GARMatiere") {
      record_ = store::FeedEstablishmentSubject{};
    } else if (element == "GARGroupe") {
      record_ = store::FeedGroup{};
    } else if (element == "GARPersonGroupe") {
      record_ = store::FeedMembership{};
    } else if (element == "GAREnsGroupeMatiere" || element == "GAREnsClasseMatiere") {
      record_ = store::FeedTeacherSubjects{};
    } else if (element == "GARRespAff") {
      record_ = store::FeedManager{};
    }
  }

  /// A leaf at depth 2 (`field`) or 3 (`field` inside `parent`) ended with `text`.
  void field(std::string_view parent, std::string_view field, std::string text) {
    if (!record_) {
      return;
    }
    std::visit([&](auto& r) { set(r, parent, field, std::move(text)); }, *record_);
  }

  /// The depth-2 element `name` ended (GARPersonProfils closes a (UAI, profile) pair).
  void endChild(std::string_view name) {
    if (!record_ || name != "GARPersonProfils") {
      return;
    }
    if (auto* p = std::get_if<store::FeedPerson>(&*record_)) {
      p->profiles.emplace_back(std::move(pending_uai_), std::move(pending_profile_));
      pending_uai_.clear();
      pending_profile_.clear();
    }
  }

  std::optional<store::FeedRecord>& record() { return record_; }

 private:
  void set(store::FeedPerson& r, std::string_view parent, std::string_view f, std::string t) {
    if (parent == "GARPersonProfils") {
      if (f == "GARStructureUAI") pending_uai_ = std::move(t);
      if (f == "GARPersonProfil") pending_profile_ = std::move(t);
      return;
    }
    if (!parent.empty()) return;
    if (f == "GARPersonIdentifiant")
      r.id = std::move(t);
    else if (f == "GARPersonNom")
      r.last_name = std::move(t);
    else if (f == "GARPersonPrenom")
      r.first_name = std::move(t);
    else if (f == "GARPersonCivilite")
      r.civility = civility(t);
    else if (f == "GARPersonEtab")
      r.establishments.push_back(std::move(t));
    else if (f == "GARPersonMail")
      r.emails.push_back(std::move(t));
  }
  void set(store::FeedPersonMef& r, std::string_view parent, std::string_view f, std::string t) {
    if (!parent.empty()) return;
    if (f == "GARStructureUAI")
      r.uai = std::move(t);
    else if (f == "GARPersonIdentifiant")
      r.person_id = std::move(t);
    else if (f == "GARMEFCode" || f == "GARMEFSTAT4Code")
      r.code = std::move(t);
  }
  void set(store::FeedPupilSubject& r, std::string_view parent, std::string_view f, std::string t) {
    if (!parent.empty()) return;
    if (f == "GARStructureUAI")
      r.uai = std::move(t);
    else if (f == "GARPersonIdentifiant")
      r.person_id = std::move(t);
    else if (f == "GARMatiereCode")
      r.code = std::move(t);
  }
  void set(store::FeedEstablishment& r, std::string_view parent, std::string_view f,
           std::string t) {
    if (!parent.empty()) return;
    if (f == "GARStructureUAI")
      r.uai = std::move(t);
    else if (f == "GARStructureNomCourant")
      r.name = std::move(t);
  }
  void set(store::FeedEstablishmentMef& r, std::string_view parent, std::string_view f,
           std::string t) {
    if (!parent.empty()) return;
    if (f == "GARStructureUAI")
      r.uai = std::move(t);
    else if (f == "GARMEFCode")
      r.code = std::move(t);
    else if (f == "GARMEFLibelle")
      r.label = std::move(t);
  }
  void set(store::FeedEstablishmentSubject& r, std::string_view parent, std::string_view f,
           std::string t) {
    if (!parent.empty()) return;
    if (f == "GARStructureUAI")
      r.uai = std::move(t);
    else if (f == "GARMatiereCode")
      r.code = std::move(t);
    else if (f == "GARMatiereLibelle")
      r.label = std::move(t);
  }
  void set(store::FeedGroup& r, std::string_view parent, std::string_view f, std::string t) {
    if (!parent.empty()) return;
    if (f == "GARStructureUAI")
      r.uai = std::move(t);
    else if (f == "GARGroupeCode")
      r.code = std::move(t);
    else if (f == "GARGroupeLibelle")
      r.label = std::move(t);
    else if (f == "GARGroupeStatut")
      status_ = std::move(t);
  }
  void set(store::FeedMembership& r, std::string_view parent, std::string_view f, std::string t) {
    if (!parent.empty()) return;
    if (f == "GARStructureUAI")
      r.uai = std::move(t);
    else if (f == "GARPersonIdentifiant")
      r.person_id = std::move(t);
    else if (f == "GARGroupeCode")
      r.group_code = std::move(t);
  }
  void set(store::FeedTeacherSubjects& r, std::string_view parent, std::string_view f,
           std::string t) {
    if (!parent.empty()) return;
    if (f == "GARStructureUAI")
      r.uai = std::move(t);
    else if (f == "GARPersonIdentifiant")
      r.person_id = std::move(t);
    else if (f == "GARGroupeCode")
      r.group_code = std::move(t);
    else if (f == "GARMatiereCode")
      r.subjects.push_back(std::move(t));
  }
  void set(store::FeedManager& r, std::string_view parent, std::string_view f, std::string t) {
    if (!parent.empty()) return;
    if (f == "GARPersonIdentifiant")
      r.id = std::move(t);
    else if (f == "GARPersonNom")
      r.last_name = std::move(t);
    else if (f == "GARPersonPrenom")
      r.first_name = std::move(t);
    else if (f == "GARPersonCivilite")
      r.civility = civility(t);
    else if (f == "GARPersonMail")
      r.emails.push_back(std::move(t));
    else if (f == "GARRespAffEtab")
      r.establishments.push_back(std::move(t));
  }

 public:
  std::string status_;  ///< GARGroupeStatut of the current GARGroupe

 private:
  std::optional<store::FeedRecord> record_;
  std::string pending_uai_;
  std::string pending_profile_;
};

/// What the schema cannot say: profile codes garde knows, a group status of DIVISION or GROUPE.
/// Returns the problem's message, or "" when the record is fine.
std::string checkRecord(store::FeedRecord& record, const std::string& status) {
  if (auto* p = std::get_if<store::FeedPerson>(&record)) {
    for (const auto& [uai, code] : p->profiles) {
      if (!policy::parseProfile(code)) {
        return "unknown profile '" + code + "' (GARPersonProfil)";
      }
    }
  } else if (auto* g = std::get_if<store::FeedGroup>(&record)) {
    if (status == "DIVISION") {
      g->division = true;
    } else if (status != "GROUPE") {
      return "GARGroupeStatut must be DIVISION or GROUPE, not '" + status + "'";
    }
  }
  return {};
}

std::uint32_t lineOf(xmlTextReader* reader) {
  // libxml2 keeps element lines in 16 bits (65535 means "at least"); past that, the parser's
  // line, a little ahead of the node (the reader parses in chunks), is the better answer.
  const xmlNode* node = xmlTextReaderCurrentNode(reader);
  const long line = node != nullptr ? xmlGetLineNo(node) : -1;
  if (line > 0 && line < 65535) {
    return static_cast<std::uint32_t>(line);
  }
  return static_cast<std::uint32_t>(std::max(xmlTextReaderGetParserLineNumber(reader), 0));
}

}  // namespace

std::string_view kindName(FeedKind kind) noexcept {
  switch (kind) {
    case FeedKind::kEleve:
      return "Eleve";
    case FeedKind::kEnseignant:
      return "Enseignant";
    case FeedKind::kEtab:
      return "Etab";
    case FeedKind::kGroupe:
      return "Groupe";
    case FeedKind::kRespAff:
      return "RespAff";
  }
  return "?";
}

core::Result<FeedFileSummary> parseFeedFile(std::string_view name, std::uint32_t file_index,
                                            const FeedRead& read, const FeedRecordSink& sink,
                                            std::vector<store::FeedProblem>& problem_list,
                                            const FeedLimits& limits, const SchemaSet* schemas) {
  FeedFileSummary summary;
  Problems problems;
  problems.out = &problem_list;
  problems.file = file_index;
  problems.max = limits.max_problems;

  // 1. The prolog, before libxml2 sees anything.
  Input input;
  input.read = &read;
  input.max_bytes = limits.max_file_bytes;
  Prolog prolog;
  {
    char chunk[4096];
    while (prolog.state == Prolog::State::kNeedMore) {
      if (input.head.size() > limits.max_prolog) {
        problems.add(
            1, core::ErrorCode::kLimitExceeded,
            "no root element in the first " + std::to_string(limits.max_prolog) + " bytes");
        return summary;
      }
      const long n = read(chunk, sizeof chunk);
      if (n < 0) {
        problems.add(0, core::ErrorCode::kStoreError, "the file cannot be read");
        return summary;
      }
      if (n == 0) {
        problems.add(1, core::ErrorCode::kMalformedMessage,
                     input.head.empty() ? "empty file" : "no root element");
        return summary;
      }
      input.head.append(chunk, static_cast<std::size_t>(n));
      input.total += static_cast<std::uint64_t>(n);
      prolog = scanProlog(input.head);
    }
  }
  if (prolog.state == Prolog::State::kForbidden) {
    problems.add(1, core::ErrorCode::kForbiddenXml, "refused: " + prolog.reason);
    return summary;
  }
  if (prolog.state == Prolog::State::kMalformed) {
    problems.add(1, core::ErrorCode::kMalformedMessage, prolog.reason);
    return summary;
  }
  const auto ns = rootNamespace(prolog.root_tag);
  if (ns == kNamespaceSecond) {
    summary.degree = Degree::kSecond;
  } else if (ns == kNamespacePrimary) {
    summary.degree = Degree::kPrimary;
  } else {
    problems.add(1, core::ErrorCode::kMalformedMessage,
                 "the root element is not in a GAR-ENT namespace (" +
                     std::string(kNamespaceSecond) + " or " + std::string(kNamespacePrimary) + ")");
    return summary;
  }
  xmlSchema* xsd = nullptr;
  if (schemas != nullptr) {
    xsd = schemas->get(*summary.degree);
    if (xsd == nullptr) {
      return core::fail(core::ErrorCode::kInternal, "an embedded GAR-ENT schema does not parse");
    }
  } else {
    GARDE_ASSIGN_OR_RETURN(xsd, schema(*summary.degree));
  }

  // 2. The reader: no DTD loading, no entity substitution, no network, no XInclude.
  const std::string url(name);
  ValidatingReader reader;
  GARDE_TRY(reader.open(readInput, closeInput, &input, url, xsd, onXmlError, &problems));

  // Local names from the root: the reader's own interned strings, valid as long as it is.
  std::vector<std::string_view> path;
  std::string text;
  RecordBuilder builder;
  std::uint32_t record_line = 0;
  bool stop = false;

  auto leafEnd = [&](int depth) {
    // depth 2: a field of the record; depth 3: a field of a child (GARPersonProfils).
    if (depth == 2) {
      builder.field("", path[2], std::move(text));
    } else if (depth == 3) {
      builder.field(path[2], path[3], std::move(text));
    }
    text.clear();
  };
  auto elementEnd = [&](int depth) -> core::Status {
    if (depth >= 2) {
      leafEnd(depth);
      if (depth == 2) {
        builder.endChild(path[2]);
      }
    } else if (depth == 1) {
      auto& record = builder.record();
      if (record && problems.count == 0) {
        const std::string bad = checkRecord(*record, builder.status_);
        if (!bad.empty()) {
          problems.add(record_line, core::ErrorCode::kMalformedMessage, bad);
        } else {
          if (++summary.records > limits.max_records) {
            problems.add(record_line, core::ErrorCode::kLimitExceeded,
                         "more than " + std::to_string(limits.max_records) + " records in a file");
            stop = true;
            return {};
          }
          GARDE_TRY(sink(std::move(*record), record_line));
        }
      }
      record.reset();
      builder.status_.clear();
    }
    return {};
  };

  int rc = 0;
  // After a cap or too many problems the rest of the file is read without looking at it (the
  // byte cap still holds), so that schema errors further on still reach the report.
  auto skipRest = [&] {
    while ((rc = xmlTextReaderRead(reader.get())) == 1) {
    }
  };
  while (!stop && !problems.full() && (rc = xmlTextReaderRead(reader.get())) == 1) {
    const int type = xmlTextReaderNodeType(reader.get());
    const int depth = xmlTextReaderDepth(reader.get());
    switch (type) {
      case XML_READER_TYPE_ELEMENT: {
        if (depth < 0 || static_cast<std::size_t>(depth) >= limits.max_depth) {
          problems.add(lineOf(reader.get()), core::ErrorCode::kLimitExceeded,
                       "elements nested deeper than " + std::to_string(limits.max_depth));
          stop = true;
          break;
        }
        const auto* local = xmlTextReaderConstLocalName(reader.get());
        const std::string_view local_name =
            local != nullptr ? reinterpret_cast<const char*>(local) : "";
        path.resize(static_cast<std::size_t>(depth));
        path.emplace_back(local_name);
        text.clear();
        if (depth == 0) {
          for (const Kind& k : kKinds) {
            if (local_name == k.root) {
              summary.kind = k.kind;
            }
          }
          if (!summary.kind) {
            problems.add(lineOf(reader.get()), core::ErrorCode::kMalformedMessage,
                         "the root element is not one of the five GAR-ENT kinds");
            stop = true;
          }
        } else if (depth == 1) {
          record_line = lineOf(reader.get());
          builder.start(local_name);
        }
        if (xmlTextReaderIsEmptyElement(reader.get()) == 1) {
          GARDE_TRY(elementEnd(depth));
        }
        break;
      }
      case XML_READER_TYPE_END_ELEMENT:
        GARDE_TRY(elementEnd(depth));
        break;
      case XML_READER_TYPE_TEXT:
      case XML_READER_TYPE_CDATA:
      case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
      case XML_READER_TYPE_WHITESPACE: {
        const auto* value = xmlTextReaderConstValue(reader.get());
        if (value != nullptr) {
          const std::size_t n = std::strlen(reinterpret_cast<const char*>(value));
          if (text.size() + n > limits.max_text) {
            problems.add(
                lineOf(reader.get()), core::ErrorCode::kLimitExceeded,
                "an element's text is longer than " + std::to_string(limits.max_text) + " bytes");
            stop = true;
            break;
          }
          text.append(reinterpret_cast<const char*>(value), n);
        }
        break;
      }
      case XML_READER_TYPE_COMMENT:
        break;
      case XML_READER_TYPE_DOCUMENT_TYPE:
      case XML_READER_TYPE_ENTITY_REFERENCE:
      case XML_READER_TYPE_ENTITY:
      case XML_READER_TYPE_PROCESSING_INSTRUCTION:
      case XML_READER_TYPE_NOTATION:
      default:
        problems.add(lineOf(reader.get()), core::ErrorCode::kForbiddenXml,
                     "refused: DOCTYPE, entity, notation or processing instruction");
        stop = true;
        break;
    }
  }
  const bool cut_short = stop || (problems.full() && rc == 1);
  if (cut_short && rc == 1) {
    skipRest();
  }
  if (rc == 0) {
    reader.reachedTheEnd();
  }
  if (input.over_limit) {
    problems.add(
        static_cast<std::uint32_t>(std::max(xmlTextReaderGetParserLineNumber(reader.get()), 0)),
        core::ErrorCode::kLimitExceeded,
        "the file is larger than " + std::to_string(limits.max_file_bytes) + " bytes");
  } else if (input.io_error) {
    problems.add(0, core::ErrorCode::kStoreError, "the file cannot be read to its end");
  } else if (rc < 0 && problems.count == 0) {
    problems.add(
        static_cast<std::uint32_t>(std::max(xmlTextReaderGetParserLineNumber(reader.get()), 0)),
        core::ErrorCode::kMalformedMessage, "XML: not well-formed");
  } else if (rc == 0 && problems.count == 0 && xmlTextReaderIsValid(reader.get()) != 1) {
    problems.add(
        static_cast<std::uint32_t>(std::max(xmlTextReaderGetParserLineNumber(reader.get()), 0)),
        core::ErrorCode::kMalformedMessage, "schema: the file is not valid");
  }
  summary.ok = rc == 0 && !cut_short && problems.count == 0;
  return summary;
}

core::Result<FeedFileSummary> parseFeedBytes(std::string_view name, std::string_view bytes,
                                             const FeedRecordSink& sink,
                                             std::vector<store::FeedProblem>& problems,
                                             const FeedLimits& limits) {
  std::size_t pos = 0;
  const FeedRead read = [&](char* buffer, std::size_t size) -> long {
    const std::size_t n = std::min(size, bytes.size() - pos);
    std::memcpy(buffer, bytes.data() + pos, n);
    pos += n;
    return static_cast<long>(n);
  };
  return parseFeedFile(name, 0, read, sink, problems, limits);
}

}  // namespace garde::connectors::feed
