#include "core/random.h"

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

using garde::core::systemRandom;

TEST_CASE("System random draws have the asked size and do not repeat", "[core][random]") {
  std::set<std::string> seen;
  for (std::size_t n : {1u, 12u, 20u, 32u, 33u, 64u, 4096u, 5000u}) {
    const std::string a = systemRandom().bytes(n);
    CHECK(a.size() == n);
    if (n >= 12) {
      CHECK(seen.insert(a).second);
    }
  }
  CHECK(systemRandom().bytes(0).empty());
  // Many small draws span several refills of the per-thread block.
  for (int i = 0; i < 2000; ++i) {
    CHECK(seen.insert(systemRandom().bytes(20)).second);
  }
}

TEST_CASE("System random draws of several threads do not repeat", "[core][random]") {
  std::vector<std::vector<std::string>> drawn(4);
  std::vector<std::thread> threads;
  for (auto& mine : drawn) {
    threads.emplace_back([&mine] {
      for (int i = 0; i < 500; ++i) {
        mine.push_back(systemRandom().bytes(16));
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  std::set<std::string> all;
  for (const auto& mine : drawn) {
    for (const auto& s : mine) {
      CHECK(all.insert(s).second);
    }
  }
}

TEST_CASE("A forked child does not draw the bytes its parent draws next", "[core][random]") {
  (void)systemRandom().bytes(12);  // the parent's block now holds unused bytes
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const std::string mine = systemRandom().bytes(20);
    const auto written = ::write(fds[1], mine.data(), mine.size());
    ::_exit(written == 20 ? 0 : 1);
  }
  ::close(fds[1]);
  const std::string parent = systemRandom().bytes(20);
  std::string from_child(20, '\0');
  std::size_t got = 0;
  while (got < from_child.size()) {
    const auto n = ::read(fds[0], from_child.data() + got, from_child.size() - got);
    if (n <= 0) {
      break;
    }
    got += static_cast<std::size_t>(n);
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  REQUIRE(got == 20);
  CHECK(WIFEXITED(status));
  CHECK(from_child != parent);
}
