#include "support/redis_server.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <vector>

namespace garde::test {
namespace {

std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    throw std::runtime_error("cannot run " + command);
  }
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) {
    out.append(buf.data(), n);
  }
  ::pclose(pipe);
  return out;
}

}  // namespace

RedisServer::RedisServer(bool persistent, std::string password)
    : dir_("garde-redis"),
      socket_(dir_.file("redis.sock")),
      persistent_(persistent),
      password_(std::move(password)) {
  start();
}

RedisServer::~RedisServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGCONT);
    stop();
  }
}

void RedisServer::start() {
  if (pid_ > 0) {
    throw std::runtime_error("redis-server already running");
  }
  std::vector<std::string> args = {"redis-server", "--port",    "0",
                                   "--unixsocket", socket_,     "--unixsocketperm",
                                   "700",          "--dir",     dir_.path().string(),
                                   "--save",       "",          "--loglevel",
                                   "warning",      "--logfile", dir_.file("redis.log")};
  if (persistent_) {
    args.insert(args.end(), {"--appendonly", "yes", "--appendfsync", "always"});
  } else {
    args.insert(args.end(), {"--appendonly", "no"});
  }
  if (!password_.empty()) {
    args.insert(args.end(), {"--requirepass", password_});
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    throw std::runtime_error("fork failed");
  }
  if (pid == 0) {
    std::vector<char*> argv;
    for (auto& a : args) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    ::execvp("redis-server", argv.data());
    ::_exit(127);
  }
  pid_ = pid;
  // Ready when the socket answers PING.
  for (int i = 0; i < 500; ++i) {
    if (std::filesystem::exists(socket_) && cli("PING").find("PONG") != std::string::npos) {
      return;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error(
          "redis-server exited at start (is Debian's redis-server installed?)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("redis-server did not answer within 5 s");
}

void RedisServer::stop() {
  if (pid_ <= 0) {
    return;
  }
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  std::error_code ec;
  std::filesystem::remove(socket_, ec);
}

void RedisServer::pause() { ::kill(pid_, SIGSTOP); }
void RedisServer::resume() { ::kill(pid_, SIGCONT); }

std::string RedisServer::cli(const std::string& args) const {
  std::string auth = password_.empty() ? "" : " --no-auth-warning -a '" + password_ + "'";
  return run("redis-cli -s '" + socket_ + "'" + auth + " " + args + " 2>/dev/null");
}

void RedisServer::markNew(const std::string& key_prefix) const {
  cli("SET " + key_prefix + "epoch 0");
}

}  // namespace garde::test
