#include "connectors/feed/archive.h"

#include <archive.h>
#include <archive_entry.h>

#include <cctype>
#include <fstream>

#include "core/c_handle.h"
#include "core/crypto.h"

namespace garde::connectors::feed {
namespace {

int freeArchive(archive* a) { return archive_read_free(a); }
using Archive = core::CHandle<archive, freeArchive>;

/// A member path is safe when it is relative and never climbs: no leading '/', no '..' segment,
/// no backslash (a Windows separator that another tool might honour).
bool safePath(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.find('\\') != std::string_view::npos) {
    return false;
  }
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto end = std::min(path.find('/', start), path.size());
    if (path.substr(start, end - start) == "..") {
      return false;
    }
    start = end + 1;
  }
  return true;
}

}  // namespace

core::Status forEachMember(const ArchiveSource& source, const ArchiveLimits& limits,
                           const MemberVisitor& visit) {
  Archive a(archive_read_new());
  if (!a) {
    return core::fail(core::ErrorCode::kInternal, "archive_read_new failed");
  }
  archive_read_support_filter_gzip(a.get());
  archive_read_support_format_tar(a.get());
  const int opened =
      source.path.empty()
          ? archive_read_open_memory(a.get(), source.bytes.data(), source.bytes.size())
          : archive_read_open_filename(a.get(), source.path.c_str(), 64 * 1024);
  if (opened != ARCHIVE_OK) {
    return core::fail(core::ErrorCode::kMalformedMessage,
                      std::string("not a .tar.gz archive: ") + archive_error_string(a.get()));
  }
  std::size_t members = 0;
  std::uint64_t expanded = 0;
  bool over_limit = false;
  for (;;) {
    archive_entry* entry = nullptr;
    const int rc = archive_read_next_header(a.get(), &entry);
    if (rc == ARCHIVE_EOF) {
      return {};
    }
    if (rc != ARCHIVE_OK) {
      const char* why = archive_error_string(a.get());
      return core::fail(core::ErrorCode::kMalformedMessage,
                        std::string("damaged archive: ") + (why != nullptr ? why : "?"));
    }
    if (++members > limits.max_members) {
      return core::fail(core::ErrorCode::kLimitExceeded,
                        "more than " + std::to_string(limits.max_members) + " archive members");
    }
    const char* raw_path = archive_entry_pathname(entry);
    const std::string path = raw_path != nullptr ? raw_path : "";
    if (!safePath(path)) {
      return core::fail(core::ErrorCode::kForbidden,
                        "archive member escapes the import (absolute or '..'): " + path);
    }
    const auto type = archive_entry_filetype(entry);
    if (type == AE_IFDIR) {
      continue;
    }
    if (type != AE_IFREG || archive_entry_hardlink(entry) != nullptr ||
        archive_entry_symlink(entry) != nullptr) {
      return core::fail(core::ErrorCode::kForbidden,
                        "archive member is a link, a device or not a regular file: " + path);
    }
    const FeedRead read = [&](char* buffer, std::size_t size) -> long {
      if (expanded >= limits.max_expanded_bytes) {
        over_limit = true;
        return -1;
      }
      const std::size_t want = static_cast<std::size_t>(
          std::min<std::uint64_t>(size, limits.max_expanded_bytes - expanded + 1));
      const la_ssize_t n = archive_read_data(a.get(), buffer, want);
      if (n < 0) {
        return -1;
      }
      expanded += static_cast<std::uint64_t>(n);
      if (expanded > limits.max_expanded_bytes) {
        over_limit = true;
        return -1;
      }
      return static_cast<long>(n);
    };
    GARDE_TRY(visit(path, read));
    if (over_limit) {
      return core::fail(core::ErrorCode::kLimitExceeded,
                        "the archive expands to more than " +
                            std::to_string(limits.max_expanded_bytes) + " bytes");
    }
  }
}

core::Result<std::string> parseMd5File(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])) != 0) {
    ++i;
  }
  std::string hex;
  while (i < text.size() && hex.size() < 32 &&
         std::isxdigit(static_cast<unsigned char>(text[i])) != 0) {
    hex += static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
    ++i;
  }
  const bool ends = i == text.size() || std::isspace(static_cast<unsigned char>(text[i])) != 0;
  if (hex.size() != 32 || !ends) {
    return core::fail(core::ErrorCode::kMalformedMessage,
                      "the checksum is not 32 hexadecimal digits");
  }
  return hex;
}

core::Result<std::string> archiveMd5(const ArchiveSource& source) {
  core::Md5 md5;
  if (source.path.empty()) {
    md5.update(source.bytes);
    return md5.finalHex();
  }
  std::ifstream in(source.path, std::ios::binary);
  if (!in) {
    return core::fail(core::ErrorCode::kNotFound, "cannot read the archive");
  }
  char buffer[64 * 1024];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    md5.update(std::string_view(buffer, static_cast<std::size_t>(in.gcount())));
  }
  if (in.bad()) {
    return core::fail(core::ErrorCode::kNotFound, "cannot read the archive to its end");
  }
  return md5.finalHex();
}

}  // namespace garde::connectors::feed
