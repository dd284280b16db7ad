#include "broker/http/server.h"

#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <future>
#include <stdexcept>

#include "broker/http/server_impl.h"
#include "broker/http/tls_context.h"
#include "broker/metrics.h"

namespace garde::broker::http {
namespace {

// Descriptors kept free for the database, the audit file, logs and the process's own needs when
// the connection cap is derived from RLIMIT_NOFILE.
constexpr std::size_t kReservedDescriptors = 128;

std::vector<std::unique_ptr<net::io_context>> makeIoContexts(unsigned n) {
  // One io_context per I/O thread, each run by its thread alone: a connection lives on one of them
  // (round robin at accept) for its whole life, so its handlers never hop threads and a thread
  // waits in its own epoll set instead of handing events to another through the scheduler's mutex
  // and condition variable (measured: docs/performance.md).
  std::vector<std::unique_ptr<net::io_context>> out;
  out.reserve(n);
  for (unsigned i = 0; i < n; ++i) {
    out.push_back(std::make_unique<net::io_context>(1));
  }
  return out;
}

/// The configured cap, lowered so that accepting never runs the process out of descriptors.
std::size_t connectionCap(std::size_t configured) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    const auto soft = static_cast<std::size_t>(limit.rlim_cur);
    const std::size_t usable =
        soft > 2 * kReservedDescriptors ? soft - kReservedDescriptors : soft / 2;
    return std::max<std::size_t>(1, std::min(configured, usable));
  }
  return std::max<std::size_t>(1, configured);
}

}  // namespace

void RateLimitedLog::warn(std::string_view event, std::string_view message,
                          std::string_view detail) {
  const auto now = SteadyClock::now();
  std::uint64_t suppressed = 0;
  {
    std::lock_guard lock(mutex_);
    Slot& slot = slots_[std::string(event)];
    if (slot.last != SteadyClock::time_point{} && now - slot.last < std::chrono::seconds(1)) {
      ++slot.suppressed;
      return;
    }
    slot.last = now;
    suppressed = std::exchange(slot.suppressed, 0);
  }
  kHttpLog.warn(message, {{"event", event},
                          {"detail", detail},
                          {"suppressed_since_last", std::to_string(suppressed)}});
}

Server::Impl::Impl(ServerOptions options, ServerHandler handler, Metrics* metrics)
    : options_(std::move(options)),
      handler_(std::move(handler)),
      metrics_(metrics),
      max_connections_(connectionCap(options_.max_connections)),
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
  if (!options_.refusal_page) {
    options_.refusal_page = defaultRefusalPage;
  }
  if (options_.max_connections_per_address == 0) {
    options_.max_connections_per_address = 1;
  }
}

unsigned Server::Impl::threadCount() const {
  if (options_.threads > 0) {
    return options_.threads;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

void Server::Impl::start() {
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
  for (auto& ioc : iocs_) {
    ticks_.push_back(std::make_unique<net::steady_timer>(*ioc));
    tick(*ticks_.back());
  }
  const auto n = static_cast<unsigned>(iocs_.size());
  threads_.reserve(n);
  for (auto& ioc : iocs_) {
    threads_.emplace_back([ioc = ioc.get()] { ioc->run(); });
  }
  started_ = true;
  kHttpLog.info(
      "listening",
      {{"address", options_.address},
       {"port", std::to_string(port_)},
       {"tls", options_.tls ? "true" : "false"},
       {"client_certificates", options_.client_ca_pem.empty() ? "no" : "yes"},
       {"threads", std::to_string(n)},
       {"max_connections", std::to_string(max_connections_)},
       {"max_connections_per_address", std::to_string(options_.max_connections_per_address)}});
}

void Server::Impl::stop(std::chrono::milliseconds grace) {
  std::lock_guard stop_lock(stop_mutex_);
  if (!started_ || stopped_) {
    return;
  }
  stopped_ = true;
  kHttpLog.info("shutting down", {{"grace_ms", std::to_string(grace.count())}});
  stopping_.store(true);
  // On the acceptor's strand, so no session can be registered after the snapshot.
  notifySessions(&SessionBase::beginShutdown, /*close_acceptor=*/true);
  if (!waitForSessions(SteadyClock::now() + grace)) {
    kHttpLog.warn("grace period over: closing connections still open",
                  {{"connections", std::to_string(sessionCount())}});
    notifySessions(&SessionBase::forceClose, false);
    waitForSessions(SteadyClock::now() + std::chrono::seconds(2));
  }
  work_.clear();
  for (auto& ioc : iocs_) {
    ioc->stop();
  }
  for (auto& t : threads_) {
    t.join();
  }
  threads_.clear();
  kHttpLog.info("stopped");
}

void Server::Impl::connectionEvent(std::string_view event, std::string_view message,
                                   std::string_view detail) {
  if (metrics_ != nullptr) {
    metrics_->connectionEvent(event);
  }
  rate_limited_log_.warn(event, message, detail);
}

void Server::Impl::registerSession(SessionBase* s, std::weak_ptr<SessionBase> w) {
  std::lock_guard lock(sessions_mutex_);
  sessions_.emplace(s, std::move(w));
}

void Server::Impl::unregisterSession(SessionBase* s, const std::string& peer) {
  std::lock_guard lock(sessions_mutex_);
  sessions_.erase(s);
  if (const auto it = per_address_.find(peer); it != per_address_.end() && --it->second == 0) {
    per_address_.erase(it);
  }
  if (connections_ > 0) {
    --connections_;
  }
  if (sessions_.empty()) {
    sessions_cv_.notify_all();
  }
}

std::string_view Server::Impl::admit(const std::string& peer) {
  std::lock_guard lock(sessions_mutex_);
  if (connections_ >= max_connections_) {
    return "refused_global_limit";
  }
  std::size_t& from_peer = per_address_[peer];
  if (from_peer >= options_.max_connections_per_address) {
    return "refused_address_limit";
  }
  ++from_peer;
  ++connections_;
  return {};
}

std::size_t Server::Impl::sessionCount() {
  std::lock_guard lock(sessions_mutex_);
  return sessions_.size();
}

bool Server::Impl::waitForSessions(SteadyClock::time_point deadline) {
  std::unique_lock lock(sessions_mutex_);
  return sessions_cv_.wait_until(lock, deadline, [this] { return sessions_.empty(); });
}

void Server::Impl::notifySessions(void (SessionBase::*fn)(), bool close_acceptor) {
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

void Server::Impl::tick(net::steady_timer& timer) {
  timer.expires_after(std::chrono::seconds(1));
  timer.async_wait([this, &timer](beast::error_code ec) {
    if (!ec && !stopping()) {
      tick(timer);
    }
  });
}

void Server::Impl::accept() {
  acceptor_.async_accept(
      nextIoContext().get_executor(),
      [this](beast::error_code ec, PeerSocket socket) { onAccept(ec, std::move(socket)); });
}

void Server::Impl::onAccept(beast::error_code ec, PeerSocket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) {
    return;
  }
  if (ec) {
    // e.g. EMFILE: back off briefly instead of spinning.
    connectionEvent("accept_failed", "accept failed", ec.message());
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
  if (const std::string_view refused = admit(peer); !refused.empty()) {
    // Refused cheaply: no handshake, no buffer, no timer; the client sees the connection close.
    connectionEvent(refused, "connection refused by a connection limit",
                    refused == "refused_global_limit" ? "server.max_connections"
                                                      : "server.max_connections_per_address");
    beast::error_code ignored;
    socket.close(ignored);
  } else {
    // Every response is written whole (one gather write for plain HTTP), but over TLS a response
    // can follow the session tickets or another record still unacknowledged: with Nagle on, it
    // then waits for the client's delayed ACK (40 ms on Linux) on every new connection.
    beast::error_code nodelay_ec;
    socket.set_option(tcp::no_delay(true), nodelay_ec);
    startSession(*this, std::move(socket), std::move(peer));
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
      kHttpLog.info("signal received",
                    {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"}});
    }
  });
  signals_ioc.run();
  stop();
}

}  // namespace garde::broker::http
