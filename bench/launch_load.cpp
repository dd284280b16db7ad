// launch_load: a load generator for complete launches against a running broker over loopback.
//
//   launch_load setup --dir DIR
//       Makes the ENT IdP's key, certificate and metadata (saml::generateMetadata), publisher B's
//       SP metadata (signing key only) and publisher A's key, certificate and SP metadata (signing
//       and encryption keys, AuthnRequestsSigned), for `garde store seed-demo`
//       (scripts/bench-launch does it all).
//   launch_load run --base http[s]://127.0.0.1:PORT --dir DIR [--flow direct|bounce|mediacentre]
//       [--persons FILE] [--gzip] [--client-cert PEM [--client-key PEM]]
//       [--connections per-user|per-client] [--resume] [--clients N] [--duration 20s]
//       [--warmup 3s] [--rate R] [--launches M] [--broker-pid PID] [--soak [--round 60s]]
//
// The persons: the demo pupil, or those of --persons (lines "UAI identifier", drawn from the
// directory by scripts/bench-launch), flow i being the i-th modulo their number.
//
// Three flows (the first two: docs/flows.md, "Driving it without a browser"):
//
// * direct: GET /launch for resource B, then the ENT's Response POSTed to /saml/sp/acs, answered
//   with publisher B's signed (not encrypted) assertion. Everything that is not the broker's work
//   happens before the timed run (the pre-phase): the GETs (the broker signs its AuthnRequest to
//   the ENT there), reading the AuthnRequest ID and the sealed RelayState, building and signing the
//   ENT's Response (fresh Response and Assertion IDs each), and the whole HTTP request bytes. The
//   timed run repeats the GET (its transaction is dropped) and posts the prepared bytes.
// * bounce (the GAR's own launch): GET /launch for resource A (302 to A's login URL, garde_launch
//   cookie), publisher A's signed AuthnRequest over HTTP-Redirect to /saml/idp/sso (prepared and
//   signed in the pre-phase: fresh IDs), the broker's 302 to the ENT; the generator then plays the
//   ENT *during the timed run* (its Response must answer the broker's fresh AuthnRequest ID, so it
//   cannot be prepared: the generator signs it, and its time is left out of the latency), posts it
//   to /saml/sp/acs with the sealed RelayState and checks the answer: publisher A's form carrying
//   an EncryptedAssertion (RSA-OAEP key transport, AES-256-GCM). The broker's CPU per flow comes
//   from its own /proc/PID/stat (--broker-pid), so the generator's signing is not in it.
//
// * mediacentre: an ENT project's GET /ressources/{idENT}/{UAI}/{id} (docs/mediacentre.md) for
//   each person in turn, over HTTPS with the ENT's client certificate (--client-cert), answered
//   200 with a list of at least one resource; one request is one flow in the RESULT line.
//
// Connections: by default each simulated user (one flow) opens its own connection, keep-alive
// between the legs of its flow, closed at the end (`--connections per-user`); `--connections
// per-client` keeps one keep-alive connection per client thread for the whole run (the old mode).
// HTTPS when --base is https://: an OpenSSL client on the same blocking sockets (the server's
// certificate is not verified: loopback only); `--resume` makes each client a returning browser
// that offers the session (TLS 1.3 ticket or TLS 1.2 session ID) of its previous connection,
// otherwise every connection is a full handshake. Transactions last 10 minutes and the replay
// caches hold IDs, so the pre-phase prepares only what the run needs: a calibration burst
// measures the rate, then rate * (warmup + duration) * 1.5 flows are prepared. No Beast/Asio in
// bench/.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
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
#include "saml/message_text.h"
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
constexpr const char* kPublisherAEntityId = "http://127.0.0.1:9/edition-a/sp/metadata";
constexpr const char* kPublisherABaseUrl = "http://127.0.0.1:9/edition-a";
constexpr const char* kPublisherAAcsUrl = "http://127.0.0.1:9/edition-a/acs";
// What `garde store seed-demo` makes of --publisher-a-base-url (broker/commands/seed.cpp).
constexpr const char* kPublisherALoginUrl = "http://127.0.0.1:9/edition-a/login";
constexpr const char* kPublisherAResourceUrl = "http://127.0.0.1:9/edition-a/resource";
constexpr const char* kEnt = "ENTTEST1";
constexpr const char* kUai = "0561534N";
constexpr const char* kResourcePath = "/launch/ark:%2F49591%2Fdemo.outil.b";
constexpr const char* kBounceResourcePath = "/launch/ark:%2F49591%2Fdemo.manuel.a";
constexpr const char* kPupil = "elv-0001";

enum class Flow { kDirect, kBounce, kMediacentre };

/// A person of the ENT's directory the generator plays: the establishment of the session and the
/// identifier at the ENT (the NameID of the ENT's assertion, the last segment of a médiacentre
/// request).
struct Person {
  std::string uai;
  std::string id;
};

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

// ---- A small blocking HTTP/1.1 client, plain or TLS ------------------------------------------

struct HttpReply {
  int status = 0;                              ///< 0: connection or protocol error (see `error`)
  std::map<std::string, std::string> headers;  ///< lower-case names; repeated ones joined by '\n'
  std::string body;
  std::string error;
};

/// Where the broker listens and how to talk to it. `tls` is null for plain HTTP.
struct Target {
  std::uint16_t port = 0;
  SSL_CTX* tls = nullptr;  ///< client context (not owned), shared by every connection
  bool resume = false;     ///< offer the previous connection's session (a returning browser)
};

/// Connections opened, and of those how many resumed a TLS session; summed over the clients.
struct ConnectionStats {
  long opened = 0;
  long resumed = 0;
};

/// One keep-alive connection to 127.0.0.1:port, over TLS when the target says so. Reconnects when
/// the server closed it; close() ends it (the next exchange opens a new one, resuming the last TLS
/// session when the target asks). Not thread-safe: one per thread.
class HttpConnection {
 public:
  explicit HttpConnection(const Target& target) : target_(target) {}
  ~HttpConnection() {
    close();
    if (session_ != nullptr) {
      SSL_SESSION_free(session_);
    }
  }
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  /// Sends `request` (complete bytes) and reads one response. One retry on a fresh connection if
  /// a reused one turns out closed before any byte of the answer.
  HttpReply exchange(const std::string& request) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      const bool reused = fd_ >= 0;
      if (fd_ < 0) {
        std::string why;
        if (!connectSocket(why)) {
          return HttpReply{0, {}, {}, why};
        }
      }
      if (!sendAll(request)) {
        close();
        if (reused) {
          continue;
        }
        return HttpReply{0, {}, {}, "send: " + std::string(std::strerror(errno))};
      }
      bool got_bytes = false;
      HttpReply reply = readReply(got_bytes);
      if (reply.status == 0) {
        close();
        if (reused && !got_bytes) {
          continue;
        }
      }
      return reply;
    }
    return HttpReply{0, {}, {}, "connection closed twice"};
  }

  /// Ends the connection as a browser leaving does: TLS close_notify, then the TCP close.
  void close() {
    if (ssl_ != nullptr) {
      SSL_shutdown(ssl_);  // one close_notify; no wait for the server's
      SSL_free(ssl_);
      ssl_ = nullptr;
    }
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

  const ConnectionStats& stats() const { return stats_; }

  /// The client context's new-session callback (SSL_CTX_sess_set_new_cb): the session goes to
  /// the connection that received it (TLS 1.3 tickets arrive after the handshake).
  static int onNewSession(SSL* ssl, SSL_SESSION* session) {
    auto* self = static_cast<HttpConnection*>(SSL_get_app_data(ssl));
    if (self == nullptr || !self->target_.resume) {
      return 0;
    }
    if (self->session_ != nullptr) {
      SSL_SESSION_free(self->session_);
    }
    self->session_ = session;
    return 1;  // the reference is ours
  }

 private:
  bool connectSocket(std::string& why) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      why = "socket: " + std::string(std::strerror(errno));
      return false;
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval timeout{30, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(target_.port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      why = "connect: " + std::string(std::strerror(errno));
      close();
      return false;
    }
    buffer_.clear();
    ++stats_.opened;
    if (target_.tls == nullptr) {
      return true;
    }
    ssl_ = SSL_new(target_.tls);
    if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1) {
      why = "SSL_new";
      close();
      return false;
    }
    SSL_set_app_data(ssl_, this);
    if (target_.resume && session_ != nullptr) {
      SSL_set_session(ssl_, session_);
    }
    if (SSL_connect(ssl_) != 1) {
      char text[256];
      ERR_error_string_n(ERR_get_error(), text, sizeof text);
      why = std::string("TLS handshake: ") + text;
      ERR_clear_error();
      close();
      return false;
    }
    if (SSL_session_reused(ssl_) == 1) {
      ++stats_.resumed;
    }
    return true;
  }

  bool sendAll(std::string_view data) {
    while (!data.empty()) {
      if (ssl_ != nullptr) {
        const int n = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
        if (n <= 0) {
          ERR_clear_error();
          return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
        continue;
      }
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

  /// Appends what the connection has to buffer_; false on EOF or error.
  bool fill() {
    char chunk[16384];
    if (ssl_ != nullptr) {
      const int n = SSL_read(ssl_, chunk, sizeof chunk);
      if (n <= 0) {
        ERR_clear_error();
        return false;
      }
      buffer_.append(chunk, static_cast<std::size_t>(n));
      return true;
    }
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
    const bool close_after = reply.headers["connection"] == "close";
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
    } else if (close_after) {
      while (fill()) {
      }
      reply.body = std::move(buffer_);
      buffer_.clear();
    }
    reply.status = status;
    if (close_after) {
      close();
    }
    return reply;
  }

  const Target& target_;
  int fd_ = -1;
  SSL* ssl_ = nullptr;
  SSL_SESSION* session_ = nullptr;  ///< the last session received, offered on the next connection
  std::string buffer_;
  ConnectionStats stats_;
};

/// The client context for an https:// base: TLS 1.2 or 1.3 (OpenSSL's choice: 1.3), the server's
/// certificate not verified (loopback benchmark), sessions handed to their connection. With
/// `cert_file` and `key_file` (PEM) every connection presents that client certificate, as an ENT
/// project calling the médiacentre does.
SSL_CTX* makeClientTls(const std::string& cert_file, const std::string& key_file) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    die("cannot make the TLS client context");
  }
  if (!cert_file.empty() &&
      (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1 ||
       SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1)) {
    die("cannot read the client certificate " + cert_file + " or its key " + key_file);
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, &HttpConnection::onNewSession);
  return ctx;
}

std::string getRequest(std::string_view target, std::uint16_t port, std::string_view cookie = {}) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
         "\r\nUser-Agent: garde-launch-load" +
         (cookie.empty() ? std::string() : "\r\nCookie: " + std::string(cookie)) + "\r\n\r\n";
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

/// GET /launch of resource B (direct launch) or A (bounce) in the person's establishment.
std::string launchRequest(std::uint16_t port, Flow flow, const Person& person) {
  return getRequest(std::string(flow == Flow::kBounce ? kBounceResourcePath : kResourcePath) +
                        "?ent=" + kEnt + "&uai=" + core::urlEncode(person.uai, true),
                    port);
}

/// The médiacentre's GET /ressources/{idENT}/{UAI}/{id} for the person, as an ENT project sends it
/// (docs/mediacentre.md), asking for gzip when `gzip`.
std::string mediacentreRequest(std::uint16_t port, const Person& person, bool gzip) {
  return "GET /ressources/" + std::string(kEnt) + "/" + core::urlEncode(person.uai, true) + "/" +
         core::urlEncode(person.id, true) + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
         "\r\nUser-Agent: garde-launch-load\r\nAccept: application/json" +
         (gzip ? "\r\nAccept-Encoding: gzip" : "") + "\r\n\r\n";
}

/// The persons of a file of "UAI identifier" lines (scripts/bench-launch writes it from the
/// directory); the demo pupil when `path` is empty.
std::vector<Person> readPersons(const std::string& path) {
  if (path.empty()) {
    return {Person{kUai, kPupil}};
  }
  std::ifstream in(path);
  std::vector<Person> persons;
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    Person p;
    if (fields >> p.uai >> p.id) {
      persons.push_back(std::move(p));
    }
  }
  if (persons.empty()) {
    die("no person in " + path + " (lines of \"UAI identifier\")");
  }
  return persons;
}

// ---- The peers' keys and metadata (setup) -------------------------------------------------------

struct Paths {
  std::string ent_key, ent_cert, ent_metadata, publisher_b_metadata;
  std::string publisher_a_key, publisher_a_cert, publisher_a_metadata;
  explicit Paths(const std::string& dir)
      : ent_key(dir + "/ent-idp.key"),
        ent_cert(dir + "/ent-idp.crt"),
        ent_metadata(dir + "/ent-idp-metadata.xml"),
        publisher_b_metadata(dir + "/publisher-b-metadata.xml"),
        publisher_a_key(dir + "/publisher-a-signing.key"),
        publisher_a_cert(dir + "/publisher-a-signing.crt"),
        publisher_a_metadata(dir + "/publisher-a-metadata.xml") {}
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
  // The ENT IdP: RSA-2048, as the GAR's ENTs use; its SSO endpoint is never contacted. Its
  // metadata leaves WantAuthnRequestsSigned out (false): a broker that signs its AuthnRequests
  // only for ENTs that ask signs none here.
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

  // Publisher A (bounce): signs its AuthnRequests (RSA-2048) and wants its assertions encrypted
  // for a second RSA-2048 key (RSA-OAEP key transport, AES-256-GCM content). Its login URL and
  // ACS are never contacted.
  const saml::Credential pub_a_cred =
      test::makeCredential("edition-a.launch-load.test", saml::KeyType::kRsa, now - 86400);
  writeWholeFile(paths.publisher_a_key, pub_a_cred.key.pem());
  writeWholeFile(paths.publisher_a_cert, pub_a_cred.cert.pem());
  const saml::Certificate pub_a_encryption =
      test::makeCredential("edition-a-encryption.launch-load.test", saml::KeyType::kRsa, now).cert;
  saml::EntityDescriptor pub_a;
  pub_a.entity_id = kPublisherAEntityId;
  saml::SpSsoDescriptor sp_a;
  sp_a.keys.push_back(saml::KeyDescriptor{saml::KeyUse::kSigning, pub_a_cred.cert, {}});
  sp_a.keys.push_back(saml::KeyDescriptor{saml::KeyUse::kEncryption, pub_a_encryption, {}});
  sp_a.acs.push_back(
      saml::Endpoint{std::string(saml::binding::kHttpPost), kPublisherAAcsUrl, "", 0, true});
  sp_a.authn_requests_signed = true;
  sp_a.want_assertions_signed = true;
  pub_a.sp = sp_a;
  writeWholeFile(paths.publisher_a_metadata, metadataXml(pub_a));

  // What scripts/bench-launch passes to `garde store seed-demo`.
  std::cout << "--ent-idp-entity-id " << kEntEntityId << " --ent-idp-metadata "
            << paths.ent_metadata << " --publisher-b-entity-id " << kPublisherBEntityId
            << " --publisher-b-metadata " << paths.publisher_b_metadata
            << " --publisher-b-base-url " << kPublisherBBaseUrl << " --publisher-a-entity-id "
            << kPublisherAEntityId << " --publisher-a-metadata " << paths.publisher_a_metadata
            << " --publisher-a-base-url " << kPublisherABaseUrl << "\n";
  return 0;
}

// ---- Preparing launches (pre-phase) ------------------------------------------------------------

struct RunOptions {
  std::string base;  // http[s]://127.0.0.1:PORT (no path)
  Target target;     // port, TLS client context, resumption
  std::string dir;
  Flow flow = Flow::kDirect;
  bool per_user = true;  // a new connection per simulated user (flow); else one per client thread
  int clients = 1;
  double duration = 20;
  double warmup = 3;
  double rate = 0;    // > 0: open loop at this many flows per second
  long launches = 0;  // > 0: prepare exactly this many
  int prep_threads = 2;
  double assertion_lifetime = 300;
  long broker_pid = 0;
  std::vector<Person> persons;  // flow i is persons[i % size] (--persons; the demo pupil otherwise)
  bool gzip = false;            // médiacentre: ask for gzip (Accept-Encoding)
  bool acs_only =
      false;  // direct flow: time the ACS leg only (the launch leg is then all prepared)
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

/// The peers the generator plays: the ENT, and publisher A (bounce flow) whose AuthnRequests it
/// signs.
struct Peers {
  EntSigner ent;
  saml::Credential publisher_a;
  std::string sso_url;  // the broker's /saml/idp/sso
};

/// The ENT's Response to AuthnRequest `request_id`: NameID = the person's identifier at the ENT,
/// signed assertion (as the GAR's ENTs send it), fresh Response and Assertion IDs.
std::string entResponseBase64(const EntSigner& ent, const std::string& request_id,
                              const Person& person) {
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
                             .name_id = person.id,
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

/// The person of flow `i`.
const Person& personFor(const RunOptions& opt, long i) {
  return opt.persons[static_cast<std::size_t>(i) % opt.persons.size()];
}

/// Direct flow: prepares `count` launches with opt.prep_threads threads, each a complete POST
/// /saml/sp/acs request (the GET /launch done, the ENT's Response signed).
std::vector<std::string> prepareDirect(const RunOptions& opt, const EntSigner& ent, long count) {
  std::vector<std::string> ready(static_cast<std::size_t>(count));
  std::atomic<long> next{0};
  std::atomic<long> failures{0};
  std::mutex error_mutex;
  std::string first_error;
  auto worker = [&] {
    HttpConnection connection(opt.target);
    for (long i; (i = next.fetch_add(1)) < count;) {
      const Person& person = personFor(opt, i);
      const HttpReply reply = connection.exchange(launchRequest(opt.target.port, opt.flow, person));
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
          "SAMLResponse=" + core::urlEncode(entResponseBase64(ent, redirect->first, person)) +
          "&RelayState=" + core::urlEncode(redirect->second);
      // The ACS takes the ENT's Response only from the browser that started the ENT leg
      // (garde_bind cookie, docs/flows.md); older brokers set none, and none is sent.
      const auto set_cookie = reply.headers.find("set-cookie");
      const std::string bind = set_cookie == reply.headers.end()
                                   ? std::string()
                                   : cookieFrom(set_cookie->second, "garde_bind");
      ready[static_cast<std::size_t>(i)] = postRequest("/saml/sp/acs", opt.target.port, body, bind);
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

/// Bounce flow: `count` signed AuthnRequests of publisher A over HTTP-Redirect (fresh ID, signed
/// query), each the path and query of a GET /saml/idp/sso, RelayState = A's resource URL as its
/// login page would send. The broker takes each ID once and accepts it for 5 minutes (plus the
/// skew) after its IssueInstant.
std::vector<std::string> prepareBounce(const RunOptions& opt, const Peers& peers, long count) {
  std::vector<std::string> ready(static_cast<std::size_t>(count));
  std::atomic<long> next{0};
  std::atomic<long> failures{0};
  std::mutex error_mutex;
  std::string first_error;
  const std::string path_start = opt.base;
  auto worker = [&] {
    for (long i; (i = next.fetch_add(1)) < count;) {
      saml::AuthnRequest request;
      request.id = core::systemRandom().newId();
      request.issue_instant = core::systemNow();
      request.destination = peers.sso_url;
      request.issuer = kPublisherAEntityId;
      request.assertion_consumer_service_url = kPublisherAAcsUrl;
      request.protocol_binding = std::string(saml::binding::kHttpPost);
      auto xml = saml::writeAuthnRequest(request);
      core::Result<std::string> location =
          xml ? saml::encodeRedirect(*xml, peers.sso_url, kPublisherAResourceUrl, true,
                                     &peers.publisher_a,
                                     saml::defaultAlgorithm(peers.publisher_a.key))
              : core::Result<std::string>(core::fail(xml.error()));
      if (!location || location->rfind(path_start, 0) != 0) {
        if (failures.fetch_add(1) == 0) {
          const std::lock_guard lock(error_mutex);
          first_error = location ? "unexpected SSO URL " + *location : location.error().describe();
        }
        next.store(count);
        return;
      }
      ready[static_cast<std::size_t>(i)] = location->substr(path_start.size());
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
    die("preparing publisher AuthnRequests failed: " + first_error);
  }
  return ready;
}

/// Médiacentre: one request per person, sent in turn (the same bytes may go many times: the
/// broker keeps no state between them).
std::vector<std::string> prepareMediacentre(const RunOptions& opt) {
  std::vector<std::string> ready;
  ready.reserve(opt.persons.size());
  for (const Person& person : opt.persons) {
    ready.push_back(mediacentreRequest(opt.target.port, person, opt.gzip));
  }
  return ready;
}

std::vector<std::string> prepare(const RunOptions& opt, const Peers& peers, long count) {
  switch (opt.flow) {
    case Flow::kBounce:
      return prepareBounce(opt, peers, count);
    case Flow::kMediacentre:
      return prepareMediacentre(opt);
    case Flow::kDirect:
      break;
  }
  return prepareDirect(opt, peers.ent, count);
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
  double broker_cpu = 0;         // broker CPU seconds during the window (0 without --broker-pid)
  double broker_system = 0;      // of which in the kernel (system time)
  double own_cpu = 0;            // this process's CPU seconds during the whole run
  ConnectionStats connections;   // opened during the whole run (warm-up included), and resumed
  long signed_ent_requests = 0;  // broker AuthnRequests to the ENT that carried a Signature
  long ent_requests = 0;         // broker AuthnRequests to the ENT seen
  double ent_seconds = 0;        // the generator's ENT work during the window (bounce)
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

/// What one flow's legs saw, beyond its failure.
struct FlowOutcome {
  std::string failure;          // empty: the flow completed as expected
  double ent_seconds = 0;       // the generator's own work as the ENT (excluded from the latency)
  double acs_seconds = 0;       // the ACS leg alone
  int ent_request_signed = -1;  // 1/0: the broker's AuthnRequest to the ENT was / was not signed
};

/// The cookies of a flow, as a browser's jar would keep them (paths ignored: every cookie the
/// broker sets is for its whole origin).
struct CookieJar {
  std::map<std::string, std::string> cookies;
  void take(const HttpReply& reply) {
    const auto set_cookie = reply.headers.find("set-cookie");
    if (set_cookie == reply.headers.end()) {
      return;
    }
    std::istringstream lines(set_cookie->second);
    for (std::string line; std::getline(lines, line);) {
      const std::string pair = line.substr(0, line.find(';'));
      const auto eq = pair.find('=');
      if (eq != std::string::npos) {
        cookies[pair.substr(0, eq)] = pair;
      }
    }
  }
  std::string header() const {
    std::string out;
    for (const auto& [name, pair] : cookies) {
      out += (out.empty() ? "" : "; ") + pair;
    }
    return out;
  }
};

bool signedRedirect(const std::string& location) {
  return location.find("&Signature=") != std::string::npos;
}

/// The decoded SAMLResponse of the broker's POST form; empty if absent or not base64.
std::string formResponse(const std::string& body) {
  constexpr std::string_view kField = "name=\"SAMLResponse\" value=\"";
  const auto at = body.find(kField);
  if (at == std::string::npos) {
    return {};
  }
  const auto from = at + kField.size();
  const auto to = body.find('"', from);
  if (to == std::string::npos) {
    return {};
  }
  auto decoded = core::base64Decode(std::string_view(body).substr(from, to - from));
  return decoded ? std::move(decoded).value() : std::string();
}

/// Direct flow: GET /launch for resource B (its transaction dropped), then the prepared POST.
FlowOutcome directFlow(const RunOptions& opt, HttpConnection& connection,
                       const std::string& launch_request, const std::string& acs_request,
                       const std::string& expected_action) {
  FlowOutcome out;
  // The launch leg: the broker checks the tile, seals the transaction and writes (and, where the
  // ENT asks, signs) its AuthnRequest to the ENT. Its transaction is not used further (the ACS leg
  // posts a prepared one): the broker's work per launch is the same, and the generator signs
  // nothing here.
  if (!opt.acs_only) {
    const HttpReply launch = connection.exchange(launch_request);
    if (launch.status != 302 || launch.headers.count("location") == 0 ||
        launch.headers.at("location").rfind(kEntSsoUrl, 0) != 0) {
      out.failure = launch.status == 0 ? "launch io (" + launch.error + ")"
                                       : "launch " + std::to_string(launch.status);
      return out;
    }
    out.ent_request_signed = signedRedirect(launch.headers.at("location")) ? 1 : 0;
  }
  const auto acs_sent = Clock::now();
  const HttpReply reply = connection.exchange(acs_request);
  out.acs_seconds = duration<double>(Clock::now() - acs_sent).count();
  if (reply.status == 0) {
    out.failure = "acs io (" + reply.error + ")";
  } else if (reply.status != 200) {
    out.failure = "acs " + std::to_string(reply.status);
  } else if (reply.body.find(expected_action) == std::string::npos ||
             reply.body.find("SAMLResponse") == std::string::npos) {
    out.failure = "acs 200 without the publisher form";
  }
  return out;
}

/// Bounce flow: the tile (GET /launch for resource A), publisher A's prepared AuthnRequest to
/// /saml/idp/sso, the ENT's Response (made here: it answers the broker's fresh AuthnRequest ID)
/// to /saml/sp/acs, and the check that publisher A gets an encrypted assertion.
FlowOutcome bounceFlow(const RunOptions& opt, const Peers& peers, HttpConnection& connection,
                       const Person& person, const std::string& launch_request,
                       const std::string& sso_target, const std::string& expected_action) {
  FlowOutcome out;
  CookieJar jar;
  const HttpReply tile = connection.exchange(launch_request);
  if (tile.status != 302 || tile.headers.count("location") == 0 ||
      tile.headers.at("location").rfind(kPublisherALoginUrl, 0) != 0) {
    out.failure =
        tile.status == 0 ? "tile io (" + tile.error + ")" : "tile " + std::to_string(tile.status);
    return out;
  }
  jar.take(tile);
  const HttpReply sso = connection.exchange(getRequest(sso_target, opt.target.port, jar.header()));
  if (sso.status != 302 || sso.headers.count("location") == 0 ||
      sso.headers.at("location").rfind(kEntSsoUrl, 0) != 0) {
    out.failure =
        sso.status == 0 ? "sso io (" + sso.error + ")" : "sso " + std::to_string(sso.status);
    return out;
  }
  jar.take(sso);
  const std::string& location = sso.headers.at("location");
  out.ent_request_signed = signedRedirect(location) ? 1 : 0;

  // The ENT's part: read the AuthnRequest, sign a Response to it.
  const auto ent_start = Clock::now();
  std::string why;
  const auto redirect = readEntRedirect(location, why);
  if (!redirect) {
    out.failure = "ent redirect: " + why;
    return out;
  }
  const std::string body =
      "SAMLResponse=" + core::urlEncode(entResponseBase64(peers.ent, redirect->first, person)) +
      "&RelayState=" + core::urlEncode(redirect->second);
  const std::string acs_request = postRequest("/saml/sp/acs", opt.target.port, body, jar.header());
  const auto acs_sent = Clock::now();
  out.ent_seconds = duration<double>(acs_sent - ent_start).count();

  const HttpReply reply = connection.exchange(acs_request);
  out.acs_seconds = duration<double>(Clock::now() - acs_sent).count();
  if (reply.status == 0) {
    out.failure = "acs io (" + reply.error + ")";
  } else if (reply.status != 200) {
    out.failure = "acs " + std::to_string(reply.status);
  } else if (reply.body.find(expected_action) == std::string::npos) {
    out.failure = "acs 200 without the publisher form";
  } else if (formResponse(reply.body).find("EncryptedAssertion") == std::string::npos) {
    out.failure = "acs 200 without an EncryptedAssertion";
  }
  return out;
}

/// Médiacentre: one GET /ressources/...; a 200 whose list holds at least one resource (checked in
/// the JSON when the answer is not compressed; a gzip answer must say so) counts, anything else
/// is an error.
FlowOutcome mediacentreFlow(const RunOptions& opt, HttpConnection& connection,
                            const std::string& request) {
  FlowOutcome out;
  const HttpReply reply = connection.exchange(request);
  if (reply.status == 0) {
    out.failure = "ressources io (" + reply.error + ")";
  } else if (reply.status != 200) {
    out.failure = "ressources " + std::to_string(reply.status);
  } else if (opt.gzip) {
    const auto encoding = reply.headers.find("content-encoding");
    if (encoding == reply.headers.end() || encoding->second != "gzip") {
      out.failure = "ressources 200 not gzip";
    }
  } else if (reply.body.find("\"idRessource\"") == std::string::npos) {
    out.failure = "ressources 200 without a resource";
  }
  return out;
}

/// Sends the prepared flows with opt.clients threads. Closed loop (each client starts its next
/// flow when the previous one is answered) unless opt.rate > 0: then flow i is due at
/// start + i / rate, a free client sends it no earlier, and its latency counts from the due time
/// (so a backlog shows in the latency instead of slowing the schedule: no coordinated omission).
/// In per-user mode each flow opens its own connection and closes it at its end. Médiacentre
/// requests are sent in turn, again and again, until the window ends.
RunResult timedRun(const RunOptions& opt, const Peers& peers, const std::vector<std::string>& ready,
                   double warmup, double measured) {
  struct PerClient {
    std::vector<double> latencies_ms;
    std::vector<double> acs_latencies_ms;
    std::map<std::string, long> errors;
    long completed = 0;
    ConnectionStats connections;
    long signed_ent_requests = 0;
    long ent_requests = 0;
    double ent_seconds = 0;
  };
  std::vector<PerClient> per_client(static_cast<std::size_t>(opt.clients));
  std::atomic<long> next{0};
  std::atomic<bool> exhausted{false};
  const auto start = Clock::now();
  const Clock::time_point window_begin =
      start + std::chrono::duration_cast<Clock::duration>(duration<double>(warmup));
  const Clock::time_point window_end =
      window_begin + std::chrono::duration_cast<Clock::duration>(duration<double>(measured));
  const bool bounce = opt.flow == Flow::kBounce;
  const bool cyclic = opt.flow == Flow::kMediacentre;
  const std::string expected_action =
      std::string("action=\"") + (bounce ? kPublisherAAcsUrl : kPublisherBAcsUrl) + "\"";
  const double cpu_before = ownCpu();
  std::pair<double, double> broker_cpu_begin{0, 0};
  std::thread cpu_probe([&] {
    std::this_thread::sleep_until(window_begin);
    broker_cpu_begin = processCpu(opt.broker_pid);
  });

  auto client = [&](PerClient& mine) {
    HttpConnection connection(opt.target);
    for (;;) {
      const long i = next.fetch_add(1);
      if (!cyclic && i >= static_cast<long>(ready.size())) {
        exhausted = true;
        break;
      }
      auto sent_at = Clock::now();
      if (opt.rate > 0) {
        const auto due =
            start + std::chrono::duration_cast<Clock::duration>(duration<double>(i / opt.rate));
        if (due >= window_end) {
          break;
        }
        std::this_thread::sleep_until(due);
        sent_at = due;
      } else if (sent_at >= window_end) {
        break;
      }
      const std::string& item = ready[static_cast<std::size_t>(i) % ready.size()];
      FlowOutcome flow;
      if (cyclic) {
        flow = mediacentreFlow(opt, connection, item);
      } else {
        const Person& person = personFor(opt, i);
        const std::string launch_request = launchRequest(opt.target.port, opt.flow, person);
        flow = bounce ? bounceFlow(opt, peers, connection, person, launch_request, item,
                                   expected_action)
                      : directFlow(opt, connection, launch_request, item, expected_action);
      }
      if (opt.per_user) {
        connection.close();  // the user leaves; the next flow is another browser's
      }
      const auto done = Clock::now();
      if (done < window_begin || done > window_end) {
        continue;
      }
      if (flow.ent_request_signed >= 0) {
        ++mine.ent_requests;
        mine.signed_ent_requests += flow.ent_request_signed;
      }
      mine.ent_seconds += flow.ent_seconds;
      if (flow.failure.empty()) {
        ++mine.completed;
        mine.latencies_ms.push_back(duration<double, std::milli>(done - sent_at).count() -
                                    1000 * flow.ent_seconds);
        mine.acs_latencies_ms.push_back(1000 * flow.acs_seconds);
      } else {
        ++mine.errors[flow.failure];
      }
    }
    mine.connections = connection.stats();
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
    result.connections.opened += mine.connections.opened;
    result.connections.resumed += mine.connections.resumed;
    result.signed_ent_requests += mine.signed_ent_requests;
    result.ent_requests += mine.ent_requests;
    result.ent_seconds += mine.ent_seconds;
  }
  std::sort(result.latencies_ms.begin(), result.latencies_ms.end());
  std::sort(result.acs_latencies_ms.begin(), result.acs_latencies_ms.end());
  result.sent = cyclic ? next.load() : std::min(next.load(), static_cast<long>(ready.size()));
  result.exhausted = exhausted.load();
  result.broker_cpu = (broker_cpu_end.first - broker_cpu_begin.first) +
                      (broker_cpu_end.second - broker_cpu_begin.second);
  result.broker_system = broker_cpu_end.second - broker_cpu_begin.second;
  result.own_cpu = ownCpu() - cpu_before;
  return result;
}

const char* flowName(Flow flow) {
  switch (flow) {
    case Flow::kBounce:
      return "bounce";
    case Flow::kMediacentre:
      return "mediacentre";
    case Flow::kDirect:
      break;
  }
  return "direct";
}

/// "off" (plain HTTP), "full" (every connection a full TLS handshake) or "resume".
const char* tlsName(const Target& t) {
  return t.tls == nullptr ? "off" : t.resume ? "resume" : "full";
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
  const bool bounce = opt.flow == Flow::kBounce;
  const bool mediacentre = opt.flow == Flow::kMediacentre;
  const char* legs = mediacentre    ? (opt.gzip ? "ressources+gzip" : "ressources")
                     : bounce       ? "tile+sso+acs"
                     : opt.acs_only ? "acs"
                                    : "launch+acs";
  // The broker's private-key operations per flow: the publisher's assertion, and the AuthnRequest
  // to the ENT when it was signed (seen in the Redirect's query). Its public-key operations: the
  // ENT Response's signature, and for the bounce flow the publisher's AuthnRequest signature and
  // the RSA-OAEP key transport of the encrypted assertion.
  // The médiacentre signs and verifies nothing (the client certificate is verified in the TLS
  // handshake, once per keep-alive connection).
  const double signatures =
      mediacentre ? 0.0
                  : 1.0 + (r.ent_requests > 0 ? static_cast<double>(r.signed_ent_requests) /
                                                    static_cast<double>(r.ent_requests)
                                              : 0.0);
  const int public_ops = mediacentre ? 0 : bounce ? 3 : 1;
  char line[1024];
  std::snprintf(
      line, sizeof line,
      "RESULT %s flow=%s conn=%s tls=%s clients=%d mode=%s legs=%s launches_per_s=%.1f "
      "completed=%ld window_s=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f "
      "acs_p50_ms=%.2f acs_p99_ms=%.2f errors=%ld broker_cores=%.2f broker_cpu_ms_per_launch=%.3f "
      "broker_system_share=%.2f broker_signatures_per_flow=%.2f broker_public_ops_per_flow=%d "
      "connections=%ld resumed=%ld loadgen_cpu_s=%.1f loadgen_ent_s=%.1f",
      what.c_str(), flowName(opt.flow), opt.per_user ? "per-user" : "per-client",
      tlsName(opt.target), opt.clients, mode.c_str(), legs, rate, r.completed, r.window,
      percentile(l, 50), percentile(l, 90), percentile(l, 99), l.empty() ? 0.0 : l.back(),
      percentile(acs, 50), percentile(acs, 99), errors,
      r.window > 0 ? r.broker_cpu / r.window : 0.0,
      r.completed > 0 ? 1000 * r.broker_cpu / static_cast<double>(r.completed) : 0.0,
      r.broker_cpu > 0 ? r.broker_system / r.broker_cpu : 0.0, signatures, public_ops,
      r.connections.opened, r.connections.resumed, r.own_cpu, r.ent_seconds);
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

/// A calibration burst: prepares and sends a few flows with the run's clients and mode,
/// returns the measured rate (flows per second).
double calibrate(const RunOptions& opt, const Peers& peers) {
  const long count = std::max(200L, 60L * opt.clients);
  const auto ready = prepare(opt, peers, count);
  RunOptions burst = opt;
  burst.rate = 0;  // closed loop: what the broker can do at this client count
  const auto t0 = Clock::now();
  const RunResult r = timedRun(burst, peers, ready, 0, 3600);
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
  Peers peers{EntSigner{*credential, opt.base + "/saml/sp/metadata", opt.base + "/saml/sp/acs",
                        opt.assertion_lifetime},
              {},
              opt.base + "/saml/idp/sso"};
  if (opt.flow == Flow::kBounce) {
    auto publisher_a = test::readCredential(paths.publisher_a_key, paths.publisher_a_cert);
    if (!publisher_a) {
      die("cannot read publisher A's key or certificate in " + opt.dir +
          " (run `launch_load setup`): " + publisher_a.error().describe());
    }
    peers.publisher_a = std::move(publisher_a).value();
  }

  std::cout << "broker " << opt.base
            << (opt.broker_pid > 0 ? " pid " + std::to_string(opt.broker_pid) : "") << ", flow "
            << flowName(opt.flow) << ", connections " << (opt.per_user ? "per user" : "per client")
            << ", TLS " << tlsName(opt.target) << ", " << opt.clients << " client(s), "
            << (opt.rate > 0 ? "open loop at " + std::to_string(opt.rate) + "/s" : "closed loop")
            << "\n";
  if (opt.broker_pid > 0) {
    std::cout << "memory at start: " << brokerMemory(opt.broker_pid) << "\n";
  }
  // Médiacentre requests are prepared once per person and sent in turn: nothing to calibrate.
  double rate = opt.launches > 0 || opt.flow == Flow::kMediacentre ? 0 : calibrate(opt, peers);
  if (rate > 0) {
    std::printf("calibration: %.0f launches/s\n", rate);
  }

  if (!opt.soak) {
    const long count =
        opt.launches > 0 ? opt.launches : launchesFor(rate, opt.warmup + opt.duration, opt.clients);
    const auto t0 = Clock::now();
    const auto ready = prepare(opt, peers, count);
    std::printf("prepared %zu %s in %.1f s\n", ready.size(),
                opt.flow == Flow::kMediacentre ? "requests" : "launches",
                duration<double>(Clock::now() - t0).count());
    if (opt.broker_pid > 0) {
      std::cout << "memory after preparing: " << brokerMemory(opt.broker_pid) << "\n";
    }
    const RunResult r = timedRun(opt, peers, ready, opt.warmup, opt.duration);
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
    const auto ready = prepare(opt, peers, launchesFor(rate, seconds, opt.clients));
    const RunResult r = timedRun(opt, peers, ready, 0, seconds);
    report(opt, r, "round" + std::to_string(round));
    std::cout << "  memory after round " << round << ": " << brokerMemory(opt.broker_pid) << "\n";
    total.window += r.window;
    total.completed += r.completed;
    total.broker_cpu += r.broker_cpu;
    total.broker_system += r.broker_system;
    total.own_cpu += r.own_cpu;
    total.connections.opened += r.connections.opened;
    total.connections.resumed += r.connections.resumed;
    total.signed_ent_requests += r.signed_ent_requests;
    total.ent_requests += r.ent_requests;
    total.ent_seconds += r.ent_seconds;
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

// ---- The public-key bound (pkbound) -----------------------------------------------------------

/// CPU seconds of the calling thread.
double threadCpu() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

/// Runs `op` for about `seconds` of this thread's CPU, returns CPU microseconds per call.
template <typename Op>
double cpuMicros(double seconds, Op op) {
  for (int i = 0; i < 20; ++i) {
    op();  // warm-up
  }
  long calls = 0;
  const double start = threadCpu();
  double used = 0;
  do {
    for (int i = 0; i < 20; ++i) {
      op();
    }
    calls += 20;
    used = threadCpu() - start;
  } while (used < seconds);
  return 1e6 * used / static_cast<double>(calls);
}

/// The broker's public-key operations timed alone, in CPU time (comparable with the broker's CPU
/// per flow, which /proc gives in CPU time too), each with a context prepared once, as the broker
/// does (saml/pkey_ops.h) and as `openssl speed` loops: an RSA-2048 PKCS#1 v1.5 signature of a
/// SHA-256 digest, its verification, and the RSA-OAEP (SHA-1, MGF1-SHA-1) encryption of a 32-byte
/// AES key. One thread, a fresh key.
int runPkBound(double seconds) {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  EVP_PKEY_CTX* sign_ctx = key != nullptr ? EVP_PKEY_CTX_new(key, nullptr) : nullptr;
  EVP_PKEY_CTX* verify_ctx = key != nullptr ? EVP_PKEY_CTX_new(key, nullptr) : nullptr;
  EVP_PKEY_CTX* oaep_ctx = key != nullptr ? EVP_PKEY_CTX_new(key, nullptr) : nullptr;
  if (sign_ctx == nullptr || verify_ctx == nullptr || oaep_ctx == nullptr ||
      EVP_PKEY_sign_init(sign_ctx) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(sign_ctx, RSA_PKCS1_PADDING) != 1 ||
      EVP_PKEY_CTX_set_signature_md(sign_ctx, EVP_sha256()) != 1 ||
      EVP_PKEY_verify_init(verify_ctx) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(verify_ctx, RSA_PKCS1_PADDING) != 1 ||
      EVP_PKEY_CTX_set_signature_md(verify_ctx, EVP_sha256()) != 1 ||
      EVP_PKEY_encrypt_init(oaep_ctx) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(oaep_ctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(oaep_ctx, EVP_sha1()) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(oaep_ctx, EVP_sha1()) != 1) {
    die("cannot prepare the RSA-2048 contexts");
  }
  unsigned char digest[32];
  std::memset(digest, 0x5a, sizeof digest);
  std::vector<unsigned char> signature(256);
  std::size_t signature_size = signature.size();
  auto sign = [&] {
    signature_size = signature.size();
    if (EVP_PKEY_sign(sign_ctx, signature.data(), &signature_size, digest, sizeof digest) != 1) {
      die("EVP_PKEY_sign failed");
    }
  };
  auto verify = [&] {
    if (EVP_PKEY_verify(verify_ctx, signature.data(), signature_size, digest, sizeof digest) != 1) {
      die("EVP_PKEY_verify failed");
    }
  };
  const std::string aes_key(32, 'k');
  std::vector<unsigned char> wrapped(256);
  auto oaep = [&] {
    std::size_t size = wrapped.size();
    if (EVP_PKEY_encrypt(oaep_ctx, wrapped.data(), &size,
                         reinterpret_cast<const unsigned char*>(aes_key.data()),
                         aes_key.size()) != 1) {
      die("RSA-OAEP encryption failed");
    }
  };
  sign();
  const double sign_us = cpuMicros(seconds, sign);
  const double verify_us = cpuMicros(seconds / 2, verify);
  const double oaep_us = cpuMicros(seconds / 2, oaep);
  EVP_PKEY_CTX_free(sign_ctx);
  EVP_PKEY_CTX_free(verify_ctx);
  EVP_PKEY_CTX_free(oaep_ctx);
  EVP_PKEY_free(key);
  std::printf("PKBOUND rsa2048_sign_us=%.1f rsa2048_verify_us=%.1f rsa2048_oaep_encrypt_us=%.1f\n",
              sign_us, verify_us, oaep_us);
  return 0;
}

void usage() {
  std::cerr
      << "usage: launch_load setup --dir DIR\n"
         "       launch_load run --base http[s]://127.0.0.1:PORT --dir DIR\n"
         "           [--flow direct|bounce|mediacentre] [--persons FILE] [--gzip]\n"
         "           [--client-cert PEM [--client-key PEM]]\n"
         "           [--connections per-user|per-client] [--resume] [--clients N]\n"
         "           [--duration 20s] [--warmup 3s] [--rate R] [--launches M] [--prep-threads 2]\n"
         "           [--assertion-lifetime 5m] [--broker-pid PID] [--label TEXT]\n"
         "           [--acs-only] [--soak [--soak-total 10m] [--round 60s]]\n"
         "       launch_load pkbound [--seconds 2]\n"
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
    if (name == "--soak" || name == "--acs-only" || name == "--resume" || name == "--gzip") {
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
  } else if (command == "pkbound") {
    const double seconds = parseDuration(take("--seconds", "2"));
    if (!args.empty()) {
      usage();
    }
    status = runPkBound(seconds);
  } else if (command == "run") {
    RunOptions opt;
    opt.base = take("--base");
    opt.dir = take("--dir");
    const std::string flow = take("--flow", "direct");
    const std::string connections = take("--connections", "per-user");
    const bool resume = take("--resume") == "1";
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
    opt.persons = readPersons(take("--persons"));
    opt.gzip = take("--gzip") == "1";
    const std::string client_cert = take("--client-cert");
    const std::string client_key = take("--client-key", client_cert);
    const std::string http = "http://127.0.0.1:";
    const std::string https = "https://127.0.0.1:";
    const bool tls = opt.base.rfind(https, 0) == 0;
    if (!args.empty() || opt.dir.empty() || (!tls && opt.base.rfind(http, 0) != 0) ||
        opt.clients < 1 || opt.prep_threads < 1 ||
        (flow != "direct" && flow != "bounce" && flow != "mediacentre") ||
        (!client_cert.empty() && !tls) || (opt.gzip && flow != "mediacentre") ||
        (connections != "per-user" && connections != "per-client") || (resume && !tls) ||
        (opt.acs_only && flow != "direct")) {
      usage();
    }
    opt.flow = flow == "bounce"        ? Flow::kBounce
               : flow == "mediacentre" ? Flow::kMediacentre
                                       : Flow::kDirect;
    opt.per_user = connections == "per-user";
    opt.target.port =
        static_cast<std::uint16_t>(std::stoi(opt.base.substr(tls ? https.size() : http.size())));
    opt.target.tls = tls ? makeClientTls(client_cert, client_key) : nullptr;
    opt.target.resume = resume;
    status = runLoad(opt);
    if (opt.target.tls != nullptr) {
      SSL_CTX_free(opt.target.tls);
    }
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
