#include "input_file.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "gradnet/error.h"

namespace gradnet::data_detail {

// The file and, for gzip, the inflate stream. zlib's gzread is not used: it ignores bytes after
// the last gzip member and cannot tell a missing trailer from the end of the data.
struct InputFile::State {
  std::FILE* file = nullptr;
  bool gzip = false;
  bool member_done = false;          // between gzip members (or after the last)
  z_stream z{};
  std::vector<unsigned char> in;     // read from the file, not yet consumed
  std::size_t at = 0;                // raw mode: the next unconsumed byte of `in`
  std::uint64_t consumed = 0;        // compressed bytes consumed, for messages
  ~State() {
    if (gzip) inflateEnd(&z);
    if (file) std::fclose(file);
  }
};

namespace {
constexpr std::size_t kBuffer = std::size_t(1) << 20;  // 1 MiB reads: MNIST's 47 MB decompresses in ~0.1 s
constexpr std::size_t kChunk = std::size_t(1) << 30;   // bounded by zlib's uInt
}  // namespace

InputFile::InputFile(const std::string& path) : path_(path), state_(std::make_unique<State>()) {
  std::error_code ec;
  GRADNET_CHECK(std::filesystem::exists(path, ec), data, "{}: no such file", path);
  GRADNET_CHECK(!std::filesystem::is_directory(path, ec), data, "{}: is a directory, expected a file", path);
  GRADNET_CHECK(std::filesystem::is_regular_file(path, ec), data,
                "{}: not a regular file (a FIFO or device would never end or block)", path);
  State& s = *state_;
  s.file = std::fopen(path.c_str(), "rb");
  GRADNET_CHECK(s.file != nullptr, data, "{}: cannot open ({})", path, std::strerror(errno));
  s.in.resize(kBuffer);
  s.in.resize(fill(0));
  s.gzip = s.in.size() >= 2 && s.in[0] == 0x1f && s.in[1] == 0x8b;
  if (s.gzip) {
    GRADNET_CHECK(inflateInit2(&s.z, 16 + MAX_WBITS) == Z_OK, data, "{}: cannot start decompressing", path);
    s.z.next_in = s.in.data();
    s.z.avail_in = static_cast<uInt>(s.in.size());
  }
}

InputFile::~InputFile() = default;

// Reads into s.in from offset `keep` on; returns the new size of what s.in holds.
std::size_t InputFile::fill(std::size_t keep) {
  State& s = *state_;
  s.in.resize(kBuffer);
  const std::size_t got = std::fread(s.in.data() + keep, 1, kBuffer - keep, s.file);
  GRADNET_CHECK(!std::ferror(s.file), data, "{}: cannot read: {}", path_, std::strerror(errno));
  return keep + got;
}

std::size_t InputFile::read(void* out, std::size_t n) {
  auto* dst = static_cast<unsigned char*>(out);
  State& s = *state_;
  std::size_t done = 0;
  if (!s.gzip) {
    while (done < n && !eof_) {
      if (s.at == s.in.size()) {
        s.in.resize(fill(0));
        s.at = 0;
        if (s.in.empty()) {
          eof_ = true;
          break;
        }
      }
      const std::size_t take = std::min(n - done, s.in.size() - s.at);
      std::memcpy(dst + done, s.in.data() + s.at, take);
      s.at += take;
      done += take;
    }
    return done;
  }
  while (done < n && !eof_) {
    if (s.z.avail_in < 2 && !std::feof(s.file)) {  // refill, keeping what is left (a member's first byte)
      const std::size_t left = s.z.avail_in;
      std::memmove(s.in.data(), s.z.next_in, left);
      s.consumed += s.in.size() - left;
      s.in.resize(fill(left));
      s.z.next_in = s.in.data();
      s.z.avail_in = static_cast<uInt>(s.in.size());
    }
    if (s.member_done) {  // another gzip member (gzip allows several), the end, or garbage
      if (s.z.avail_in == 0) {
        eof_ = true;
        break;
      }
      const std::uint64_t offset = s.consumed + static_cast<std::uint64_t>(s.z.next_in - s.in.data());
      GRADNET_CHECK(s.z.avail_in >= 2 && s.z.next_in[0] == 0x1f && s.z.next_in[1] == 0x8b, data,
                    "{}: trailing data after the gzip stream, at byte {} (a corrupt or appended file?)", path_, offset);
      inflateReset(&s.z);
      s.member_done = false;
    }
    if (s.z.avail_in == 0) {  // the file ends inside a member: its trailer (CRC, size) or more is missing
      truncated_ = true;
      eof_ = true;
      break;
    }
    const std::size_t want = std::min(n - done, kChunk);
    s.z.next_out = dst + done;
    s.z.avail_out = static_cast<uInt>(want);
    const int r = inflate(&s.z, Z_NO_FLUSH);
    done += want - s.z.avail_out;
    if (r == Z_STREAM_END) {
      s.member_done = true;
    } else if (r != Z_OK && r != Z_BUF_ERROR) {
      fail(ErrorKind::data, "{}: cannot read: {} (corrupt gzip data?)", path_, s.z.msg ? s.z.msg : zError(r));
    }
  }
  return done;
}

void InputFile::read_rest(std::vector<unsigned char>& out) {
  while (!eof_) {
    const std::size_t old = out.size();
    out.resize(old + (std::size_t(1) << 24));
    out.resize(old + read(out.data() + old, std::size_t(1) << 24));
  }
}

std::uint64_t InputFile::count_rest(std::uint64_t limit) {
  std::vector<unsigned char> sink(1 << 16);
  std::uint64_t total = 0;
  while (!eof_ && total <= limit) total += read(sink.data(), sink.size());
  return total;
}

}  // namespace gradnet::data_detail
