#pragma once
// Internal to broker/http/: Server::Impl (acceptor, I/O threads, connection limits and the registry
// of live sessions) and the types the sessions share with it.

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "broker/http/server.h"
#include "core/log.h"

namespace garde::broker::http {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = boost::asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
// A connection's executor, named rather than type-erased (beast::tcp_stream's any_io_executor):
// every async operation copies, prefers and requires its executor, and through any_io_executor each
// of those is an indirect call and a reference count (about 1 % of a launch in the profile).
// The io_context's own executor, not a strand: each io_context is run by one thread alone
// (makeIoContexts), so a connection's handlers are already serialized, and a strand only added
// a lock, a reference-counted implementation and a second queue per handler. Other threads reach
// a session only by posting to this executor (beginShutdown, forceClose).
using ConnectionExecutor = net::io_context::executor_type;
using AcceptorStrand = net::strand<net::io_context::executor_type>;
using TcpStream = beast::basic_stream<tcp, ConnectionExecutor>;
using PeerSocket = tcp::socket::rebind_executor<ConnectionExecutor>::other;

inline constexpr core::Logger kHttpLog("broker.http");

/// What the server asks of a live connection at shutdown.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  /// Posted to the session's executor at shutdown: close now unless a request is being handled.
  virtual void beginShutdown() = 0;
  /// Posted to the session's executor after the grace period: close whatever the state.
  virtual void forceClose() = 0;
};

/// At most one warn line per second per kind of event, with the count of those not logged: a
/// flood of bad clients must not flood the log (the metrics count every one).
class RateLimitedLog {
 public:
  void warn(std::string_view event, std::string_view message, std::string_view detail);

 private:
  std::mutex mutex_;
  struct Slot {
    SteadyClock::time_point last{};
    std::uint64_t suppressed = 0;
  };
  std::unordered_map<std::string, Slot> slots_;
};

class Server::Impl {
 public:
  Impl(ServerOptions options, ServerHandler handler, Metrics* metrics);

  void start();
  void stop(std::chrono::milliseconds grace);

  // Called by sessions.
  const ServerOptions& options() const { return options_; }
  net::ssl::context& tls() { return *tls_; }
  bool stopping() const { return stopping_.load(); }
  Metrics* metrics() const { return metrics_; }
  RateLimitedLog& rateLimitedLog() { return rate_limited_log_; }
  Response handle(Request& req) { return handler_(req); }
  /// Counts a connection event in the metrics and logs it, rate-limited.
  void connectionEvent(std::string_view event, std::string_view message, std::string_view detail);

  void registerSession(SessionBase* s, std::weak_ptr<SessionBase> w);
  /// Unregisters the session and gives back its connection slot for `peer`.
  void unregisterSession(SessionBase* s, const std::string& peer);

  std::uint16_t port() const { return port_; }
  bool started() const { return started_; }

 private:
  unsigned threadCount() const;
  net::io_context& nextIoContext() { return *iocs_[next_ioc_++ % iocs_.size()]; }
  void accept();
  void onAccept(beast::error_code ec, PeerSocket socket);
  void tick(net::steady_timer& timer);
  /// Takes a connection slot for `peer`, or says which limit refuses it ("" when admitted).
  std::string_view admit(const std::string& peer);
  std::size_t sessionCount();
  bool waitForSessions(SteadyClock::time_point deadline);
  void notifySessions(void (SessionBase::*fn)(), bool close_acceptor);

  // Declaration order matters for destruction: the io_contexts go first (destroying any handler
  // still queued, hence any session, which unregisters itself from the members below).
  ServerOptions options_;
  ServerHandler handler_;
  Metrics* metrics_;
  RateLimitedLog rate_limited_log_;
  net::ip::address address_;
  std::optional<net::ssl::context> tls_;
  std::mutex sessions_mutex_;
  std::condition_variable sessions_cv_;
  std::unordered_map<SessionBase*, std::weak_ptr<SessionBase>> sessions_;
  std::unordered_map<std::string, std::size_t> per_address_;  ///< under sessions_mutex_
  std::size_t connections_ = 0;                               ///< under sessions_mutex_
  std::size_t max_connections_ = 0;                           ///< after the descriptor cap
  std::atomic<bool> stopping_{false};
  std::mutex stop_mutex_;
  bool started_ = false;
  bool stopped_ = false;
  std::uint16_t port_ = 0;
  std::vector<std::thread> threads_;
  std::vector<std::unique_ptr<net::io_context>> iocs_;
  /// One per io_context, re-armed every second on its thread (tick()). Asio reprograms its timerfd
  /// (a timerfd_settime system call) whenever a new timer becomes the earliest of its loop; with
  /// this one always due within a second, the connections' timeouts (seconds to a minute, armed and
  /// cancelled for every read and write) never are. Declared after iocs_: destroyed before them.
  std::vector<std::unique_ptr<net::steady_timer>> ticks_;
  std::size_t next_ioc_ = 0;  // on the acceptor's strand only
  AcceptorStrand acceptor_strand_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_timer_;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> work_;
};

/// Starts serving one accepted connection (session.cpp): over TLS when the server has a TLS
/// context. The session registers itself and unregisters (giving back its slot) when it ends.
void startSession(Server::Impl& server, PeerSocket socket, std::string peer);

}  // namespace garde::broker::http
