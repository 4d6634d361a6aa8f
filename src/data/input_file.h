// InputFile: a dataset file opened for reading, gzip or raw. zlib's gzread detects gzip by its
// magic bytes and reads anything else "transparently" as raw bytes, so the file name's extension
// never matters. Private to src/data: the readers turn short reads into their own messages.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gradnet::data_detail {

class InputFile {
 public:
  // Error{data} "<path>: no such file" / "<path>: cannot open (...)" / "<path>: is a directory".
  explicit InputFile(const std::string& path);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  // Reads up to n bytes into out; returns how many arrived (fewer only at the end of the data).
  // A gzip stream that ends early (truncated download) counts as the end of the data, so the
  // caller reports it in its own terms ("header says 60000 images, file holds 59999"); a corrupt
  // stream (bad CRC, garbage) throws Error{data} naming the file.
  std::size_t read(void* out, std::size_t n);
  // Appends everything left to out, in large chunks.
  void read_rest(std::vector<unsigned char>& out);
  // Counts (and discards) the bytes left, stopping early past `limit`.
  std::uint64_t count_rest(std::uint64_t limit = std::uint64_t(1) << 32);
  bool truncated_gzip() const { return truncated_; }  // the gzip stream ended before its trailer
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  void* file_ = nullptr;  // gzFile, kept opaque so zlib.h stays out of this header
  bool truncated_ = false;
  bool eof_ = false;
};

}  // namespace gradnet::data_detail
