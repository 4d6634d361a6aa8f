// InputFile: a dataset file opened for reading, gzip or raw: gzip is detected by its magic bytes
// and anything else read as raw bytes, so the file name's extension never matters. A gzip file
// must end with its last member's trailer (checked CRC and size); a file cut inside it is
// truncated_gzip(), and bytes after it that are not another member are Error{data}. Private to
// src/data: the readers turn short reads into their own messages.
#pragma once

#include <cstdint>
#include <memory>
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
  // caller reports it in its own terms ("header says 60000 images, file holds 59999"), and checks
  // truncated_gzip() once it has everything; a corrupt stream (bad CRC or size, garbage after it)
  // throws Error{data} naming the file.
  std::size_t read(void* out, std::size_t n);
  // Appends everything left to out, in large chunks.
  void read_rest(std::vector<unsigned char>& out);
  // Counts (and discards) the bytes left, stopping early past `limit`.
  std::uint64_t count_rest(std::uint64_t limit = std::uint64_t(1) << 32);
  bool truncated_gzip() const { return truncated_; }  // the gzip stream ended before its trailer
  const std::string& path() const { return path_; }

 private:
  struct State;  // the FILE and the inflate stream: zlib.h stays out of this header
  std::size_t fill(std::size_t keep);
  std::string path_;
  std::unique_ptr<State> state_;
  bool truncated_ = false;
  bool eof_ = false;
};

}  // namespace gradnet::data_detail
