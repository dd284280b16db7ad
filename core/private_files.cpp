#include "core/private_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace garde::core {
namespace {

constexpr mode_t kOwnerOnlyFile = 0600;
constexpr mode_t kOwnerOnlyDirectory = 0700;
constexpr mode_t kGroupOrOthers = 077;

/// Closes a descriptor on every path out (a file descriptor is no pointer: no CHandle).
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  /// Closes now, reporting a failed close (a write can fail there).
  bool close() { return ::close(release()) == 0; }

 private:
  int fd_;
};

std::string octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

Failure systemFailure(std::string_view what, const std::filesystem::path& path) {
  return fail(ErrorCode::kInternal,
              std::string(what) + " " + path.string() + ": " + std::strerror(errno));
}

Failure tooOpen(const std::filesystem::path& path, mode_t mode) {
  const bool directory = S_ISDIR(mode);
  return fail(ErrorCode::kConfigInvalid,
              path.string() + " is readable or writable by group or others (mode " + octal(mode) +
                  "); it holds personal data or secrets: make it owner-only (chmod " +
                  (directory ? "700 " : "600 ") + path.string() + ")");
}

Status judge(const std::filesystem::path& path, const struct stat& st) {
  // A device or a pipe (an audit file of /dev/stdout, a log shipper's FIFO) holds nothing itself.
  const bool holds_data = S_ISREG(st.st_mode) || S_ISDIR(st.st_mode);
  if (holds_data && (st.st_mode & kGroupOrOthers) != 0) {
    return tooOpen(path, st.st_mode);
  }
  return {};
}

}  // namespace

Status checkOwnerOnly(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return {};
    }
    return systemFailure("cannot inspect", path);
  }
  return judge(path, st);
}

Status createOwnerOnlyDirectories(const std::filesystem::path& dir) {
  if (dir.empty()) {
    return {};
  }
  std::filesystem::path at;
  for (const auto& part : dir) {
    at /= part;
    if (::mkdir(at.c_str(), kOwnerOnlyDirectory) == 0) {
      // The umask may have taken bits away from 0700: set them exactly.
      if (::chmod(at.c_str(), kOwnerOnlyDirectory) != 0) {
        return systemFailure("cannot set the mode of", at);
      }
    } else if (errno != EEXIST) {
      return systemFailure("cannot create directory", at);
    }
  }
  return {};
}

Result<int> openOwnerOnly(const std::filesystem::path& path, int flags) {
  ScopedFd created(::open(path.c_str(), flags | O_CREAT | O_EXCL | O_CLOEXEC, kOwnerOnlyFile));
  if (created.get() >= 0) {
    if (::fchmod(created.get(), kOwnerOnlyFile) != 0) {
      return systemFailure("cannot set the mode of", path);
    }
    return created.release();
  }
  if (errno != EEXIST) {
    return systemFailure("cannot create", path);
  }
  ScopedFd existing(::open(path.c_str(), flags | O_CLOEXEC));
  if (existing.get() < 0) {
    return systemFailure("cannot open", path);
  }
  struct stat st {};
  if (::fstat(existing.get(), &st) != 0) {
    return systemFailure("cannot inspect", path);
  }
  GARDE_TRY(judge(path, st));
  return existing.release();
}

Status createOwnerOnlyFile(const std::filesystem::path& path) {
  GARDE_ASSIGN_OR_RETURN(const int fd, openOwnerOnly(path, O_RDONLY));
  ScopedFd owned(fd);
  if (!owned.close()) {
    return systemFailure("cannot close", path);
  }
  return {};
}

Status writeOwnerOnlyFile(const std::filesystem::path& path, std::string_view content) {
  // O_NOFOLLOW: a secret is never written through a link someone else may have planted.
  ScopedFd fd(
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, kOwnerOnlyFile));
  if (fd.get() < 0) {
    return systemFailure("cannot write", path);
  }
  // Created 0600 (no window where it is readable by others); an existing file keeps its mode
  // through O_TRUNC, and the umask may have taken bits away: set it exactly.
  if (::fchmod(fd.get(), kOwnerOnlyFile) != 0) {
    return systemFailure("cannot set the mode of", path);
  }
  while (!content.empty()) {
    const ssize_t n = ::write(fd.get(), content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return systemFailure("cannot write", path);
    }
    content.remove_prefix(static_cast<std::size_t>(n));
  }
  if (!fd.close()) {
    return systemFailure("cannot write", path);
  }
  return {};
}

}  // namespace garde::core
