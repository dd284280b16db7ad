#pragma once
/// @file Prometheus metrics in the text exposition format (version 0.0.4).
///
/// Series:
///   garde_http_requests_total{route,code}            counter; code is the class "2xx".."5xx"
///   garde_http_request_duration_seconds{route}       histogram, fixed buckets (kLatencyBuckets)
///   garde_decisions_total{outcome,reason}            counter, for the flows (release, refusal...)
///   garde_http_in_flight                             gauge
///   garde_http_refusals_total{reason}                counter; requests the HTTP layer refused
///                                                    before any handler (malformed_query, ...)
///   garde_http_connection_events_total{event}        counter; header_timeout, body_timeout,
///                                                    handshake_timeout, refused_address_limit,
///                                                    refused_global_limit
///   garde_algorithm_exception_uses_total{algorithm} counter; messages accepted under a peer's
///                                                    algorithm exception (saml::WeakAlgorithm)
///   garde_algorithm_exception_expiry_timestamp_seconds{kind,peer,algorithm}  gauge; one per
///                                                    exception granted (expired ones included)
///   garde_metadata_source_up{source}                 gauge; 1 when the last fetch succeeded
///   garde_metadata_source_failures{source}           gauge; consecutive failed fetches
///   garde_metadata_source_last_success_timestamp_seconds{source}   gauge
///   garde_metadata_source_valid_until_timestamp_seconds{source}    gauge; of the last good copy
///   garde_metadata_source_expiring{source}           gauge; 1 when the last good copy is missing,
///                                                    expired or within federation.expiry_warning
///   garde_redis_up                                   gauge; with [redis]: 1 while Redis answers
///   garde_redis_failures_total                       counter; with [redis]: commands that failed
///                                                    (each one refused a request: fail closed)
/// `source` is an operator-chosen source name ([a-z0-9-], bounded by configuration).
/// `route` is the route *pattern* ("/launch/{resourceId}"), never the raw path, so cardinality
/// stays bounded; requests no route matched are labelled "unmatched". Label values are chosen by
/// code, never by the client.
///
/// Thread-safety: every member is safe from any thread. A series is created once under an exclusive
/// lock; afterwards recording takes a shared lock and relaxed atomic increments (no contention
/// between requests beyond the reader count).

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace garde::broker {

/// Upper bounds (seconds) of the latency histogram buckets; +Inf is implicit.
inline constexpr std::array<double, 12> kLatencyBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                           0.1,   0.25,   0.5,   1.0,  2.5,   10.0};

/// One metadata source's state, as the garde_metadata_source_* gauges show it.
struct MetadataSourceGauge {
  std::string source;
  bool up = false;
  std::int64_t failures = 0;
  std::int64_t last_success = 0;  ///< Unix time; 0 when never
  std::int64_t valid_until = 0;   ///< Unix time; 0 when no good copy
  bool expiring = true;
};

/// The shared cache's state ([redis]), read at each exposition.
struct RedisGauge {
  bool up = false;
  std::uint64_t failures = 0;
};

/// One granted algorithm exception, as its gauge shows it.
struct AlgorithmExceptionGauge {
  std::string kind;  ///< "ent" | "publisher"
  std::string peer;
  std::string algorithm;
  std::int64_t expires_at = 0;
};

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  /// Records one answered request. `route` empty means "unmatched".
  void observeRequest(std::string_view route, int status, double seconds);

  /// Counts one flow decision, e.g. decision("refused", "not_entitled"), decision("released",
  /// "ok"). Both values must come from a fixed set in code (they become label values).
  void decision(std::string_view outcome, std::string_view reason);

  /// Counts one request refused by the HTTP layer (a fixed label chosen by code).
  void httpRefusal(std::string_view reason);
  /// Counts one connection event: a timeout that cut a client short, or a connection refused by a
  /// limit (a fixed label chosen by code).
  void connectionEvent(std::string_view event);

  /// In-flight requests gauge: +1 when a request starts being handled, -1 when answered.
  void requestStarted() noexcept;
  void requestFinished() noexcept;

  /// Counts one message accepted under an algorithm exception (a saml::weakAlgorithmName).
  void algorithmExceptionUsed(std::string_view algorithm);
  /// garde_logout_participants_total{side,outcome}: one participant of a single logout (side
  /// "ent" or "publisher"; outcome "logged_out", "failed", "skipped").
  void logoutParticipant(std::string_view side, std::string_view outcome);
  /// Replaces the algorithm exceptions' gauges (serve's metadata refresher).
  void setAlgorithmExceptions(std::vector<AlgorithmExceptionGauge> exceptions);

  /// Replaces the metadata sources' gauges (serve's metadata refresher, after each pass).
  void setMetadataSources(std::vector<MetadataSourceGauge> sources);

  /// Where garde_redis_* read from (serve, once, before serving; never set without [redis]).
  void setRedisSource(std::function<RedisGauge()> source);

  /// The whole exposition, series sorted by labels.
  std::string exposition() const;

 private:
  struct Endpoint;
  struct Counter;
  using CounterMap = std::map<std::string, std::unique_ptr<Counter>, std::less<>>;
  Endpoint& endpoint(std::string_view route);
  void bump(CounterMap& counters, std::string_view key);

  mutable std::shared_mutex mutex_;
  std::map<std::string, std::unique_ptr<Endpoint>, std::less<>> endpoints_;
  CounterMap decisions_;  ///< key "outcome\0reason"
  CounterMap http_refusals_;
  CounterMap connection_events_;
  std::atomic<std::int64_t> in_flight_{0};
  std::vector<MetadataSourceGauge> metadata_sources_;  ///< under mutex_
  std::vector<AlgorithmExceptionGauge> algorithm_exceptions_;  ///< under mutex_
  CounterMap algorithm_exception_uses_;
  CounterMap logout_participants_;  ///< key "side\0outcome"
  std::function<RedisGauge()> redis_;  ///< under mutex_
};

}  // namespace garde::broker
