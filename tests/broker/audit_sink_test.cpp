// The audit sink without a file of its own: the record goes to the main log whatever log.level
// says, and a line stderr does not take refuses the release (ADR 0011).
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "broker/flows/audit_sink.h"
#include "core/log.h"
#include "support/temp_dir.h"

namespace {

using namespace garde;

/// Points fd 2 at `path` for the scope, and the log level at `level`.
class StderrTo {
 public:
  StderrTo(const std::string& path, core::LogLevel level)
      : saved_fd_(::dup(STDERR_FILENO)), saved_level_(core::logLevel()) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE(fd >= 0);
    REQUIRE(::dup2(fd, STDERR_FILENO) == STDERR_FILENO);
    ::close(fd);
    core::setLogLevel(level);
  }
  ~StderrTo() {
    ::dup2(saved_fd_, STDERR_FILENO);
    ::close(saved_fd_);
    core::setLogLevel(saved_level_);
  }
  StderrTo(const StderrTo&) = delete;
  StderrTo& operator=(const StderrTo&) = delete;

 private:
  int saved_fd_;
  core::LogLevel saved_level_;
};

store::AuditRecord releaseRecord() {
  store::AuditRecord r;
  r.kind = "launch";
  r.correlation_id = "corr-audit-1";
  r.ent_id = "ENTTEST1";
  r.uai = "0561534N";
  r.profile = "National_elv";
  r.publisher_id = "pub-a";
  r.resource_id = "ark:/49591/demo";
  r.released = {"IDO", "P_MEL"};
  r.outcome = "released";
  return r;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("Audit records reach the main log whatever the log level", "[broker][audit]") {
  const core::LogLevel level =
      GENERATE(core::LogLevel::kWarn, core::LogLevel::kError, core::LogLevel::kOff);
  test::TempDir dir;
  const std::string captured = (dir.path() / "stderr.log").string();
  broker::flows::AuditSink sink;  // no audit file: the main log carries the record
  {
    StderrTo redirect(captured, level);
    REQUIRE(sink.write(releaseRecord()).has_value());
  }
  const std::string log = slurp(captured);
  CHECK_THAT(log, Catch::Contains("\"level\":\"audit\""));
  CHECK_THAT(log, Catch::Contains("\"cat\":\"audit\""));
  CHECK_THAT(log, Catch::Contains("corr-audit-1"));
  CHECK_THAT(log, Catch::Contains("IDO P_MEL"));
}

TEST_CASE("An audit record the main log cannot take refuses the release", "[broker][audit]") {
  broker::flows::AuditSink sink;
  core::Status status;
  {
    StderrTo redirect("/dev/full", core::LogLevel::kInfo);  // every write fails with ENOSPC
    status = sink.write(releaseRecord());
  }
  REQUIRE_FALSE(status.has_value());
  CHECK(status.error().code == core::ErrorCode::kInternal);
}

TEST_CASE("Ordinary lines still follow the log level", "[broker][audit]") {
  test::TempDir dir;
  const std::string captured = (dir.path() / "stderr.log").string();
  {
    StderrTo redirect(captured, core::LogLevel::kWarn);
    core::Logger("test.audit").info("an ordinary info line");
    core::Logger("test.audit").warn("an ordinary warn line");
  }
  const std::string log = slurp(captured);
  CHECK_THAT(log, !Catch::Contains("an ordinary info line"));
  CHECK_THAT(log, Catch::Contains("an ordinary warn line"));
}
