// metadata_gen: a signed federation aggregate (md:EntitiesDescriptor) of any size, for the
// metadata source benchmark (scripts/bench-metadata, bench/README.md "Metadata aggregates").
//
//   metadata_gen --out FILE --entities N --signer-cert PEM [--signer-key PEM]
//                [--include ENTITY.xml]... [--serial S] [--valid-days 10] [--cache PT6H]
//                [--idp-percent 20] [--certs 8]
//       Writes an EntitiesDescriptor of N generated entities (plus those of --include), with a
//       root validUntil = now + --valid-days (garde's sources accept at most 14 days by default)
//       and cacheDuration = --cache, signed (enveloped, RSA-SHA256) with the signer's RSA-2048 key.
//       The signer's key and certificate are read from --signer-key / --signer-cert when both
//       exist, made and written there otherwise (so that two versions of an aggregate are signed
//       by the one key a source pins). --signer-key defaults to the certificate's path with
//       ".key" for its extension.
//   metadata_gen parse FILE --cert PEM [--repeat 3]
//       Times what a registry load does with a source's last good copy (SourceDocuments):
//       saml::parseMetadata with the pinned signer, validUntil required. Prints one PARSE line:
//       the bare XML parse (parseUntrusted), the whole parse + signature check + reading of the
//       entities, their CPU time, the process's peak resident set.
//
// The entities: a share --idp-percent of IdPs (IDPSSODescriptor: SSO over HTTP-Redirect and
// HTTP-POST, SLO, persistent and transient NameID formats), the others SPs (SPSSODescriptor:
// WantAssertionsSigned, an ACS over HTTP-POST and one over HTTP-Artifact, SLO, NameID formats).
// One in three has two certificates (a key rollover for IdPs; a signing and an encryption key
// for SPs), the others one key without a use. Every entity has an Organization (name, display
// name, URL, in French and English) and a technical ContactPerson, as federations require. The
// certificates are RSA-2048, drawn from a pool of --certs made at start (key generation would
// otherwise take most of the time; the parser reads and checks each certificate all the same).
// Each entity is written by saml::generateMetadata, as garde writes its own metadata and as the
// tests build an aggregate (tests/broker/metadata_sources_test.cpp, signedAggregate), the
// Organization and ContactPerson added to its text. --serial S puts S in the root's ID and Name
// and in the first entity's ACS URL, so that two serials are two different documents.
//
// --include FILE adds the md:EntityDescriptor of FILE as it is (e.g. publisher B's SP metadata
// from `launch_load setup`), so that a real peer of the bench can be bound to the aggregate.

#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/file.h"
#include "core/time.h"
#include "saml/keys.h"
#include "saml/messages.h"
#include "saml/metadata.h"
#include "saml/signature.h"
#include "saml/xml.h"
#include "support/credentials.h"

namespace garde::bench {
namespace {

[[noreturn]] void die(const std::string& what) {
  std::cerr << "metadata_gen: " << what << "\n";
  std::exit(2);
}

[[noreturn]] void usage() {
  std::cerr << "usage: metadata_gen --out FILE --entities N --signer-cert PEM [--signer-key PEM]\n"
               "                    [--include ENTITY.xml]... [--serial S] [--valid-days 10]\n"
               "                    [--cache PT6H] [--idp-percent 20] [--certs 8]\n"
               "       metadata_gen parse FILE --cert PEM [--repeat 3]\n";
  std::exit(2);
}

void writeWholeFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) {
    die("cannot write " + path);
  }
}

std::string readWholeFile(const std::string& path) {
  auto text = core::readFile(path);
  if (!text) {
    die(path + ": " + text.error().describe());
  }
  return std::move(text).value();
}

double seconds(std::chrono::steady_clock::time_point from) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - from).count();
}

double cpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

long peakRssKb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;  // KB on Linux
}

long currentRssKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::strtol(line.c_str() + 6, nullptr, 10);
    }
  }
  return 0;
}

// ---- Generating -----------------------------------------------------------------------------

struct GenOptions {
  std::string out;
  long entities = 0;
  std::string signer_cert;
  std::string signer_key;
  std::vector<std::string> includes;
  std::string serial = "1";
  long valid_days = 10;
  std::string cache = "PT6H";
  int idp_percent = 20;
  int certs = 8;
};

saml::Credential signer(const GenOptions& o) {
  if (std::filesystem::exists(o.signer_cert) && std::filesystem::exists(o.signer_key)) {
    auto read = test::readCredential(o.signer_key, o.signer_cert);
    if (!read) {
      die("signer: " + read.error().describe());
    }
    return std::move(read).value();
  }
  saml::Credential made = test::makeCredential("metadata signer.federation.bench",
                                               saml::KeyType::kRsa, core::systemNow() - 86400);
  writeWholeFile(o.signer_key, made.key.pem());
  std::filesystem::permissions(o.signer_key, std::filesystem::perms::owner_read |
                                                 std::filesystem::perms::owner_write);
  writeWholeFile(o.signer_cert, made.cert.pem());
  return made;
}

saml::Endpoint endpoint(std::string_view binding, std::string location,
                        std::optional<int> index = std::nullopt,
                        std::optional<bool> is_default = std::nullopt) {
  return saml::Endpoint{std::string(binding), std::move(location), "", index, is_default};
}

/// Entity i of the aggregate, as its text (an md:EntityDescriptor with its own namespaces).
std::string entityXml(long i, const GenOptions& o, const std::vector<saml::Certificate>& pool) {
  char number[24];
  std::snprintf(number, sizeof number, "%06ld", i);
  const bool idp = (i % 100) < o.idp_percent;
  const bool two_keys = i % 3 == 0;
  const std::string host = std::string(idp ? "idp-" : "sp-") + number + ".members.federation.bench";
  const std::string base = "https://" + host;
  const saml::Certificate& first = pool[static_cast<std::size_t>(i) % pool.size()];
  const saml::Certificate& second = pool[static_cast<std::size_t>(i + 1) % pool.size()];
  const std::vector<std::string> formats = {std::string(saml::name_id_format::kPersistent),
                                            std::string(saml::name_id_format::kTransient)};

  saml::EntityDescriptor e;
  if (idp) {
    e.entity_id = base + "/idp/shibboleth";
    saml::IdpSsoDescriptor d;
    if (two_keys) {  // a rollover: the current key and the next one, both for signing
      d.keys.push_back({saml::KeyUse::kSigning, first, {}});
      d.keys.push_back({saml::KeyUse::kSigning, second, {}});
    } else {
      d.keys.push_back({saml::KeyUse::kUnspecified, first, {}});
    }
    d.sso.push_back(endpoint(saml::binding::kHttpRedirect, base + "/idp/profile/SAML2/Redirect/SSO"));
    d.sso.push_back(endpoint(saml::binding::kHttpPost, base + "/idp/profile/SAML2/POST/SSO"));
    d.slo.push_back(endpoint(saml::binding::kHttpRedirect, base + "/idp/profile/SAML2/Redirect/SLO"));
    d.name_id_formats = formats;
    e.idp = d;
  } else {
    e.entity_id = base + "/shibboleth";
    saml::SpSsoDescriptor d;
    if (two_keys) {
      d.keys.push_back({saml::KeyUse::kSigning, first, {}});
      d.keys.push_back({saml::KeyUse::kEncryption, second, {}});
    } else {
      d.keys.push_back({saml::KeyUse::kUnspecified, first, {}});
    }
    d.want_assertions_signed = true;
    std::string acs = base + "/Shibboleth.sso/SAML2/POST";
    if (i == 0) {
      acs += "?serial=" + o.serial;
    }
    d.acs.push_back(endpoint(saml::binding::kHttpPost, acs, 0, true));
    d.acs.push_back(endpoint(saml::binding::kHttpArtifact, base + "/Shibboleth.sso/SAML2/Artifact", 1));
    d.slo.push_back(endpoint(saml::binding::kHttpRedirect, base + "/Shibboleth.sso/SLO/Redirect"));
    d.name_id_formats = formats;
    e.sp = d;
  }
  auto doc = saml::generateMetadata(e);
  if (!doc) {
    die("generateMetadata: " + doc.error().describe());
  }
  std::string xml = saml::serializeNode(xmlDocGetRootElement(doc->get()));
  // md:Organization and md:ContactPerson come after the roles (SAML2 Metadata 2.3.2).
  const std::string name = std::string(idp ? "Établissement membre " : "Service membre ") + number;
  const std::string extra =
      "<md:Organization>"
      "<md:OrganizationName xml:lang=\"fr\">" + name + "</md:OrganizationName>"
      "<md:OrganizationName xml:lang=\"en\">Member " + number + "</md:OrganizationName>"
      "<md:OrganizationDisplayName xml:lang=\"fr\">" + name + "</md:OrganizationDisplayName>"
      "<md:OrganizationDisplayName xml:lang=\"en\">Member " + number + "</md:OrganizationDisplayName>"
      "<md:OrganizationURL xml:lang=\"fr\">https://www." + host + "/</md:OrganizationURL>"
      "</md:Organization>"
      "<md:ContactPerson contactType=\"technical\"><md:GivenName>Support</md:GivenName>"
      "<md:EmailAddress>mailto:support@" + host + "</md:EmailAddress></md:ContactPerson>";
  const auto close = xml.rfind("</");
  if (close == std::string::npos || xml.find("md:EntityDescriptor", close) == std::string::npos) {
    die("generateMetadata wrote an unexpected closing tag: " + xml.substr(xml.size() - 40));
  }
  xml.insert(close, extra);
  return xml;
}

/// The md:EntityDescriptor of an included file, without its XML declaration.
std::string includedEntity(const std::string& path) {
  const std::string text = readWholeFile(path);
  auto doc = saml::parseUntrusted(text, saml::kMetadataLimits);
  if (!doc) {
    die(path + ": " + doc.error().describe());
  }
  const xmlNode* root = xmlDocGetRootElement(doc->get());
  if (root == nullptr || std::string_view(reinterpret_cast<const char*>(root->name)) != "EntityDescriptor") {
    die(path + ": the root is not an md:EntityDescriptor");
  }
  return saml::serializeNode(root);
}

int runGenerate(const GenOptions& o) {
  const auto started = std::chrono::steady_clock::now();
  const saml::Credential sign_with = signer(o);
  std::vector<saml::Certificate> pool;
  const core::UnixTime now = core::systemNow();
  for (int k = 0; k < o.certs; ++k) {
    const std::string cn = "member-key-" + std::to_string(k) + ".federation.bench";
    pool.push_back(test::makeCredential(cn.c_str(), saml::KeyType::kRsa, now - 86400).cert);
  }
  const double keys_s = seconds(started);

  const auto build_started = std::chrono::steady_clock::now();
  const core::UnixTime valid_until = now + o.valid_days * 86400;
  std::string xml =
      "<md:EntitiesDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" ID=\"_bench-aggregate-" +
      o.serial + "\" Name=\"urn:bench:federation:" + o.serial + "\" validUntil=\"" +
      core::formatIso8601(valid_until) + "\" cacheDuration=\"" + o.cache + "\">";
  for (const std::string& path : o.includes) {
    xml += includedEntity(path);
  }
  for (long i = 0; i < o.entities; ++i) {
    xml += entityXml(i, o, pool);
  }
  xml += "</md:EntitiesDescriptor>";
  // Generous limits to sign it: the document may be bigger than garde accepts (kMetadataLimits,
  // 64 MiB), and the bench wants to see garde refuse it rather than not have it.
  const saml::ParseLimits generous{std::size_t{1} << 31, 64, 500'000'000};
  auto doc = saml::parseUntrusted(xml, generous);
  if (!doc) {
    die("the aggregate does not parse: " + doc.error().describe());
  }
  xml.clear();
  xml.shrink_to_fit();
  if (auto signed_ = saml::signElement(xmlDocGetRootElement(doc->get()), sign_with); !signed_) {
    die("signElement: " + signed_.error().describe());
  }
  const std::string out = saml::serialize(doc->get());
  writeWholeFile(o.out, out);
  const long entities = o.entities + static_cast<long>(o.includes.size());
  std::cout << "GENERATED file=" << o.out << " entities=" << entities << " bytes=" << out.size()
            << " bytes_per_entity=" << out.size() / static_cast<std::size_t>(std::max(1L, entities))
            << " over_64MiB_cap=" << (out.size() > saml::kMetadataLimits.max_bytes ? 1 : 0)
            << " valid_until=" << core::formatIso8601(valid_until) << " cache=" << o.cache
            << " serial=" << o.serial << " keys_s=" << keys_s << " build_sign_s="
            << seconds(build_started) << " peak_rss_kb=" << peakRssKb() << "\n";
  return 0;
}

// ---- Timing a registry load's parse ---------------------------------------------------------

int runParse(const std::string& file, const std::string& cert_file, int repeat) {
  const long rss_start = currentRssKb();
  const std::string xml = readWholeFile(file);
  auto signers = saml::certificatesFromPemBundle(readWholeFile(cert_file));
  if (!signers) {
    die(cert_file + ": " + signers.error().describe());
  }
  saml::MetadataOptions options;
  options.trusted = *signers;
  options.now = core::systemNow();
  options.require_valid_until = true;
  std::vector<double> bare_ms, full_ms, full_cpu_ms;
  std::size_t entities = 0;
  for (int r = 0; r < repeat; ++r) {
    {
      const auto t = std::chrono::steady_clock::now();
      auto doc = saml::parseUntrusted(xml, saml::kMetadataLimits);
      if (!doc) {
        die("parseUntrusted: " + doc.error().describe());
      }
      bare_ms.push_back(1000 * seconds(t));
    }
    const auto t = std::chrono::steady_clock::now();
    const double cpu = cpuSeconds();
    auto parsed = saml::parseMetadata(xml, options);
    if (!parsed) {
      die("parseMetadata: " + parsed.error().describe());
    }
    full_ms.push_back(1000 * seconds(t));
    full_cpu_ms.push_back(1000 * (cpuSeconds() - cpu));
    entities = parsed->size();
  }
  const auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::cout << "PARSE file=" << file << " entities=" << entities << " bytes=" << xml.size()
            << " repeat=" << repeat << " xml_parse_ms=" << median(bare_ms)
            << " parse_verify_read_ms=" << median(full_ms)
            << " parse_verify_read_cpu_ms=" << median(full_cpu_ms)
            << " min_ms=" << *std::min_element(full_ms.begin(), full_ms.end())
            << " rss_start_kb=" << rss_start << " peak_rss_kb=" << peakRssKb() << "\n";
  return 0;
}

int run(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "parse") {
    if (args.size() < 2) {
      usage();
    }
    std::string cert;
    int repeat = 3;
    for (std::size_t i = 2; i < args.size(); ++i) {
      if (args[i] == "--cert" && i + 1 < args.size()) {
        cert = args[++i];
      } else if (args[i] == "--repeat" && i + 1 < args.size()) {
        repeat = std::max(1, std::stoi(args[++i]));
      } else {
        usage();
      }
    }
    if (cert.empty()) {
      usage();
    }
    return runParse(args[1], cert, repeat);
  }
  GenOptions o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (i + 1 >= args.size()) {
      usage();
    }
    const std::string v = args[++i];
    if (a == "--out") {
      o.out = v;
    } else if (a == "--entities") {
      o.entities = std::stol(v);
    } else if (a == "--signer-cert") {
      o.signer_cert = v;
    } else if (a == "--signer-key") {
      o.signer_key = v;
    } else if (a == "--include") {
      o.includes.push_back(v);
    } else if (a == "--serial") {
      o.serial = v;
    } else if (a == "--valid-days") {
      o.valid_days = std::stol(v);
    } else if (a == "--cache") {
      o.cache = v;
    } else if (a == "--idp-percent") {
      o.idp_percent = std::stoi(v);
    } else if (a == "--certs") {
      o.certs = std::max(1, std::stoi(v));
    } else {
      usage();
    }
  }
  if (o.out.empty() || o.signer_cert.empty() || o.entities < 0 ||
      (o.entities == 0 && o.includes.empty())) {
    usage();
  }
  if (o.serial.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
      std::string::npos) {
    die("--serial: letters, digits, '-', '_' and '.' only (it goes into an XML ID)");
  }
  if (o.signer_key.empty()) {
    o.signer_key = std::filesystem::path(o.signer_cert).replace_extension(".key").string();
  }
  return runGenerate(o);
}

}  // namespace
}  // namespace garde::bench

int main(int argc, char** argv) {
  const garde::saml::LibraryGuard guard;
  try {
    return garde::bench::run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "metadata_gen: " << e.what() << "\n";
    return 2;
  }
}
