#include "broker/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <mutex>

namespace garde::broker {
namespace {

// Prometheus text format: label values escape backslash, double quote and newline.
std::string escapeLabel(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string formatDouble(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string bucketLabel(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

struct Metrics::Counter {
  std::atomic<std::uint64_t> value{0};
};

struct Metrics::Endpoint {
  std::array<std::atomic<std::uint64_t>, 5> by_class{};                          ///< 1xx..5xx
  std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size() + 1> buckets{};  ///< last is +Inf
  std::atomic<std::uint64_t> sum_micros{0};
};

Metrics::Metrics() = default;
Metrics::~Metrics() = default;

Metrics::Endpoint& Metrics::endpoint(std::string_view route) {
  const std::string_view key = route.empty() ? std::string_view("unmatched") : route;
  {
    std::shared_lock lock(mutex_);
    const auto it = endpoints_.find(key);
    if (it != endpoints_.end()) {
      return *it->second;
    }
  }
  std::unique_lock lock(mutex_);
  auto& slot = endpoints_[std::string(key)];
  if (!slot) {
    slot = std::make_unique<Endpoint>();
  }
  return *slot;
}

void Metrics::observeRequest(std::string_view route, int status, double seconds) {
  Endpoint& e = endpoint(route);
  const int cls = status / 100;
  if (cls >= 1 && cls <= 5) {
    e.by_class[static_cast<std::size_t>(cls - 1)].fetch_add(1, std::memory_order_relaxed);
  }
  std::size_t b = 0;
  while (b < kLatencyBuckets.size() && seconds > kLatencyBuckets[b]) {
    ++b;
  }
  // Buckets are stored non-cumulative and summed at exposition: one increment per observation.
  e.buckets[b].fetch_add(1, std::memory_order_relaxed);
  const double micros = std::max(0.0, seconds) * 1e6;
  e.sum_micros.fetch_add(static_cast<std::uint64_t>(std::llround(micros)),
                         std::memory_order_relaxed);
}

void Metrics::bump(CounterMap& counters, std::string_view key) {
  {
    std::shared_lock lock(mutex_);
    const auto it = counters.find(key);
    if (it != counters.end()) {
      it->second->value.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  std::unique_lock lock(mutex_);
  auto& slot = counters[std::string(key)];
  if (!slot) {
    slot = std::make_unique<Counter>();
  }
  slot->value.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::decision(std::string_view outcome, std::string_view reason) {
  std::string key(outcome);
  key += '\0';
  key += reason;
  bump(decisions_, key);
}

void Metrics::httpRefusal(std::string_view reason) { bump(http_refusals_, reason); }

void Metrics::connectionEvent(std::string_view event) { bump(connection_events_, event); }

void Metrics::requestStarted() noexcept { in_flight_.fetch_add(1, std::memory_order_relaxed); }
void Metrics::requestFinished() noexcept { in_flight_.fetch_sub(1, std::memory_order_relaxed); }

std::string Metrics::exposition() const {
  std::shared_lock lock(mutex_);
  std::string out;
  out +=
      "# HELP garde_http_requests_total HTTP requests answered, by route pattern and status "
      "class.\n";
  out += "# TYPE garde_http_requests_total counter\n";
  for (const auto& [route, e] : endpoints_) {
    for (std::size_t c = 0; c < e->by_class.size(); ++c) {
      const std::uint64_t n = e->by_class[c].load(std::memory_order_relaxed);
      if (n == 0) {
        continue;
      }
      out += "garde_http_requests_total{route=\"" + escapeLabel(route) + "\",code=\"" +
             std::to_string(c + 1) + "xx\"} " + std::to_string(n) + "\n";
    }
  }
  out +=
      "# HELP garde_http_request_duration_seconds Time from a complete request to its response.\n";
  out += "# TYPE garde_http_request_duration_seconds histogram\n";
  for (const auto& [route, e] : endpoints_) {
    const std::string label = "route=\"" + escapeLabel(route) + "\"";
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < e->buckets.size(); ++b) {
      cumulative += e->buckets[b].load(std::memory_order_relaxed);
      const std::string le = b < kLatencyBuckets.size() ? bucketLabel(kLatencyBuckets[b]) : "+Inf";
      out += "garde_http_request_duration_seconds_bucket{" + label + ",le=\"" + le + "\"} " +
             std::to_string(cumulative) + "\n";
    }
    // Reads are not one snapshot; _count uses the bucket total so the histogram stays consistent.
    out += "garde_http_request_duration_seconds_sum{" + label + "} " +
           formatDouble(static_cast<double>(e->sum_micros.load(std::memory_order_relaxed)) / 1e6) +
           "\n";
    out += "garde_http_request_duration_seconds_count{" + label + "} " +
           std::to_string(cumulative) + "\n";
  }
  out += "# HELP garde_decisions_total Flow decisions, by outcome and reason.\n";
  out += "# TYPE garde_decisions_total counter\n";
  for (const auto& [key, c] : decisions_) {
    const std::size_t nul = key.find('\0');
    out += "garde_decisions_total{outcome=\"" + escapeLabel(std::string_view(key).substr(0, nul)) +
           "\",reason=\"" + escapeLabel(std::string_view(key).substr(nul + 1)) + "\"} " +
           std::to_string(c->value.load(std::memory_order_relaxed)) + "\n";
  }
  const auto labelled = [&](const char* name, const char* help, const char* label,
                            const CounterMap& counters) {
    out += std::string("# HELP ") + name + " " + help + "\n";
    out += std::string("# TYPE ") + name + " counter\n";
    for (const auto& [key, c] : counters) {
      out += std::string(name) + "{" + label + "=\"" + escapeLabel(key) + "\"} " +
             std::to_string(c->value.load(std::memory_order_relaxed)) + "\n";
    }
  };
  labelled("garde_http_refusals_total", "Requests refused by the HTTP layer, by reason.", "reason",
           http_refusals_);
  labelled("garde_http_connection_events_total",
           "Connections cut by a timeout or refused by a limit, by event.", "event",
           connection_events_);
  out += "# HELP garde_http_in_flight Requests being handled now.\n";
  out += "# TYPE garde_http_in_flight gauge\n";
  out +=
      "garde_http_in_flight " + std::to_string(in_flight_.load(std::memory_order_relaxed)) + "\n";
  if (!algorithm_exception_uses_.empty()) {
    out += "# HELP garde_algorithm_exception_uses_total Messages accepted under a peer's algorithm "
           "exception.\n";
    out += "# TYPE garde_algorithm_exception_uses_total counter\n";
    for (const auto& [algorithm, c] : algorithm_exception_uses_) {
      out += "garde_algorithm_exception_uses_total{algorithm=\"" + escapeLabel(algorithm) +
             "\"} " + std::to_string(c->value.load(std::memory_order_relaxed)) + "\n";
    }
  }
  if (!logout_participants_.empty()) {
    out += "# HELP garde_logout_participants_total Participants of single logouts, by how they "
           "ended.\n";
    out += "# TYPE garde_logout_participants_total counter\n";
    for (const auto& [key, c] : logout_participants_) {
      const std::size_t nul = key.find('\0');
      out += "garde_logout_participants_total{side=\"" + escapeLabel(key.substr(0, nul)) +
             "\",outcome=\"" + escapeLabel(key.substr(nul + 1)) + "\"} " +
             std::to_string(c->value.load(std::memory_order_relaxed)) + "\n";
    }
  }
  if (!algorithm_exceptions_.empty()) {
    out += "# HELP garde_algorithm_exception_expiry_timestamp_seconds When a peer's algorithm "
           "exception expires.\n";
    out += "# TYPE garde_algorithm_exception_expiry_timestamp_seconds gauge\n";
    for (const AlgorithmExceptionGauge& g : algorithm_exceptions_) {
      out += "garde_algorithm_exception_expiry_timestamp_seconds{kind=\"" + escapeLabel(g.kind) +
             "\",peer=\"" + escapeLabel(g.peer) + "\",algorithm=\"" + escapeLabel(g.algorithm) +
             "\"} " + std::to_string(g.expires_at) + "\n";
    }
  }
  if (!metadata_sources_.empty()) {
    const auto family = [&](const char* name, const char* help, auto value) {
      out += std::string("# HELP ") + name + " " + help + "\n";
      out += std::string("# TYPE ") + name + " gauge\n";
      for (const MetadataSourceGauge& g : metadata_sources_) {
        out += std::string(name) + "{source=\"" + escapeLabel(g.source) + "\"} " +
               std::to_string(value(g)) + "\n";
      }
    };
    family("garde_metadata_source_up", "1 when the source's last fetch succeeded.",
           [](const MetadataSourceGauge& g) { return g.up ? 1 : 0; });
    family("garde_metadata_source_failures", "Consecutive failed fetches of the source.",
           [](const MetadataSourceGauge& g) { return g.failures; });
    family("garde_metadata_source_last_success_timestamp_seconds",
           "When the source was last fetched successfully (0: never).",
           [](const MetadataSourceGauge& g) { return g.last_success; });
    family("garde_metadata_source_valid_until_timestamp_seconds",
           "validUntil of the source's last good copy (0: none).",
           [](const MetadataSourceGauge& g) { return g.valid_until; });
    family("garde_metadata_source_expiring",
           "1 when the source's last good copy is missing, expired or about to expire.",
           [](const MetadataSourceGauge& g) { return g.expiring ? 1 : 0; });
  }
  if (redis_) {
    const RedisGauge r = redis_();
    out += "# HELP garde_redis_up 1 while the shared replay caches' Redis answers.\n";
    out += "# TYPE garde_redis_up gauge\n";
    out += std::string("garde_redis_up ") + (r.up ? "1" : "0") + "\n";
    out += "# HELP garde_redis_failures_total Redis commands that failed (each refused a "
           "request).\n";
    out += "# TYPE garde_redis_failures_total counter\n";
    out += "garde_redis_failures_total " + std::to_string(r.failures) + "\n";
  }
  return out;
}

void Metrics::setRedisSource(std::function<RedisGauge()> source) {
  std::unique_lock lock(mutex_);
  redis_ = std::move(source);
}

void Metrics::algorithmExceptionUsed(std::string_view algorithm) {
  bump(algorithm_exception_uses_, algorithm);
}

void Metrics::logoutParticipant(std::string_view side, std::string_view outcome) {
  std::string key(side);
  key += '\0';
  key += outcome;
  bump(logout_participants_, key);
}

void Metrics::setAlgorithmExceptions(std::vector<AlgorithmExceptionGauge> exceptions) {
  std::unique_lock lock(mutex_);
  algorithm_exceptions_ = std::move(exceptions);
}

void Metrics::setMetadataSources(std::vector<MetadataSourceGauge> sources) {
  std::unique_lock lock(mutex_);
  metadata_sources_ = std::move(sources);
}

}  // namespace garde::broker
