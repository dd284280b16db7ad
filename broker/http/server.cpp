#include "broker/http/server.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <condition_variable>
#include <csignal>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

#include "broker/metrics.h"
#include "core/encoding.h"
#include "core/log.h"
#include "core/random.h"

namespace garde::broker::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using Clock = std::chrono::steady_clock;
// A connection's executor, named rather than type-erased (beast::tcp_stream's any_io_executor):
// every async operation copies, prefers and requires its executor, and through any_io_executor each
// of those is an indirect call and a reference count (about 1 % of a launch in the profile).
using ConnectionStrand = net::strand<net::io_context::executor_type>;
using TcpStream = beast::basic_stream<tcp, ConnectionStrand>;
using PeerSocket = tcp::socket::rebind_executor<ConnectionStrand>::other;

constexpr core::Logger kLog("broker.http");

// The first read of a keep-alive request: room for a whole POSTed SAML Response (ENT Responses
// are usually under 16 KiB), so that the header and body usually arrive in one read
// instead of a header read and further body reads, each with its own timer (ADR 0007).
constexpr std::size_t kIdleReadBytes = 16 * 1024;

// Mozilla "intermediate" TLS 1.2 suites (TLS 1.3 suites are OpenSSL's defaults, all AEAD).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string newRequestId() { return core::hexEncode(core::systemRandom().bytes(12)); }

/// Header names a handler may not set: the server owns framing.
bool isFramingHeader(std::string_view name) {
  const std::string n = lower(name);
  return n == "content-length" || n == "transfer-encoding" || n == "connection" ||
         n == "keep-alive" || n == "upgrade";
}

ssl::context makeTlsContext(const ServerOptions& o) {
  ssl::context ctx(ssl::context::tls_server);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                  ssl::context::single_dh_use | ssl::context::no_compression);
  SSL_CTX* native = ctx.native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    throw std::runtime_error("TLS: cannot restrict the context to TLS 1.2+ with AEAD suites");
  }
  if (o.tls_cert_pem.empty() || o.tls_key_pem.empty()) {
    throw std::runtime_error(
        "TLS: server.tls_cert_file and server.tls_key_file are required for HTTPS");
  }
  beast::error_code ec;
  ctx.use_certificate_chain(net::buffer(o.tls_cert_pem), ec);
  if (ec) {
    throw std::runtime_error("TLS: cannot load the certificate chain (server.tls_cert_file): " +
                             ec.message());
  }
  ctx.use_private_key(net::buffer(o.tls_key_pem), ssl::context::pem, ec);
  if (ec) {
    throw std::runtime_error("TLS: cannot load the private key (server.tls_key_file): " +
                             ec.message());
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    throw std::runtime_error("TLS: the private key does not match the certificate");
  }
  return ctx;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Server::Impl: acceptor, threads, and the registry of live sessions (for graceful shutdown).

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  /// Posted to the session's strand at shutdown: close now unless a request is being handled.
  virtual void beginShutdown() = 0;
  /// Posted to the session's strand after the grace period: close whatever the state.
  virtual void forceClose() = 0;
};

class Server::Impl {
 public:
  Impl(ServerOptions options, ServerHandler handler, Metrics* metrics)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        metrics_(metrics),
        iocs_(makeIoContexts(threadCount())),
        acceptor_strand_(net::make_strand(*iocs_.front())),
        acceptor_(acceptor_strand_),
        retry_timer_(acceptor_strand_) {
    beast::error_code ec;
    address_ = net::ip::make_address(options_.address, ec);
    if (ec) {
      throw std::runtime_error("server.listen_address: not an IP address: \"" + options_.address +
                               "\"");
    }
    if (options_.tls) {
      tls_.emplace(makeTlsContext(options_));
    } else if (!options_.allow_plain_http_on_loopback || !address_.is_loopback()) {
      throw std::runtime_error(
          "refusing to serve plain HTTP on " + options_.address +
          ": plain HTTP is allowed only on a loopback address (127.0.0.1 or ::1) with "
          "server.plain_http_loopback = true; configure server.tls_cert_file and "
          "server.tls_key_file");
    }
  }

  unsigned threadCount() const {
    if (options_.threads > 0) {
      return options_.threads;
    }
    return std::max(1u, std::thread::hardware_concurrency());
  }

  // One io_context per I/O thread, each run by its thread alone: a connection lives on one of them
  // (round robin at accept) for its whole life, so its handlers never hop threads and a thread
  // waits in its own epoll set instead of handing events to another through the scheduler's mutex
  // and condition variable (measured: docs/performance.md).
  static std::vector<std::unique_ptr<net::io_context>> makeIoContexts(unsigned n) {
    std::vector<std::unique_ptr<net::io_context>> out;
    out.reserve(n);
    for (unsigned i = 0; i < n; ++i) {
      out.push_back(std::make_unique<net::io_context>(1));
    }
    return out;
  }

  /// The io_context of the next connection (round robin).
  net::io_context& nextIoContext() { return *iocs_[next_ioc_++ % iocs_.size()]; }

  void start() {
    const tcp::endpoint endpoint(address_, options_.port);
    beast::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) {
      acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
      acceptor_.bind(endpoint, ec);
    }
    if (!ec) {
      acceptor_.listen(net::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      throw std::runtime_error("cannot listen on " + options_.address + ":" +
                               std::to_string(options_.port) + ": " + ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    // Keeps run() from returning when momentarily out of work (e.g. between the last session
    // closing and stop() posting to the acceptor strand); released by stop().
    for (auto& ioc : iocs_) {
      work_.emplace_back(ioc->get_executor());
    }
    net::dispatch(acceptor_strand_, [this] { accept(); });
    const auto n = static_cast<unsigned>(iocs_.size());
    threads_.reserve(n);
    for (auto& ioc : iocs_) {
      threads_.emplace_back([ioc = ioc.get()] { ioc->run(); });
    }
    started_ = true;
    kLog.info("listening", {{"address", options_.address},
                            {"port", std::to_string(port_)},
                            {"tls", options_.tls ? "true" : "false"},
                            {"threads", std::to_string(n)}});
  }

  void stop(std::chrono::milliseconds grace) {
    std::lock_guard stop_lock(stop_mutex_);
    if (!started_ || stopped_) {
      return;
    }
    stopped_ = true;
    kLog.info("shutting down", {{"grace_ms", std::to_string(grace.count())}});
    stopping_.store(true);
    // On the acceptor's strand, so no session can be registered after the snapshot.
    notifySessions(&SessionBase::beginShutdown, /*close_acceptor=*/true);
    if (!waitForSessions(Clock::now() + grace)) {
      kLog.warn("grace period over: closing connections still open",
                {{"connections", std::to_string(sessionCount())}});
      notifySessions(&SessionBase::forceClose, false);
      waitForSessions(Clock::now() + std::chrono::seconds(2));
    }
    work_.clear();
    for (auto& ioc : iocs_) {
      ioc->stop();
    }
    for (auto& t : threads_) {
      t.join();
    }
    threads_.clear();
    kLog.info("stopped");
  }

  // Called by sessions.
  const ServerOptions& options() const { return options_; }
  ssl::context& tls() { return *tls_; }
  bool stopping() const { return stopping_.load(); }
  Metrics* metrics() const { return metrics_; }

  Response handle(Request& req) { return handler_(req); }

  void registerSession(SessionBase* s, std::weak_ptr<SessionBase> w) {
    std::lock_guard lock(sessions_mutex_);
    sessions_.emplace(s, std::move(w));
  }
  void unregisterSession(SessionBase* s) {
    std::lock_guard lock(sessions_mutex_);
    sessions_.erase(s);
    if (sessions_.empty()) {
      sessions_cv_.notify_all();
    }
  }

  std::uint16_t port() const { return port_; }
  bool started() const { return started_; }

 private:
  void accept();
  void onAccept(beast::error_code ec, PeerSocket socket);

  std::size_t sessionCount() {
    std::lock_guard lock(sessions_mutex_);
    return sessions_.size();
  }

  bool waitForSessions(Clock::time_point deadline) {
    std::unique_lock lock(sessions_mutex_);
    return sessions_cv_.wait_until(lock, deadline, [this] { return sessions_.empty(); });
  }

  void notifySessions(void (SessionBase::*fn)(), bool close_acceptor) {
    std::promise<void> done;
    net::post(acceptor_strand_, [&] {
      if (close_acceptor) {
        beast::error_code ignored;
        acceptor_.close(ignored);
        retry_timer_.cancel();
      }
      std::vector<std::shared_ptr<SessionBase>> live;
      {
        std::lock_guard lock(sessions_mutex_);
        for (auto& [ptr, weak] : sessions_) {
          if (auto s = weak.lock()) {
            live.push_back(std::move(s));
          }
        }
      }
      for (auto& s : live) {
        (s.get()->*fn)();
      }
      done.set_value();
    });
    done.get_future().wait();
  }

  // Declaration order matters for destruction: the io_contexts go first (destroying any handler
  // still queued, hence any session, which unregisters itself from the members below).
  ServerOptions options_;
  ServerHandler handler_;
  Metrics* metrics_;
  net::ip::address address_;
  std::optional<ssl::context> tls_;
  std::mutex sessions_mutex_;
  std::condition_variable sessions_cv_;
  std::unordered_map<SessionBase*, std::weak_ptr<SessionBase>> sessions_;
  std::atomic<bool> stopping_{false};
  std::mutex stop_mutex_;
  bool started_ = false;
  bool stopped_ = false;
  std::uint16_t port_ = 0;
  std::vector<std::thread> threads_;
  std::vector<std::unique_ptr<net::io_context>> iocs_;
  std::size_t next_ioc_ = 0;  // on the acceptor's strand only
  net::strand<net::io_context::executor_type> acceptor_strand_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_timer_;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> work_;
};

// ---------------------------------------------------------------------------------------------
// One connection. Stream is TcpStream (plain, loopback only) or ssl_stream<TcpStream>.

template <class Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, TcpStream>;
  enum class State {
    kHandshake,
    kIdle,
    kReadingHeader,
    kReadingBody,
    kHandling,
    kWriting,
    kClosing
  };

 public:
  template <class... Args>
  Session(Server::Impl& server, std::string peer, Args&&... args)
      : server_(server), peer_(std::move(peer)), stream_(std::forward<Args>(args)...) {}

  ~Session() override { server_.unregisterSession(this); }

  void run() {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->begin(); });
  }

  void beginShutdown() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      // A request being read (body), handled or written finishes; its response says Connection:
      // close.
      if (self->state_ == State::kHandshake || self->state_ == State::kIdle ||
          self->state_ == State::kReadingHeader) {
        self->closeNow();
      }
    });
  }

  void forceClose() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] { self->closeNow(); });
  }

 private:
  const ServerOptions& opts() const { return server_.options(); }
  TcpStream& tcp() { return beast::get_lowest_layer(stream_); }

  void begin() {
    if (server_.stopping()) {
      closeNow();
      return;
    }
    if constexpr (kTls) {
      state_ = State::kHandshake;
      tcp().expires_after(opts().header_timeout);
      stream_.async_handshake(
          ssl::stream_base::server,
          [self = this->shared_from_this()](beast::error_code ec) { self->onHandshake(ec); });
    } else {
      readRequest(/*first=*/true);
    }
  }

  void onHandshake(beast::error_code ec) {
    if (ec) {
      kLog.debug("TLS handshake failed", {{"error", ec.message()}});
      closeNow();
      return;
    }
    readRequest(true);
  }

  void readRequest(bool first) {
    parser_.emplace();
    parser_->body_limit(opts().body_limit);
    parser_->header_limit(static_cast<std::uint32_t>(opts().header_limit));
    if (!first && buffer_.size() == 0) {
      // Keep-alive: wait for the first byte of the next request with the idle timeout, then
      // read the header with the header timeout.
      state_ = State::kIdle;
      tcp().expires_after(opts().idle_timeout);
      stream_.async_read_some(
          buffer_.prepare(kIdleReadBytes),
          [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
            self->onIdleData(ec, n);
          });
      return;
    }
    readHeader();
  }

  void onIdleData(beast::error_code ec, std::size_t n) {
    if (ec) {
      closeNow();  // idle timeout, peer closed, or shutdown
      return;
    }
    buffer_.commit(n);
    readHeader();
  }

  void readHeader() {
    state_ = State::kReadingHeader;
    tcp().expires_after(opts().header_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                               self->onHeader(ec);
                             });
  }

  void onHeader(beast::error_code ec) {
    if (ec) {
      onReadError(ec);
      return;
    }
    started_at_ = Clock::now();
    if (parser_->is_done()) {
      process();
      return;
    }
    state_ = State::kReadingBody;
    tcp().expires_after(opts().body_timeout);
    bhttp::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->onBody(ec); });
  }

  void onBody(beast::error_code ec) {
    if (ec) {
      onReadError(ec);
      return;
    }
    process();
  }

  void onReadError(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) {
      replyError(413, "Request body too large\n");
    } else if (ec == bhttp::error::header_limit) {
      replyError(431, "Request header too large\n");
    } else if (ec.category() == beast::error_code(bhttp::error::bad_target).category() &&
               ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
      replyError(400, "Bad request\n");  // an HTTP parse error: tell the client, then close
    } else {
      // end of stream, timeout (the header timeout closes silently), reset, TLS error, shutdown.
      if (ec == beast::error::timeout) {
        kLog.debug("connection timed out",
                   {{"state", state_ == State::kReadingBody ? "body" : "header"}});
      }
      closeNow();
    }
  }

  /// Answers a request that could not be read completely, then closes.
  void replyError(int status, std::string body) {
    if (started_at_ == Clock::time_point{}) {
      started_at_ = Clock::now();
    }
    Request req;
    req.request_id = newRequestId();
    req.is_tls = kTls;
    if (parser_ && parser_->is_header_done()) {
      req.method = std::string(parser_->get().method_string());
    }
    respond(req, Response::text(status, std::move(body)), /*keep_alive=*/false);
  }

  void process() {
    state_ = State::kHandling;
    auto& msg = parser_->get();
    Request req;
    req.request_id = newRequestId();
    req.is_tls = kTls;
    req.peer = peer_;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    Response res;
    bool handled = false;
    if (req.target.empty() || req.target.front() != '/') {
      res = Response::text(400, "Bad request: expected an origin-form target\n");
      handled = true;
    }
    const std::size_t q = req.target.find('?');
    req.path = req.target.substr(0, q);
    if (!handled && q != std::string::npos) {
      auto query = parseUrlEncoded(std::string_view(req.target).substr(q + 1));
      if (!query) {
        res = Response::text(400, "Bad request: malformed query string\n");
        handled = true;
      } else {
        req.query = std::move(query).value();
      }
    }
    for (const auto& field : msg) {
      std::string name = lower(field.name_string());
      if (name == "cookie") {
        parseCookieHeader(field.value(), req.cookies);
      }
      req.headers.emplace(std::move(name), std::string(field.value()));
    }
    req.body = std::move(msg.body());
    if (!handled) {
      if (const std::string* ct = req.header("content-type")) {
        const std::string media = lower(std::string_view(*ct).substr(0, ct->find(';')));
        const auto end = media.find_last_not_of(" \t");
        if (media.substr(0, end == std::string::npos ? 0 : end + 1) ==
            "application/x-www-form-urlencoded") {
          auto form = parseUrlEncoded(req.body);
          if (!form) {
            res = Response::text(400, "Bad request: malformed form body\n");
            handled = true;
          } else {
            req.form = std::move(form).value();
          }
        }
      }
    }
    if (!handled) {
      if (Metrics* m = server_.metrics()) {
        m->requestStarted();
      }
      try {
        res = server_.handle(req);
      } catch (const std::exception& e) {
        kLog.error("handler failed",
                   {{"request_id", req.request_id}, {"route", req.route}, {"error", e.what()}});
        res = Response::text(500, "Internal error. Reference: " + req.request_id + "\n");
      } catch (...) {
        kLog.error("handler failed with a non-standard exception",
                   {{"request_id", req.request_id}, {"route", req.route}});
        res = Response::text(500, "Internal error. Reference: " + req.request_id + "\n");
      }
      if (Metrics* m = server_.metrics()) {
        m->requestFinished();
      }
    }
    const bool keep_alive = msg.keep_alive() && !server_.stopping();
    respond(req, std::move(res), keep_alive);
  }

  void respond(const Request& req, Response res, bool keep_alive) {
    response_.emplace();
    auto& out = *response_;
    out.version(11);
    out.result(static_cast<unsigned>(res.status >= 100 && res.status <= 999 ? res.status : 500));
    for (auto& [name, value] : res.headers) {
      if (!isFramingHeader(name)) {
        out.insert(name, value);
      }
    }
    for (const SetCookie& c : res.cookies) {
      out.insert(bhttp::field::set_cookie, formatSetCookie(c, kTls));
    }
    const auto setDefault = [&](std::string_view name, std::string_view v) {
      if (out.find(name) == out.end()) {
        out.set(name, v);
      }
    };
    setDefault("Cache-Control", "no-store");
    setDefault("Content-Security-Policy", "frame-ancestors 'none'");
    out.set("X-Content-Type-Options", "nosniff");
    out.set("Referrer-Policy", "no-referrer");
    out.set("X-Frame-Options", "DENY");
    if (kTls) {
      out.set(bhttp::field::strict_transport_security, "max-age=31536000");
    }
    out.set(bhttp::field::server, "garde");
    out.set("X-Request-Id", req.request_id);
    const std::size_t body_size = res.body.size();
    out.body() = std::move(res.body);
    out.keep_alive(keep_alive);
    out.prepare_payload();
    if (req.method == "HEAD") {
      out.body().clear();
      out.content_length(body_size);
    }
    keep_alive_ = keep_alive;

    const double seconds = std::chrono::duration<double>(Clock::now() - started_at_).count();
    if (Metrics* m = server_.metrics()) {
      m->observeRequest(req.route, res.status, seconds);
    }
    kLog.log(
        core::LogLevel::kInfo, "request",
        {{"request_id", req.request_id},
         {"method", req.method},
         {"route", req.route.empty() ? std::string_view("unmatched") : std::string_view(req.route)},
         {"status", std::to_string(res.status)},
         {"ms", std::to_string(static_cast<long long>(seconds * 1000))}},
        res.log_fields);

    state_ = State::kWriting;
    tcp().expires_after(opts().body_timeout);
    bhttp::async_write(stream_, *response_,
                       [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                         self->onWrite(ec);
                       });
  }

  void onWrite(beast::error_code ec) {
    response_.reset();
    started_at_ = {};
    if (ec || !keep_alive_ || server_.stopping()) {
      closeGracefully();
      return;
    }
    readRequest(false);
  }

  void closeGracefully() {
    state_ = State::kClosing;
    if constexpr (kTls) {
      tcp().expires_after(std::chrono::seconds(2));
      stream_.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) { self->closeNow(); });
    } else {
      beast::error_code ignored;
      tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
      closeNow();
    }
  }

  void closeNow() {
    state_ = State::kClosing;
    beast::error_code ignored;
    tcp().socket().close(
        ignored);  // cancels pending operations; the session dies with its last handler
  }

  Server::Impl& server_;
  std::string peer_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::response<bhttp::string_body>> response_;
  State state_ = State::kHandshake;
  bool keep_alive_ = false;
  Clock::time_point started_at_{};
};

void Server::Impl::accept() {
  acceptor_.async_accept(
      net::make_strand(nextIoContext()),
      [this](beast::error_code ec, PeerSocket socket) { onAccept(ec, std::move(socket)); });
}

void Server::Impl::onAccept(beast::error_code ec, PeerSocket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) {
    return;
  }
  if (ec) {
    // e.g. EMFILE: back off briefly instead of spinning.
    kLog.warn("accept failed", {{"error", ec.message()}});
    retry_timer_.expires_after(std::chrono::milliseconds(100));
    retry_timer_.async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec) {
        accept();
      }
    });
    return;
  }
  beast::error_code peer_ec;
  const auto remote = socket.remote_endpoint(peer_ec);
  std::string peer = peer_ec ? std::string() : remote.address().to_string();
  std::shared_ptr<SessionBase> session;
  if (tls_) {
    auto s = std::make_shared<Session<beast::ssl_stream<TcpStream>>>(*this, std::move(peer),
                                                                     std::move(socket), *tls_);
    registerSession(s.get(), s);
    s->run();
  } else {
    auto s = std::make_shared<Session<TcpStream>>(*this, std::move(peer), std::move(socket));
    registerSession(s.get(), s);
    s->run();
  }
  accept();
}

// ---------------------------------------------------------------------------------------------

Server::Server(ServerOptions options, ServerHandler handler, Metrics* metrics)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler), metrics)) {}

Server::~Server() { stop(std::chrono::milliseconds(0)); }

void Server::start() { impl_->start(); }

std::uint16_t Server::port() const noexcept { return impl_->port(); }

void Server::stop(std::chrono::milliseconds grace) { impl_->stop(grace); }

void Server::stop() { impl_->stop(impl_->options().shutdown_grace); }

void Server::runUntilSignal() {
  net::io_context signals_ioc(1);
  net::signal_set signals(signals_ioc, SIGINT, SIGTERM);
  signals.async_wait([](beast::error_code ec, int signal_number) {
    if (!ec) {
      kLog.info("signal received", {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"}});
    }
  });
  signals_ioc.run();
  stop();
}

}  // namespace garde::broker::http
