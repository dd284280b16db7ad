#pragma once
/// @file Live<R>: the registry in force (the ENTs', the publishers'), replaced whole when the store
/// says the peers changed, without a restart and without a lock on the request path
/// (docs/architecture.md, "Registries that change").
///
/// Readers get the current registry through one atomic load. A replaced registry is kept for
/// kRetention after its replacement, so that what a request in flight holds (a pointer to a peer,
/// the list of ENTs) stays valid: no request lives that long (the HTTP layer's timeouts end every
/// exchange within a minute). Replacements are rare (an operator's onboarding, a feed).

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace garde::broker::flows {

template <class R>
class Live {
 public:
  static constexpr std::chrono::minutes kRetention{10};

  explicit Live(R initial) : current_(nullptr) { install(std::move(initial)); }
  Live(const Live&) = delete;
  Live& operator=(const Live&) = delete;

  const R& get() const noexcept { return *current_.load(std::memory_order_acquire); }
  const R* operator->() const noexcept { return current_.load(std::memory_order_acquire); }
  const R& operator*() const noexcept { return get(); }

  /// Puts `next` in force; registries replaced more than kRetention ago are freed.
  void replace(R next) { install(std::move(next)); }

 private:
  void install(R next) {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    auto owned = std::make_unique<const R>(std::move(next));
    const R* raw = owned.get();
    if (!held_.empty()) {
      held_.back().retired = now;
    }
    std::erase_if(held_, [&](const Held& h) { return h.retired && now - *h.retired > kRetention; });
    held_.push_back({std::move(owned), std::nullopt});
    current_.store(raw, std::memory_order_release);
  }

  struct Held {
    std::unique_ptr<const R> registry;
    std::optional<std::chrono::steady_clock::time_point> retired;
  };
  std::atomic<const R*> current_;
  std::mutex mutex_;
  std::vector<Held> held_;
};

}  // namespace garde::broker::flows
