#pragma once
/// @file The `.tar.gz` archives ENT connectors produce (docs/feeds.md): the members streamed one
/// after the other, never extracted to disk, with their checks. libarchive reads the tar and the
/// gzip; nothing here writes a file.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "connectors/feed/parser.h"
#include "core/result.h"

namespace garde::connectors::feed {

/// Caps for one archive.
struct ArchiveLimits {
  std::uint64_t max_expanded_bytes = 16ull << 30;  ///< sum of the members' bytes, as read
  std::size_t max_members = 10'000;                ///< entries of any type
};

/// Called for each regular member: its path in the archive and a reader of its bytes (valid
/// during the call only). A failure stops the walk and is returned.
using MemberVisitor = std::function<core::Status(std::string_view path, const FeedRead& read)>;

/// Where the archive's bytes come from.
struct ArchiveSource {
  std::string path;          ///< a file, or
  std::string_view bytes{};  ///< bytes in memory (when path is empty)
};

/// Walks the archive's members in order. Refused, before any byte of the member is read: a
/// path that is absolute or has a `..` segment (kForbidden), a symbolic or hard link, a device,
/// a FIFO or any other non-regular entry except directories (kForbidden), more than
/// `max_members` entries (kLimitExceeded). Reading past `max_expanded_bytes` in all stops the walk
/// (kLimitExceeded). kMalformedMessage when it is not a gzip-compressed tar or is damaged.
core::Status forEachMember(const ArchiveSource& source, const ArchiveLimits& limits,
                           const MemberVisitor& visit);

/// The checksum an ENT writes beside its archive: the first 32 hex digits of the `.md5` file's
/// text ("<hex>" or "<hex>  <name>"), lower-cased. kMalformedMessage when there are none.
core::Result<std::string> parseMd5File(std::string_view text);

/// The MD5 of the archive's bytes (file or memory), lower-case hex. kNotFound when the file
/// cannot be read.
core::Result<std::string> archiveMd5(const ArchiveSource& source);

}  // namespace garde::connectors::feed
