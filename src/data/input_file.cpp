#include "input_file.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "gradnet/error.h"

namespace gradnet::data_detail {

namespace {
gzFile gz(void* f) { return static_cast<gzFile>(f); }
constexpr std::size_t kChunk = std::size_t(1) << 24;  // 16 MiB per gzread: few calls, bounded int
}  // namespace

InputFile::InputFile(const std::string& path) : path_(path) {
  std::error_code ec;
  GRADNET_CHECK(std::filesystem::exists(path, ec), data, "{}: no such file", path);
  GRADNET_CHECK(!std::filesystem::is_directory(path, ec), data, "{}: is a directory, expected a file", path);
  file_ = gzopen(path.c_str(), "rb");
  GRADNET_CHECK(file_ != nullptr, data, "{}: cannot open ({})", path, std::strerror(errno));
  gzbuffer(gz(file_), 1 << 20);  // 1 MiB input buffer: MNIST's 47 MB decompresses in ~0.1 s
}

InputFile::~InputFile() {
  if (file_) gzclose(gz(file_));
}

std::size_t InputFile::read(void* out, std::size_t n) {
  auto* dst = static_cast<unsigned char*>(out);
  std::size_t done = 0;
  while (done < n && !eof_) {
    const unsigned want = static_cast<unsigned>(std::min(n - done, kChunk));
    const int got = gzread(gz(file_), dst + done, want);
    if (got < 0) {
      int code = 0;
      const char* message = gzerror(gz(file_), &code);
      // Z_BUF_ERROR: the compressed stream stopped mid-way; what arrived is still good data.
      if (code == Z_BUF_ERROR) {
        truncated_ = true;
        eof_ = true;
        break;
      }
      fail(ErrorKind::data, "{}: cannot read: {} (corrupt gzip data?)", path_, message ? message : "unknown error");
    }
    if (got == 0) {
      int code = 0;
      gzerror(gz(file_), &code);
      if (code == Z_BUF_ERROR) truncated_ = true;
      eof_ = true;
      break;
    }
    done += static_cast<std::size_t>(got);
  }
  return done;
}

void InputFile::read_rest(std::vector<unsigned char>& out) {
  while (!eof_) {
    const std::size_t old = out.size();
    out.resize(old + kChunk);
    out.resize(old + read(out.data() + old, kChunk));
  }
}

std::uint64_t InputFile::count_rest(std::uint64_t limit) {
  std::vector<unsigned char> sink(1 << 16);
  std::uint64_t total = 0;
  while (!eof_ && total <= limit) total += read(sink.data(), sink.size());
  return total;
}

}  // namespace gradnet::data_detail
