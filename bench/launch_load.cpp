// launch_load: a load generator for complete launches against a running broker over loopback.
//
//   launch_load setup --dir DIR
//       Makes the ENT IdP's key, certificate and metadata (saml::generateMetadata) and publisher
//       B's SP metadata, for `garde store seed-demo` (scripts/bench-launch does it all).
//   launch_load run --base http://127.0.0.1:PORT --dir DIR [--clients N] [--duration 20s]
//       [--warmup 3s] [--rate R] [--launches M] [--broker-pid PID] [--soak [--round 60s]]
//
// A launch is the direct launch of docs/flows.md ("Driving it without a browser"): GET /launch
// for resource B, then the ENT's Response POSTed to /saml/sp/acs. Everything that is not the
// broker's work happens before the timed run (the pre-phase): the GETs (the broker signs its
// AuthnRequest to the ENT there), reading the AuthnRequest ID and the sealed RelayState, building
// and signing the ENT's Response (fresh Response and Assertion IDs each), and the whole HTTP
// request bytes. The timed run only writes those bytes on keep-alive connections and checks for a
// 200 carrying the POST form to publisher B's ACS. Transactions last 10 minutes and the replay
// cache holds assertion IDs, so the pre-phase prepares only what the run needs: a calibration burst
// measures the rate, then rate * (warmup + duration) * 1.5 launches are prepared.
//
// Plain HTTP/1.1 over blocking POSIX sockets, one connection per client thread: no TLS (the broker
// runs with plain_http_loopback, as behind a TLS-terminating proxy), no Beast/Asio in bench/.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/encoding.h"
#include "core/random.h"
#include "core/time.h"
#include "saml/binding/deflate.h"
#include "saml/binding/redirect.h"
#include "saml/keys.h"
#include "saml/messages.h"
#include "saml/metadata.h"
#include "saml/signature.h"
#include "saml/xml.h"
#include "support/credentials.h"
#include "support/saml_builders.h"

namespace garde::bench {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::duration;

// The peers the load generator plays. Their URLs are never contacted: the generator reads the
// broker's redirects instead of following them.
constexpr const char* kEntEntityId = "http://127.0.0.1:9/ent/idp";
constexpr const char* kEntSsoUrl = "http://127.0.0.1:9/ent/sso";
constexpr const char* kPublisherBEntityId = "http://127.0.0.1:9/edition-b/sp/metadata";
constexpr const char* kPublisherBBaseUrl = "http://127.0.0.1:9/edition-b";
constexpr const char* kPublisherBAcsUrl = "http://127.0.0.1:9/edition-b/acs";
constexpr const char* kEnt = "ENTTEST1";
constexpr const char* kUai = "0561534N";
constexpr const char* kResourcePath = "/launch/ark:%2F49591%2Fdemo.outil.b";
constexpr const char* kPupil = "elv-0001";

[[noreturn]] void die(const std::string& what) {
  std::cerr << "launch_load: " << what << "\n";
  std::exit(2);
}

void writeWholeFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) {
    die("cannot write " + path);
  }
}

/// "20s", "500ms", "10m", "20" (seconds) -> seconds.
double parseDuration(const std::string& text) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    die("bad duration: " + text);
  }
  const std::string unit = text.substr(used);
  if (unit.empty() || unit == "s") {
    return value;
  }
  if (unit == "ms") {
    return value / 1000;
  }
  if (unit == "m") {
    return value * 60;
  }
  die("bad duration unit: " + text);
}

// ---- A small blocking HTTP/1.1 client ---------------------------------------------------------

struct HttpReply {
  int status = 0;                              ///< 0: connection or protocol error (see `error`)
  std::map<std::string, std::string> headers;  ///< lower-case names; repeated ones joined by '\n'
  std::string body;
  std::string error;
};

/// One keep-alive connection to 127.0.0.1:port. Reconnects when the server closed it. Not
/// thread-safe: one per thread.
class HttpConnection {
 public:
  explicit HttpConnection(std::uint16_t port) : port_(port) {}
  ~HttpConnection() { closeSocket(); }
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  /// Sends `request` (complete bytes) and reads one response. One retry on a fresh connection if
  /// a reused one turns out closed before any byte of the answer.
  HttpReply exchange(const std::string& request) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      const bool reused = fd_ >= 0;
      if (fd_ < 0 && !connectSocket()) {
        return HttpReply{0, {}, {}, "connect: " + std::string(std::strerror(errno))};
      }
      if (!sendAll(request)) {
        closeSocket();
        if (reused) {
          continue;
        }
        return HttpReply{0, {}, {}, "send: " + std::string(std::strerror(errno))};
      }
      bool got_bytes = false;
      HttpReply reply = readReply(got_bytes);
      if (reply.status == 0) {
        closeSocket();
        if (reused && !got_bytes) {
          continue;
        }
      }
      return reply;
    }
    return HttpReply{0, {}, {}, "connection closed twice"};
  }

 private:
  bool connectSocket() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      return false;
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval timeout{30, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      closeSocket();
      return false;
    }
    buffer_.clear();
    return true;
  }

  void closeSocket() {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

  bool sendAll(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        return false;
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  /// Appends what the socket has to buffer_; false on EOF or error.
  bool fill() {
    char chunk[16384];
    for (;;) {
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        return false;
      }
      buffer_.append(chunk, static_cast<std::size_t>(n));
      return true;
    }
  }

  HttpReply readReply(bool& got_bytes) {
    HttpReply reply;
    std::size_t header_end = std::string::npos;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) {
        reply.error = buffer_.empty() ? "connection closed" : "truncated header";
        got_bytes = !buffer_.empty();
        return reply;
      }
      got_bytes = true;
    }
    got_bytes = true;
    const std::string head = buffer_.substr(0, header_end);
    buffer_.erase(0, header_end + 4);
    std::istringstream lines(head);
    std::string line;
    std::getline(lines, line);
    if (line.rfind("HTTP/1.", 0) != 0 || line.size() < 12) {
      reply.error = "bad status line";
      return reply;
    }
    const int status = std::atoi(line.c_str() + 9);
    while (std::getline(lines, line)) {
      if (!line.empty() && line.back() == '\r') {
        line.pop_back();
      }
      const auto colon = line.find(':');
      if (colon == std::string::npos) {
        continue;
      }
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      std::string& slot = reply.headers[name];
      slot = slot.empty() ? value : slot + "\n" + value;  // several Set-Cookie lines
    }
    const bool close = reply.headers["connection"] == "close";
    if (auto it = reply.headers.find("content-length"); it != reply.headers.end()) {
      const std::size_t length = std::stoul(it->second);
      while (buffer_.size() < length) {
        if (!fill()) {
          reply.error = "truncated body";
          return reply;
        }
      }
      reply.body = buffer_.substr(0, length);
      buffer_.erase(0, length);
    } else if (reply.headers["transfer-encoding"].find("chunked") != std::string::npos) {
      for (;;) {
        std::size_t eol;
        while ((eol = buffer_.find("\r\n")) == std::string::npos) {
          if (!fill()) {
            reply.error = "truncated chunk";
            return reply;
          }
        }
        const std::size_t size = std::stoul(buffer_.substr(0, eol), nullptr, 16);
        while (buffer_.size() < eol + 2 + size + 2) {
          if (!fill()) {
            reply.error = "truncated chunk";
            return reply;
          }
        }
        reply.body.append(buffer_, eol + 2, size);
        buffer_.erase(0, eol + 2 + size + 2);
        if (size == 0) {
          break;  // no trailers from the broker
        }
      }
    } else if (close) {
      while (fill()) {
      }
      reply.body = std::move(buffer_);
      buffer_.clear();
    }
    reply.status = status;
    if (close) {
      closeSocket();
    }
    return reply;
  }

  std::uint16_t port_;
  int fd_ = -1;
  std::string buffer_;
};

std::string getRequest(std::string_view target, std::uint16_t port) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
         "\r\nUser-Agent: garde-launch-load\r\n\r\n";
}

/// The "name=value" of cookie `name` among Set-Cookie lines ('\n'-separated); empty if absent.
std::string cookieFrom(const std::string& set_cookie_lines, std::string_view name) {
  std::istringstream lines(set_cookie_lines);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(std::string(name) + "=", 0) == 0) {
      return line.substr(0, line.find(';'));
    }
  }
  return {};
}

std::string postRequest(std::string_view target, std::uint16_t port, std::string_view body,
                        std::string_view cookie) {
  return "POST " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
         "\r\nUser-Agent: garde-launch-load\r\nContent-Type: application/x-www-form-urlencoded" +
         (cookie.empty() ? std::string() : "\r\nCookie: " + std::string(cookie)) +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

/// GET /launch of resource B for the demo pupil's ENT and establishment (direct launch).
std::string launchRequest(std::uint16_t port) {
  return getRequest(std::string(kResourcePath) + "?ent=" + kEnt + "&uai=" + kUai, port);
}

// ---- The peers' keys and metadata (setup) -------------------------------------------------------

struct Paths {
  std::string ent_key, ent_cert, ent_metadata, publisher_b_metadata;
  explicit Paths(const std::string& dir)
      : ent_key(dir + "/ent-idp.key"),
        ent_cert(dir + "/ent-idp.crt"),
        ent_metadata(dir + "/ent-idp-metadata.xml"),
        publisher_b_metadata(dir + "/publisher-b-metadata.xml") {}
};

std::string metadataXml(const saml::EntityDescriptor& entity) {
  auto doc = saml::generateMetadata(entity);
  if (!doc) {
    die("generateMetadata: " + doc.error().describe());
  }
  return saml::serialize(doc->get());
}

int runSetup(const std::string& dir) {
  const Paths paths(dir);
  const core::UnixTime now = core::systemNow();
  // The ENT IdP: RSA-2048, as the GAR's ENTs use; its SSO endpoint is never contacted.
  const saml::Credential ent_cred =
      test::makeCredential("ent.launch-load.test", saml::KeyType::kRsa, now - 86400);
  const saml::Certificate& ent_cert = ent_cred.cert;
  writeWholeFile(paths.ent_key, ent_cred.key.pem());
  writeWholeFile(paths.ent_cert, ent_cert.pem());
  saml::EntityDescriptor ent;
  ent.entity_id = kEntEntityId;
  saml::IdpSsoDescriptor idp;
  idp.keys.push_back(saml::KeyDescriptor{saml::KeyUse::kSigning, ent_cert, {}});
  idp.sso.push_back(saml::Endpoint{std::string(saml::binding::kHttpRedirect), kEntSsoUrl, "",
                                   std::nullopt, std::nullopt});
  idp.name_id_formats = {std::string(saml::name_id_format::kPersistent)};
  ent.idp = idp;
  writeWholeFile(paths.ent_metadata, metadataXml(ent));

  // Publisher B: a signing key only, so its assertions are signed and not encrypted (the bound in
  // docs/performance.md counts signatures). Its ACS is never contacted.
  const saml::Certificate pub_cert =
      test::makeCredential("edition-b.launch-load.test", saml::KeyType::kRsa, now).cert;
  saml::EntityDescriptor pub;
  pub.entity_id = kPublisherBEntityId;
  saml::SpSsoDescriptor sp;
  sp.keys.push_back(saml::KeyDescriptor{saml::KeyUse::kSigning, pub_cert, {}});
  sp.acs.push_back(
      saml::Endpoint{std::string(saml::binding::kHttpPost), kPublisherBAcsUrl, "", 0, true});
  sp.want_assertions_signed = true;
  pub.sp = sp;
  writeWholeFile(paths.publisher_b_metadata, metadataXml(pub));

  // What scripts/bench-launch passes to `garde store seed-demo`.
  std::cout << "--ent-idp-entity-id " << kEntEntityId << " --ent-idp-metadata "
            << paths.ent_metadata << " --publisher-b-entity-id " << kPublisherBEntityId
            << " --publisher-b-metadata " << paths.publisher_b_metadata
            << " --publisher-b-base-url " << kPublisherBBaseUrl << "\n";
  return 0;
}

// ---- Preparing launches (pre-phase) ------------------------------------------------------------

struct RunOptions {
  std::string base;  // http://127.0.0.1:PORT (no path)
  std::uint16_t port = 0;
  std::string dir;
  int clients = 1;
  double duration = 20;
  double warmup = 3;
  double rate = 0;    // > 0: open loop at this many launches per second
  long launches = 0;  // > 0: prepare exactly this many
  int prep_threads = 2;
  double assertion_lifetime = 300;
  long broker_pid = 0;
  bool acs_only = false;  // time the ACS leg only (the launch leg is then all in the pre-phase)
  bool soak = false;
  double soak_total = 600;
  double round = 60;
  std::string label;
};

struct EntSigner {
  saml::Credential credential;
  std::string sp_entity_id;
  std::string acs_url;
  double assertion_lifetime = 300;
};

/// The ENT's Response to AuthnRequest `request_id`: NameID = the pupil, signed assertion (as the
/// GAR's ENTs send it), fresh Response and Assertion IDs.
std::string entResponseBase64(const EntSigner& ent, const std::string& request_id) {
  const core::UnixTime now = core::systemNow();
  const saml::Response response = test::successResponse({.id = core::systemRandom().newId(),
                                                         .in_response_to = request_id,
                                                         .now = now,
                                                         .destination = ent.acs_url,
                                                         .issuer = kEntEntityId});
  const saml::Assertion assertion =
      test::bearerAssertion({.id = core::systemRandom().newId(),
                             .now = now,
                             .issuer = kEntEntityId,
                             .audience = ent.sp_entity_id,
                             .acs_url = ent.acs_url,
                             .in_response_to = request_id,
                             .name_id = kPupil,
                             .lifetime = static_cast<core::UnixTime>(ent.assertion_lifetime),
                             .authn_age = 5,
                             .session_index = core::systemRandom().newId(),
                             .session_lifetime = std::nullopt,
                             .attributes = {}});
  auto doc = test::buildSignedResponse(response, {assertion},
                                       {.sign_response = false, .signer = &ent.credential});
  if (!doc) {
    die("cannot build or sign the ENT Response: " + doc.error().describe());
  }
  return core::base64Encode(saml::serialize(doc->get()));
}

/// From the broker's 302 to the ENT: (AuthnRequest ID, RelayState as sent).
std::optional<std::pair<std::string, std::string>> readEntRedirect(const std::string& location,
                                                                   std::string& why) {
  const auto q = location.find('?');
  if (q == std::string::npos) {
    why = "Location without query";
    return std::nullopt;
  }
  std::string saml_request, relay_state;
  for (const saml::RawParam& p : saml::splitQuery(std::string_view(location).substr(q + 1))) {
    auto value = core::urlDecode(p.value, false);
    if (!value) {
      why = "bad URL encoding in Location";
      return std::nullopt;
    }
    if (p.name == "SAMLRequest") {
      saml_request = std::move(value).value();
    } else if (p.name == "RelayState") {
      relay_state = std::move(value).value();
    }
  }
  auto deflated = core::base64Decode(saml_request);
  if (!deflated) {
    why = "SAMLRequest is not base64";
    return std::nullopt;
  }
  auto xml = saml::inflateRaw(*deflated, 256 * 1024);
  if (!xml) {
    why = "SAMLRequest does not inflate";
    return std::nullopt;
  }
  auto doc = saml::parseUntrusted(*xml);
  if (!doc) {
    why = "AuthnRequest does not parse";
    return std::nullopt;
  }
  auto request = saml::parseAuthnRequest(xmlDocGetRootElement(doc->get()));
  if (!request || relay_state.empty()) {
    why = "no AuthnRequest ID or no RelayState";
    return std::nullopt;
  }
  return std::make_pair(request->id, relay_state);
}

/// Prepares `count` launches with `threads` threads: each a complete POST /saml/sp/acs request.
std::vector<std::string> prepare(const RunOptions& opt, const EntSigner& ent, long count) {
  std::vector<std::string> ready(static_cast<std::size_t>(count));
  std::atomic<long> next{0};
  std::atomic<long> failures{0};
  std::mutex error_mutex;
  std::string first_error;
  const std::string launch = launchRequest(opt.port);
  auto worker = [&] {
    HttpConnection connection(opt.port);
    for (long i; (i = next.fetch_add(1)) < count;) {
      const HttpReply reply = connection.exchange(launch);
      std::string why;
      std::optional<std::pair<std::string, std::string>> redirect;
      if (reply.status != 302) {
        why = "GET /launch answered " + std::to_string(reply.status) + " " + reply.error;
      } else {
        redirect = readEntRedirect(
            reply.headers.count("location") != 0 ? reply.headers.at("location") : std::string(),
            why);
      }
      if (!redirect) {
        if (failures.fetch_add(1) == 0) {
          const std::lock_guard lock(error_mutex);
          first_error = why;
        }
        next.store(count);  // stop everyone: a broken set-up, not a load effect
        return;
      }
      const std::string body =
          "SAMLResponse=" + core::urlEncode(entResponseBase64(ent, redirect->first)) +
          "&RelayState=" + core::urlEncode(redirect->second);
      // The ACS takes the ENT's Response only from the browser that started the ENT leg
      // (garde_bind cookie, docs/flows.md); older brokers set none, and none is sent.
      const auto set_cookie = reply.headers.find("set-cookie");
      const std::string bind = set_cookie == reply.headers.end()
                                   ? std::string()
                                   : cookieFrom(set_cookie->second, "garde_bind");
      ready[static_cast<std::size_t>(i)] = postRequest("/saml/sp/acs", opt.port, body, bind);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < opt.prep_threads; ++t) {
    threads.emplace_back(worker);
  }
  for (auto& t : threads) {
    t.join();
  }
  if (failures.load() > 0) {
    die("preparing launches failed: " + first_error);
  }
  return ready;
}

// ---- The timed run ------------------------------------------------------------------------------

struct RunResult {
  long completed = 0;                    // 200 + form, completed inside the measured window
  double window = 0;                     // seconds measured
  std::vector<double> latencies_ms;      // of those completions (both legs)
  std::vector<double> acs_latencies_ms;  // the ACS leg alone
  std::map<std::string, long> errors;    // by HTTP status ("io" for connection errors)
  long sent = 0;                         // requests started (warmup included)
  bool exhausted = false;                // ran out of prepared launches before the end
  double broker_cpu = 0;     // broker CPU seconds during the window (0 without --broker-pid)
  double broker_system = 0;  // of which in the kernel (system time)
  double own_cpu = 0;        // this process's CPU seconds during the whole run
};

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) {
    return 0;
  }
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * sorted.size()));
  return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

/// CPU time of a process in seconds from /proc/<pid>/stat: {user, system}; {0, 0} when unknown.
std::pair<double, double> processCpu(long pid) {
  if (pid <= 0) {
    return {0, 0};
  }
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto paren = stat.rfind(')');
  if (paren == std::string::npos) {
    return {0, 0};
  }
  // Fields after the command: 3 state ... 14 utime, 15 stime (proc(5)).
  std::istringstream fields(stat.substr(paren + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) {
      utime = std::stod(field);
    } else if (i == 15) {
      stime = std::stod(field);
    }
  }
  const auto ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return {utime / ticks, stime / ticks};
}

/// "VmRSS 23456 kB, VmHWM 30000 kB" of the broker; empty without a pid.
std::string brokerMemory(long pid) {
  if (pid <= 0) {
    return {};
  }
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line, rss, hwm;
  while (std::getline(in, line)) {
    auto value = [&] {
      std::string v = line.substr(line.find(':') + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    };
    if (line.rfind("VmRSS:", 0) == 0) {
      rss = value();
    } else if (line.rfind("VmHWM:", 0) == 0) {
      hwm = value();
    }
  }
  return "RSS " + rss + " (peak " + hwm + ")";
}

double ownCpu() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

/// Sends the prepared requests with opt.clients threads. Closed loop (each client sends its next
/// launch when the previous one is answered) unless opt.rate > 0: then launch i is due at
/// start + i / rate, a free client sends it no earlier, and its latency counts from the due time
/// (so a backlog shows in the latency instead of slowing the schedule: no coordinated omission).
RunResult timedRun(const RunOptions& opt, const std::vector<std::string>& ready, double warmup,
                   double measured) {
  struct PerClient {
    std::vector<double> latencies_ms;
    std::vector<double> acs_latencies_ms;
    std::map<std::string, long> errors;
    long completed = 0;
  };
  std::vector<PerClient> per_client(static_cast<std::size_t>(opt.clients));
  std::atomic<long> next{0};
  std::atomic<bool> exhausted{false};
  const auto start = Clock::now();
  const Clock::time_point window_begin =
      start + std::chrono::duration_cast<Clock::duration>(duration<double>(warmup));
  const Clock::time_point window_end =
      window_begin + std::chrono::duration_cast<Clock::duration>(duration<double>(measured));
  const std::string expected_action = std::string("action=\"") + kPublisherBAcsUrl + "\"";
  const std::string launch_request = launchRequest(opt.port);
  const double cpu_before = ownCpu();
  std::pair<double, double> broker_cpu_begin{0, 0};
  std::thread cpu_probe([&] {
    std::this_thread::sleep_until(window_begin);
    broker_cpu_begin = processCpu(opt.broker_pid);
  });

  auto client = [&](PerClient& mine) {
    HttpConnection connection(opt.port);
    for (;;) {
      const long i = next.fetch_add(1);
      if (i >= static_cast<long>(ready.size())) {
        exhausted = true;
        return;
      }
      auto sent_at = Clock::now();
      if (opt.rate > 0) {
        const auto due =
            start + std::chrono::duration_cast<Clock::duration>(duration<double>(i / opt.rate));
        if (due >= window_end) {
          return;
        }
        std::this_thread::sleep_until(due);
        sent_at = due;
      } else if (sent_at >= window_end) {
        return;
      }
      // The launch leg: the broker checks the tile, seals the transaction and signs its
      // AuthnRequest to the ENT. Its transaction is not used further (the ACS leg posts a prepared
      // one): the broker's work per launch is the same, and the generator signs nothing here.
      std::string failure;
      if (!opt.acs_only) {
        const HttpReply launch = connection.exchange(launch_request);
        if (launch.status != 302 || launch.headers.count("location") == 0 ||
            launch.headers.at("location").rfind(kEntSsoUrl, 0) != 0) {
          failure = launch.status == 0 ? "launch io (" + launch.error + ")"
                                       : "launch " + std::to_string(launch.status);
        }
      }
      const auto acs_sent = Clock::now();
      if (failure.empty()) {
        const HttpReply reply = connection.exchange(ready[static_cast<std::size_t>(i)]);
        if (reply.status == 0) {
          failure = "acs io (" + reply.error + ")";
        } else if (reply.status != 200) {
          failure = "acs " + std::to_string(reply.status);
        } else if (reply.body.find(expected_action) == std::string::npos ||
                   reply.body.find("SAMLResponse") == std::string::npos) {
          failure = "acs 200 without the publisher form";
        }
      }
      const auto done = Clock::now();
      if (done < window_begin || done > window_end) {
        continue;
      }
      if (failure.empty()) {
        ++mine.completed;
        mine.latencies_ms.push_back(duration<double, std::milli>(done - sent_at).count());
        mine.acs_latencies_ms.push_back(duration<double, std::milli>(done - acs_sent).count());
      } else {
        ++mine.errors[failure];
      }
    }
  };
  std::vector<std::thread> threads;
  for (auto& mine : per_client) {
    threads.emplace_back(client, std::ref(mine));
  }
  for (auto& t : threads) {
    t.join();
  }
  cpu_probe.join();
  const auto broker_cpu_end = processCpu(opt.broker_pid);
  const auto finished = Clock::now();

  RunResult result;
  result.window = duration<double>(std::min(finished, window_end) - window_begin).count();
  for (auto& mine : per_client) {
    result.completed += mine.completed;
    result.latencies_ms.insert(result.latencies_ms.end(), mine.latencies_ms.begin(),
                               mine.latencies_ms.end());
    result.acs_latencies_ms.insert(result.acs_latencies_ms.end(), mine.acs_latencies_ms.begin(),
                                   mine.acs_latencies_ms.end());
    for (const auto& [k, v] : mine.errors) {
      result.errors[k] += v;
    }
  }
  std::sort(result.latencies_ms.begin(), result.latencies_ms.end());
  std::sort(result.acs_latencies_ms.begin(), result.acs_latencies_ms.end());
  result.sent = std::min(next.load(), static_cast<long>(ready.size()));
  result.exhausted = exhausted.load();
  result.broker_cpu = (broker_cpu_end.first - broker_cpu_begin.first) +
                      (broker_cpu_end.second - broker_cpu_begin.second);
  result.broker_system = broker_cpu_end.second - broker_cpu_begin.second;
  result.own_cpu = ownCpu() - cpu_before;
  return result;
}

void report(const RunOptions& opt, const RunResult& r, const std::string& what) {
  const double rate = r.window > 0 ? static_cast<double>(r.completed) / r.window : 0;
  long errors = 0;
  for (const auto& [k, v] : r.errors) {
    errors += v;
  }
  const auto& l = r.latencies_ms;
  const auto& acs = r.acs_latencies_ms;
  const std::string mode =
      opt.rate > 0 ? "open@" + std::to_string(static_cast<long>(opt.rate)) : "closed";
  char line[768];
  std::snprintf(line, sizeof line,
                "RESULT %s clients=%d mode=%s legs=%s launches_per_s=%.1f completed=%ld "
                "window_s=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f acs_p50_ms=%.2f "
                "acs_p99_ms=%.2f errors=%ld broker_cores=%.2f broker_cpu_ms_per_launch=%.2f "
                "broker_system_share=%.2f "
                "loadgen_cpu_s=%.1f",
                what.c_str(), opt.clients, mode.c_str(), opt.acs_only ? "acs" : "launch+acs", rate,
                r.completed, r.window, percentile(l, 50), percentile(l, 90), percentile(l, 99),
                l.empty() ? 0.0 : l.back(), percentile(acs, 50), percentile(acs, 99), errors,
                r.window > 0 ? r.broker_cpu / r.window : 0.0,
                r.completed > 0 ? 1000 * r.broker_cpu / static_cast<double>(r.completed) : 0.0,
                r.broker_cpu > 0 ? r.broker_system / r.broker_cpu : 0.0, r.own_cpu);
  std::cout << line << (opt.label.empty() ? "" : " label=" + opt.label) << "\n";
  for (const auto& [status, count] : r.errors) {
    std::cout << "  errors: " << status << ": " << count << "\n";
  }
  if (r.exhausted) {
    std::cout << "  WARNING: ran out of prepared launches before the end of the window "
                 "(the rate figure is then too low); give --launches or a longer calibration\n";
  }
}

long launchesFor(double rate, double seconds, int clients) {
  return static_cast<long>(std::ceil(rate * seconds * 1.5)) + 4L * clients;
}

/// A calibration burst: prepares and sends a few launches with the run's clients and mode,
/// returns the measured rate (launches per second).
double calibrate(const RunOptions& opt, const EntSigner& ent) {
  const long count = std::max(200L, 60L * opt.clients);
  const auto ready = prepare(opt, ent, count);
  RunOptions burst = opt;
  burst.rate = 0;  // closed loop: what the broker can do at this client count
  const auto t0 = Clock::now();
  const RunResult r = timedRun(burst, ready, 0, 3600);
  const double seconds = duration<double>(Clock::now() - t0).count();
  if (r.completed < count / 2) {
    report(burst, r, "calibration");
    die("calibration: fewer than half of the launches succeeded");
  }
  const double rate = static_cast<double>(r.completed) / seconds;
  return opt.rate > 0 ? std::min(rate, opt.rate) : rate;
}

int runLoad(RunOptions opt) {
  const Paths paths(opt.dir);
  auto credential = test::readCredential(paths.ent_key, paths.ent_cert);
  if (!credential) {
    die("cannot read the ENT key or certificate in " + opt.dir +
        " (run `launch_load setup`): " + credential.error().describe());
  }
  const EntSigner ent{*credential, opt.base + "/saml/sp/metadata", opt.base + "/saml/sp/acs",
                      opt.assertion_lifetime};

  std::cout << "broker " << opt.base
            << (opt.broker_pid > 0 ? " pid " + std::to_string(opt.broker_pid) : "") << ", "
            << opt.clients << " client(s), "
            << (opt.rate > 0 ? "open loop at " + std::to_string(opt.rate) + "/s" : "closed loop")
            << "\n";
  if (opt.broker_pid > 0) {
    std::cout << "memory at start: " << brokerMemory(opt.broker_pid) << "\n";
  }
  double rate = opt.launches > 0 ? 0 : calibrate(opt, ent);
  if (rate > 0) {
    std::printf("calibration: %.0f launches/s\n", rate);
  }

  if (!opt.soak) {
    const long count =
        opt.launches > 0 ? opt.launches : launchesFor(rate, opt.warmup + opt.duration, opt.clients);
    const auto t0 = Clock::now();
    const auto ready = prepare(opt, ent, count);
    std::printf("prepared %ld launches in %.1f s\n", count,
                duration<double>(Clock::now() - t0).count());
    if (opt.broker_pid > 0) {
      std::cout << "memory after preparing: " << brokerMemory(opt.broker_pid) << "\n";
    }
    const RunResult r = timedRun(opt, ready, opt.warmup, opt.duration);
    report(opt, r, "run");
    if (opt.broker_pid > 0) {
      std::cout << "memory at end: " << brokerMemory(opt.broker_pid) << "\n";
    }
    return r.errors.empty() ? 0 : 1;
  }

  // Soak: rounds of (prepare for the next round, run it), because transactions expire after 10
  // minutes; the broker idles while a round is prepared. Memory after each round.
  RunResult total;
  int errors = 0;
  for (int round = 1; total.window < opt.soak_total; ++round) {
    const double seconds = std::min(opt.round, opt.soak_total - total.window);
    const auto ready = prepare(opt, ent, launchesFor(rate, seconds, opt.clients));
    const RunResult r = timedRun(opt, ready, 0, seconds);
    report(opt, r, "round" + std::to_string(round));
    std::cout << "  memory after round " << round << ": " << brokerMemory(opt.broker_pid) << "\n";
    total.window += r.window;
    total.completed += r.completed;
    total.broker_cpu += r.broker_cpu;
    total.broker_system += r.broker_system;
    total.own_cpu += r.own_cpu;
    total.latencies_ms.insert(total.latencies_ms.end(), r.latencies_ms.begin(),
                              r.latencies_ms.end());
    total.acs_latencies_ms.insert(total.acs_latencies_ms.end(), r.acs_latencies_ms.begin(),
                                  r.acs_latencies_ms.end());
    for (const auto& [k, v] : r.errors) {
      total.errors[k] += v;
    }
    errors += static_cast<int>(r.errors.size());
    total.exhausted = total.exhausted || r.exhausted;
    if (r.window > 0 && r.completed > 0) {
      rate = opt.rate > 0 ? opt.rate : static_cast<double>(r.completed) / r.window;
    }
    if (r.window <= 0) {
      break;
    }
  }
  std::sort(total.latencies_ms.begin(), total.latencies_ms.end());
  std::sort(total.acs_latencies_ms.begin(), total.acs_latencies_ms.end());
  report(opt, total, "soak");
  std::cout << "memory at end: " << brokerMemory(opt.broker_pid) << "\n";
  return errors == 0 ? 0 : 1;
}

void usage() {
  std::cerr
      << "usage: launch_load setup --dir DIR\n"
         "       launch_load run --base http://127.0.0.1:PORT --dir DIR [--clients N]\n"
         "           [--duration 20s] [--warmup 3s] [--rate R] [--launches M] [--prep-threads 2]\n"
         "           [--assertion-lifetime 5m] [--broker-pid PID] [--label TEXT]\n"
         "           [--acs-only] [--soak [--soak-total 10m] [--round 60s]]\n"
         "see bench/README.md (launch_load)\n";
  std::exit(2);
}

int run(int argc, char** argv) {
  if (argc < 2) {
    usage();
  }
  const std::string command = argv[1];
  std::map<std::string, std::string> args;
  for (int i = 2; i < argc; ++i) {
    const std::string name = argv[i];
    if (name.rfind("--", 0) != 0) {
      usage();
    }
    if (name == "--soak" || name == "--acs-only") {
      args[name] = "1";
    } else if (i + 1 < argc) {
      args[name] = argv[++i];
    } else {
      usage();
    }
  }
  auto take = [&](const char* name, std::string fallback = {}) {
    auto it = args.find(name);
    if (it == args.end()) {
      return fallback;
    }
    std::string v = it->second;
    args.erase(it);
    return v;
  };
  int status = 0;
  if (command == "setup") {
    const std::string dir = take("--dir");
    if (dir.empty() || !args.empty()) {
      usage();
    }
    status = runSetup(dir);
  } else if (command == "run") {
    RunOptions opt;
    opt.base = take("--base");
    opt.dir = take("--dir");
    opt.clients = std::stoi(take("--clients", "1"));
    opt.duration = parseDuration(take("--duration", "20s"));
    opt.warmup = parseDuration(take("--warmup", "3s"));
    opt.rate = std::stod(take("--rate", "0"));
    opt.launches = std::stol(take("--launches", "0"));
    opt.prep_threads = std::stoi(take("--prep-threads", "2"));
    opt.assertion_lifetime = parseDuration(take("--assertion-lifetime", "5m"));
    opt.broker_pid = std::stol(take("--broker-pid", "0"));
    opt.soak = take("--soak") == "1";
    opt.acs_only = take("--acs-only") == "1";
    opt.soak_total = parseDuration(take("--soak-total", "10m"));
    opt.round = parseDuration(take("--round", "60s"));
    opt.label = take("--label");
    const std::string prefix = "http://127.0.0.1:";
    if (!args.empty() || opt.dir.empty() || opt.base.rfind(prefix, 0) != 0 || opt.clients < 1 ||
        opt.prep_threads < 1) {
      usage();
    }
    opt.port = static_cast<std::uint16_t>(std::stoi(opt.base.substr(prefix.size())));
    status = runLoad(opt);
  } else {
    usage();
  }
  return status;
}

}  // namespace
}  // namespace garde::bench

int main(int argc, char** argv) {
  // Line-buffered even into a file or a pipe, so a script can follow the phases as they happen.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const garde::saml::LibraryGuard guard;
  try {
    return garde::bench::run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "launch_load: " << e.what() << "\n";
    return 2;
  }
}
