#include "gradnet/io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gradnet/error.h"

namespace gradnet {

namespace {

// Closes the descriptor and removes the temp file unless commit() ran: nothing half-written stays.
struct TempFile {
  std::string path;
  int fd = -1;
  bool committed = false;
  ~TempFile() {
    if (fd >= 0) ::close(fd);
    if (!committed) ::unlink(path.c_str());
  }
};

}  // namespace

void write_file_atomic(const std::string& path, const std::string& bytes) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  TempFile tmp;
  tmp.path = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  tmp.fd = ::mkstemp(tmp.path.data());
  if (tmp.fd < 0) fail(ErrorKind::runtime, "{}: cannot create a temporary file: {}", path, std::strerror(errno));
  const char* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(tmp.fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(ErrorKind::runtime, "{}: write failed: {}", path, std::strerror(errno));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fchmod(tmp.fd, 0644) != 0 || ::fsync(tmp.fd) != 0)
    fail(ErrorKind::runtime, "{}: fsync failed: {}", path, std::strerror(errno));
  ::close(tmp.fd);
  tmp.fd = -1;
  if (::rename(tmp.path.c_str(), path.c_str()) != 0)
    fail(ErrorKind::runtime, "{}: rename failed: {}", path, std::strerror(errno));
  tmp.committed = true;
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

std::string read_whole_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec))
    fail(ErrorKind::checkpoint, "{}: cannot read: not a regular file", path);
  std::ifstream f(path, std::ios::binary);
  if (!f) fail(ErrorKind::checkpoint, "{}: cannot read: {}", path, std::strerror(errno));
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace gradnet
