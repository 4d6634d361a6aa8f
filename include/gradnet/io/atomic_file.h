// Crash-safe file writes: write a temp file beside the target, fsync, rename over the target,
// fsync the directory. A reader sees the old file or the new one, never half of one.
#pragma once

#include <string>

namespace gradnet {

void write_file_atomic(const std::string& path, const std::string& bytes);  // Error{runtime} on I/O failure
std::string read_whole_file(const std::string& path);                       // Error{checkpoint} if unreadable

}  // namespace gradnet
