#pragma once
/// @file A real redis-server (Debian's) for the tests, on a Unix socket in a directory of its own:
/// started by the constructor, stopped by the destructor, and stoppable, restartable, pausable in
/// between, so that a test sees what garde does when its Redis goes away and comes back.

#include <sys/types.h>

#include <string>

#include "support/temp_dir.h"

namespace garde::test {

class RedisServer {
 public:
  /// `persistent`: an append-only file fsynced at every write (what docs/deployment.md asks of a
  /// production Redis), so that a restart keeps the keys; false: a restart loses them. Throws
  /// std::runtime_error when redis-server cannot be started. `password`: requirepass.
  explicit RedisServer(bool persistent = true, std::string password = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  /// "unix:/.../redis.sock", for RedisSettings::address.
  std::string address() const { return "unix:" + socket_; }
  /// SIGTERM and wait (a clean shutdown: with persistence, nothing lost).
  void stop();
  /// Starts it again on the same socket and directory (a stopped server only).
  void start();
  /// SIGSTOP / SIGCONT: a Redis that accepts nothing and answers nothing (a hung server).
  void pause();
  void resume();
  /// Runs redis-cli with `args` against it; returns its standard output.
  std::string cli(const std::string& args) const;
  /// SET garde:epoch 0: this Redis held no replay entry before (a new, persistent Redis put in
  /// service, docs/deployment.md), so nothing may predate its epoch.
  void markNew(const std::string& key_prefix = "garde:") const;

 private:
  TempDir dir_;
  std::string socket_;
  bool persistent_;
  std::string password_;
  pid_t pid_ = -1;
};

}  // namespace garde::test
