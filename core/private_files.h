#pragma once
/// @file Owner-only files and directories, for everything that holds personal data or secrets
/// (the database and its -wal/-shm, the audit file, key files; docs/security.md). Modes are set
/// explicitly (0600, 0700), whatever the process's umask; an existing file or directory that
/// group or others may read or write is refused, so that start-up fails naming it rather than
/// serving from it.
///
/// Failures name the path and say what to do (kConfigInvalid: the operator fixes the mode;
/// kInternal: the system call failed, with its reason). Thread-safe (no state).

#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.h"

namespace garde::core {

/// Succeeds when `path` does not exist, or exists and neither group nor others have any
/// permission on it (a symbolic link is judged by what it points to; only regular files and
/// directories are judged: a device or a pipe such as /dev/stdout holds nothing itself).
/// kConfigInvalid otherwise, naming the path, its mode and the chmod that fixes it.
Status checkOwnerOnly(const std::filesystem::path& path);

/// Creates `dir` and its missing parents, each mode 0700. Directories that exist already are left
/// as they are (check them with checkOwnerOnly where garde owns them).
Status createOwnerOnlyDirectories(const std::filesystem::path& dir);

/// Opens `path` with `flags` (O_RDWR, O_WRONLY | O_APPEND..., without O_CREAT), creating it mode
/// 0600 when absent. An existing file is refused as by checkOwnerOnly. Returns the descriptor
/// (close-on-exec), which the caller closes.
Result<int> openOwnerOnly(const std::filesystem::path& path, int flags);

/// Creates `path` empty, mode 0600, when absent; checks it as by checkOwnerOnly when present.
Status createOwnerOnlyFile(const std::filesystem::path& path);

/// Writes `content` to `path` (created or replaced), mode 0600 from its creation on.
Status writeOwnerOnlyFile(const std::filesystem::path& path, std::string_view content);

}  // namespace garde::core
