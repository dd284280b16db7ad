// One connection: TLS handshake, keep-alive loop of read -> convert -> handle -> write, timeouts,
// the HTTP layer's own refusals, lingering close, graceful shutdown. Stream is TcpStream (plain,
// loopback only) or ssl_stream<TcpStream>.

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <memory>
#include <optional>

#include "broker/http/server_impl.h"
#include "broker/http/tls_context.h"
#include "broker/http/wire_beast.h"
#include "broker/metrics.h"

namespace garde::broker::http {
namespace {

namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;

// The first read of a keep-alive request: room for a whole POSTed SAML Response (ENT Responses
// are usually under 16 KiB), so that the header and body usually arrive in one read
// instead of a header read and further body reads, each with its own timer (ADR 0007).
constexpr std::size_t kIdleReadBytes = 16 * 1024;

// A lingering close reads and drops at most this much of what the client still sends.
constexpr std::size_t kLingerMaxBytes = 1024 * 1024;

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
    kLingering,
    kClosing
  };

 public:
  template <class... Args>
  Session(Server::Impl& server, std::string peer, Args&&... args)
      : server_(server), stream_(std::forward<Args>(args)...), body_timer_(stream_.get_executor()) {
    connection_.peer = std::move(peer);
    connection_.tls = kTls;
  }

  ~Session() override { server_.unregisterSession(this, connection_.peer); }

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
      if (ec == beast::error::timeout) {
        server_.connectionEvent("handshake_timeout", "TLS handshake not finished in time",
                                "server.header_timeout");
      } else {
        kHttpLog.debug("TLS handshake failed", {{"error", ec.message()}});
      }
      closeNow();
      return;
    }
    if constexpr (kTls) {
      connection_.client_cert = peerIdentity(stream_.native_handle());
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
    started_at_ = SteadyClock::now();
    if (parser_->is_done()) {
      process();
      return;
    }
    // The body's deadline is a timer of ours, not the stream's: the stream closes the socket when
    // its own deadline passes, and the client must still get its 408.
    state_ = State::kReadingBody;
    tcp().expires_never();
    body_timed_out_ = false;
    body_timer_.expires_after(opts().body_timeout);
    body_timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (!ec && self->state_ == State::kReadingBody) {
        self->body_timed_out_ = true;
        beast::error_code ignored;
        self->tcp().socket().cancel(ignored);
      }
    });
    bhttp::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->onBody(ec); });
  }

  void onBody(beast::error_code ec) {
    body_timer_.cancel();
    if (ec && body_timed_out_) {
      ec = beast::error::timeout;
    }
    if (ec) {
      onReadError(ec);
      return;
    }
    process();
  }

  void onReadError(beast::error_code ec) {
    if (auto refusal = refusalForReadError(ec)) {
      replyRefusal(std::move(*refusal), /*keep_alive=*/false);
      return;
    }
    if (ec == beast::error::timeout) {
      if (state_ == State::kReadingBody) {
        // A Content-Length larger than what was sent, or a body trickled: answered, then closed.
        server_.connectionEvent("body_timeout", "request body not received in time",
                                "server.body_timeout");
        replyRefusal(Refusal{408, "body_timeout", "the body did not arrive within the timeout"},
                     false);
        return;
      }
      // A request line and headers that do not arrive (slowloris), or a connection that never
      // sends anything: closed without an answer.
      server_.connectionEvent("header_timeout",
                              parser_ && parser_->got_some()
                                  ? "request header not received in time (partial header)"
                                  : "no request received in time",
                              "server.header_timeout");
    }
    // End of stream, timeout, reset, TLS error, shutdown.
    closeNow();
  }

  /// Answers what the HTTP layer refuses itself: the refusal page, a warn line with the reason.
  /// `keep_alive` only when the request was read whole.
  void replyRefusal(Refusal refusal, bool keep_alive, Request req = {}) {
    if (started_at_ == SteadyClock::time_point{}) {
      started_at_ = SteadyClock::now();
    }
    if (req.request_id.empty()) {
      req.request_id = newRequestId();
      req.is_tls = kTls;
      req.peer = connection_.peer;
      if (parser_ && parser_->is_header_done()) {
        req.method = std::string(parser_->get().method_string());
      }
    }
    kHttpLog.warn("request refused", {{"request_id", req.request_id},
                                      {"status", std::to_string(refusal.status)},
                                      {"reason", refusal.reason},
                                      {"detail", refusal.detail}});
    if (Metrics* m = server_.metrics()) {
      m->httpRefusal(refusal.reason);
    }
    Response res = opts().refusal_page(req, refusal);
    res.status = refusal.status;
    linger_ = !keep_alive;
    respond(req, std::move(res), keep_alive && !server_.stopping());
  }

  void process() {
    state_ = State::kHandling;
    auto& msg = parser_->get();
    const bool keep_alive = msg.keep_alive();
    Inbound in = fromWire(msg, connection_);
    if (in.refusal) {
      replyRefusal(std::move(*in.refusal), keep_alive, std::move(in.request));
      return;
    }
    Request& req = in.request;
    Response res;
    if (Metrics* m = server_.metrics()) {
      m->requestStarted();
    }
    try {
      res = server_.handle(req);
    } catch (const std::exception& e) {
      kHttpLog.error("handler failed",
                     {{"request_id", req.request_id}, {"route", req.route}, {"error", e.what()}});
      res = Response::text(500, "Internal error. Reference: " + req.request_id + "\n");
    } catch (...) {
      kHttpLog.error("handler failed with a non-standard exception",
                     {{"request_id", req.request_id}, {"route", req.route}});
      res = Response::text(500, "Internal error. Reference: " + req.request_id + "\n");
    }
    if (Metrics* m = server_.metrics()) {
      m->requestFinished();
    }
    respond(req, std::move(res), keep_alive && !server_.stopping());
  }

  void respond(const Request& req, Response res, bool keep_alive) {
    const int status = res.status;
    core::OwnedLogFields log_fields = std::move(res.log_fields);
    response_.emplace();
    toWire(req, std::move(res), ResponseOptions{keep_alive, kTls}, *response_);
    keep_alive_ = keep_alive;

    const double seconds = std::chrono::duration<double>(SteadyClock::now() - started_at_).count();
    if (Metrics* m = server_.metrics()) {
      m->observeRequest(req.route, status, seconds);
    }
    kHttpLog.log(
        core::LogLevel::kInfo, "request",
        {{"request_id", req.request_id},
         {"method", req.method},
         {"route", req.route.empty() ? std::string_view("unmatched") : std::string_view(req.route)},
         {"status", std::to_string(status)},
         {"ms", std::to_string(static_cast<long long>(seconds * 1000))}},
        log_fields);

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
    if (!ec && linger_) {
      lingerThenClose();
      return;
    }
    if (ec || !keep_alive_ || server_.stopping()) {
      closeGracefully();
      return;
    }
    readRequest(false);
  }

  /// An answer sent before the request was read whole: closing now, with the client's bytes
  /// still unread, would make the kernel reset the connection, and the client might lose the
  /// answer. So the write side is closed first (plain TCP), then what the client still sends is
  /// read and dropped until it closes, linger_timeout passes or kLingerMaxBytes were read.
  void lingerThenClose() {
    state_ = State::kLingering;
    if constexpr (!kTls) {
      beast::error_code ignored;
      tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
    tcp().expires_after(opts().linger_timeout);
    lingered_ = 0;
    lingerRead();
  }

  void lingerRead() {
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(kIdleReadBytes),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->lingered_ += n;
                              if (ec || self->lingered_ >= kLingerMaxBytes) {
                                self->closeGracefully();
                                return;
                              }
                              self->lingerRead();
                            });
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
    body_timer_.cancel();
    beast::error_code ignored;
    // Cancels pending operations; the session dies with its last handler.
    tcp().socket().close(ignored);
  }

  Server::Impl& server_;
  ConnectionInfo connection_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<WireResponse> response_;
  State state_ = State::kHandshake;
  bool keep_alive_ = false;
  bool linger_ = false;
  std::size_t lingered_ = 0;
  net::steady_timer body_timer_;
  bool body_timed_out_ = false;
  SteadyClock::time_point started_at_{};
};

}  // namespace

void startSession(Server::Impl& server, PeerSocket socket, std::string peer) {
  if (server.options().tls) {
    auto s = std::make_shared<Session<beast::ssl_stream<TcpStream>>>(
        server, std::move(peer), std::move(socket), server.tls());
    server.registerSession(s.get(), s);
    s->run();
  } else {
    auto s = std::make_shared<Session<TcpStream>>(server, std::move(peer), std::move(socket));
    server.registerSession(s.get(), s);
    s->run();
  }
}

}  // namespace garde::broker::http
