// A contract document read strictly and written back (docs/contracts.md). Apart from the
// validation so that its fuzz target (fuzz/contract.cpp) links this file alone.
#include "broker/api/contract_document.h"

#include <boost/json.hpp>

#include <algorithm>
#include <set>

namespace garde::broker::api {
namespace {

constexpr std::size_t kMaxText = 200;            // names, titles
constexpr std::size_t kMaxJustification = 2000;  // a paragraph
constexpr std::size_t kMaxUrl = 2048;
constexpr std::size_t kMaxMetadata = 256 * 1024;
constexpr std::size_t kMaxNeeds = 64;  // per profile

bool publisherIdLike(std::string_view s) {
  if (s.size() != 26 || s[9] != '_') {
    return false;
  }
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i != 9 && (s[i] < '0' || s[i] > '9')) {
      return false;
    }
  }
  return true;
}

bool attributeCodeLike(std::string_view s) {
  return !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool categoryLike(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
  });
}

/// Printable, no control characters (a resource id is an ARK or a URL-like name).
bool resourceIdLike(std::string_view s) {
  return !s.empty() && s.size() <= 1024 && std::all_of(s.begin(), s.end(), [](char c) {
    return static_cast<unsigned char>(c) > 0x20 && c != 0x7f;
  });
}

/// No control characters (text shown in pages and listings).
bool plainText(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 && c != '\n' && c != '\t';
  });
}

/// https://host[:port][/...] with a host and nothing a browser would read differently.
bool httpsUrl(std::string_view s) {
  constexpr std::string_view kScheme = "https://";
  if (s.size() > kMaxUrl || s.size() <= kScheme.size() || s.substr(0, kScheme.size()) != kScheme) {
    return false;
  }
  const std::string_view rest = s.substr(kScheme.size());
  const std::size_t host_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, host_end);
  if (authority.empty() || authority.find('@') != std::string_view::npos ||
      authority.front() == ':') {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f && c != '\\' && c != '"' && c != '<' && c != '>';
  });
}

class Reader {
 public:
  explicit Reader(std::vector<ContractProblem>& problems) : problems_(problems) {}

  void error(std::string field, std::string code, std::string message) {
    problems_.push_back({ContractProblem::Severity::kError, std::move(field), std::move(code),
                         std::move(message)});
  }

  /// Refuses the fields of `o` outside `known`.
  void onlyKnown(const boost::json::object& o, const std::string& where,
                 std::initializer_list<std::string_view> known) {
    for (const auto& [key, value] : o) {
      if (std::find(known.begin(), known.end(), std::string_view(key)) == known.end()) {
        error(join(where, std::string(key)), "unknown_field", "not a field of a contract");
      }
    }
  }

  /// A string field: required or not, 1..max characters, no control characters.
  std::optional<std::string> text(const boost::json::object& o, const std::string& where,
                                  std::string_view name, std::size_t max, bool required) {
    const std::string field = join(where, std::string(name));
    const auto* v = o.if_contains(name);
    if (v == nullptr || v->is_null()) {
      if (required) {
        error(field, "missing", "required");
      }
      return std::nullopt;
    }
    if (!v->is_string()) {
      error(field, "not_a_string", "must be a string");
      return std::nullopt;
    }
    const std::string_view s = v->as_string();
    if (s.empty() || s.size() > max) {
      error(field, "bad_length", "1 to " + std::to_string(max) + " characters");
      return std::nullopt;
    }
    if (!plainText(s)) {
      error(field, "control_character", "must not contain control characters");
      return std::nullopt;
    }
    return std::string(s);
  }

  static std::string join(const std::string& where, const std::string& name) {
    return where.empty() ? name : where + "." + name;
  }

 private:
  std::vector<ContractProblem>& problems_;
};

void readNeeds(Reader& in, const boost::json::value* v, const std::string& where,
               store::ContractResource& out) {
  if (v == nullptr || !v->is_object() || v->as_object().empty()) {
    in.error(where, "no_needs",
             "an object: for each profile served, the attributes it needs (may be empty arrays)");
    return;
  }
  for (const auto& [key, list] : v->as_object()) {
    const std::string at = where + "." + std::string(key);
    const auto profile = policy::parseProfile(key);
    if (!profile) {
      in.error(at, "unknown_profile", "not a profile code (National_elv, National_ens, ...)");
      continue;
    }
    if (!list.is_array() || list.as_array().size() > kMaxNeeds) {
      in.error(at, "bad_needs", "an array of at most " + std::to_string(kMaxNeeds) + " needs");
      continue;
    }
    auto& declared = out.needs[*profile];
    std::set<std::string> seen;
    std::size_t i = 0;
    for (const auto& need : list.as_array()) {
      const std::string n = at + "[" + std::to_string(i++) + "]";
      if (!need.is_object()) {
        in.error(n, "bad_need", "{\"attribute\": CODE, \"justification\": why}");
        continue;
      }
      const auto& o = need.as_object();
      in.onlyKnown(o, n, {"attribute", "justification"});
      const auto* code = o.if_contains("attribute");
      if (code == nullptr || !code->is_string() || !attributeCodeLike(code->as_string())) {
        in.error(n + ".attribute", "bad_attribute", "an attribute code of the catalogue (IDO, ...)");
        continue;
      }
      const std::string c(code->as_string());
      if (!seen.insert(c).second) {
        in.error(n + ".attribute", "duplicate_attribute", c + " is declared twice for this profile");
        continue;
      }
      const auto* why = o.if_contains("justification");
      if (why == nullptr || why->is_null() ||
          (why->is_string() && why->as_string().find_first_not_of(" \t\n") ==
                                   boost::json::string_view::npos)) {
        in.error(n + ".justification", "need_without_justification",
                 "every attribute needs a written justification");
        continue;
      }
      auto justification = in.text(o, n, "justification", kMaxJustification, true);
      if (justification) {
        declared.push_back({c, std::move(*justification)});
      }
    }
  }
}

void readResource(Reader& in, const boost::json::value& v, const std::string& where,
                  const std::string& publisher_id, store::ContractResource& out) {
  if (!v.is_object()) {
    in.error(where, "bad_resource", "an object");
    return;
  }
  const auto& o = v.as_object();
  in.onlyKnown(o, where,
               {"id", "title", "category", "url", "login_url", "launch_mode", "logo", "needs"});
  auto& r = out.resource;
  r.publisher_id = publisher_id;
  if (auto id = in.text(o, where, "id", 1024, true)) {
    if (resourceIdLike(*id)) {
      r.id = std::move(*id);
    } else {
      in.error(where + ".id", "bad_resource_id", "an ARK or another identifier without spaces");
    }
  }
  if (auto title = in.text(o, where, "title", kMaxText, true)) {
    r.name = std::move(*title);
  }
  if (auto category = in.text(o, where, "category", 64, true)) {
    if (categoryLike(*category)) {
      r.category = std::move(*category);
    } else {
      in.error(where + ".category", "bad_category", "letters, digits, '_' and '-'");
    }
  }
  const auto url = [&](std::string_view name, bool required) -> std::optional<std::string> {
    auto u = in.text(o, where, name, kMaxUrl, required);
    if (u && !httpsUrl(*u)) {
      in.error(Reader::join(where, std::string(name)), "not_https",
               "an https:// URL with a host");
      return std::nullopt;
    }
    return u;
  };
  if (auto u = url("url", true)) {
    r.url = std::move(*u);
  }
  r.login_url = url("login_url", false);
  r.logo_url = url("logo", false);
  if (auto mode = in.text(o, where, "launch_mode", 16, false)) {
    const auto m = policy::parseLaunchMode(*mode);
    if (m) {
      r.launch_mode = *m;
    } else {
      in.error(where + ".launch_mode", "bad_launch_mode", "\"bounce\" or \"direct\"");
    }
  }
  readNeeds(in, o.if_contains("needs"), where + ".needs", out);
}

}  // namespace

bool ParsedContract::hasErrors() const {
  return std::any_of(problems.begin(), problems.end(), [](const ContractProblem& p) {
    return p.severity == ContractProblem::Severity::kError;
  });
}

ParsedContract parseContractDocument(std::string_view json, std::size_t max_resources) {
  ParsedContract out;
  Reader in(out.problems);
  boost::json::parse_options options;
  options.max_depth = 8;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(json, ec, {}, options);
  if (ec || !v.is_object()) {
    in.error("", "not_json", "the contract is not a JSON object");
    return out;
  }
  const auto& o = v.as_object();
  in.onlyKnown(o, "", {"publisher", "sp_metadata", "resources", "comment"});
  auto& doc = out.doc;
  const auto* publisher = o.if_contains("publisher");
  if (publisher == nullptr || !publisher->is_object()) {
    in.error("publisher", "missing", "{\"id\": SIREN_ISNI, \"name\": ...}");
  } else {
    const auto& p = publisher->as_object();
    in.onlyKnown(p, "publisher", {"id", "name"});
    if (auto id = in.text(p, "publisher", "id", 26, true)) {
      if (publisherIdLike(*id)) {
        doc.publisher_id = std::move(*id);
      } else {
        in.error("publisher.id", "bad_publisher_id", "SIREN_ISNI: 9 digits, '_', 16 digits");
      }
    }
    if (auto name = in.text(p, "publisher", "name", kMaxText, true)) {
      doc.publisher_name = std::move(*name);
    }
  }
  if (auto md = in.text(o, "", "sp_metadata", kMaxMetadata, true)) {
    doc.sp_metadata_xml = std::move(*md);
  }
  if (auto comment = in.text(o, "", "comment", kMaxJustification, false)) {
    doc.comment = std::move(*comment);
  }
  const auto* resources = o.if_contains("resources");
  if (resources == nullptr || !resources->is_array() || resources->as_array().empty() ||
      resources->as_array().size() > max_resources) {
    in.error("resources", "no_resources",
             "an array of 1 to " + std::to_string(max_resources) + " resources");
    return out;
  }
  std::set<std::string> ids;
  std::size_t i = 0;
  for (const auto& r : resources->as_array()) {
    const std::string where = "resources[" + std::to_string(i++) + "]";
    store::ContractResource resource;
    readResource(in, r, where, doc.publisher_id, resource);
    if (!resource.resource.id.empty() && !ids.insert(resource.resource.id).second) {
      in.error(where + ".id", "duplicate_resource", "the same resource appears twice");
      continue;
    }
    doc.resources.push_back(std::move(resource));
  }
  return out;
}

std::string contractDocumentJson(const store::ContractDocument& doc) {
  boost::json::array resources;
  for (const auto& r : doc.resources) {
    boost::json::object needs;
    for (const auto& [profile, declared] : r.needs) {
      boost::json::array list;
      for (const auto& d : declared) {
        list.push_back({{"attribute", d.code}, {"justification", d.justification}});
      }
      needs[policy::profileCode(profile)] = std::move(list);
    }
    boost::json::object o{{"id", r.resource.id},
                          {"title", r.resource.name},
                          {"category", r.resource.category},
                          {"url", r.resource.url},
                          {"launch_mode", policy::launchModeCode(r.resource.launch_mode)},
                          {"needs", std::move(needs)}};
    if (r.resource.login_url) o["login_url"] = *r.resource.login_url;
    if (r.resource.logo_url) o["logo"] = *r.resource.logo_url;
    resources.push_back(std::move(o));
  }
  boost::json::object out{{"publisher", {{"id", doc.publisher_id}, {"name", doc.publisher_name}}},
                          {"sp_metadata", doc.sp_metadata_xml},
                          {"resources", std::move(resources)}};
  if (!doc.comment.empty()) out["comment"] = doc.comment;
  return boost::json::serialize(out);
}

void appendProblems(boost::json::array& out, const std::vector<ContractProblem>& problems,
                    std::optional<ContractProblem::Severity> only) {
  for (const auto& p : problems) {
    if (only && p.severity != *only) {
      continue;
    }
    out.push_back({{"severity", p.severity == ContractProblem::Severity::kError ? "error" : "flag"},
                   {"field", p.field},
                   {"code", p.code},
                   {"message", p.message}});
  }
}

}  // namespace garde::broker::api
