// The members of a ZIP archive, as NumPy's np.savez (stored) and np.savez_compressed (deflate)
// write them, ZIP64 records included. Private to src/data (npy.cpp): read whole into memory,
// members inflated and CRC-checked on request. Errors are Error{data} naming the file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gradnet::data_detail {

class ZipArchive {
 public:
  // The archive's bytes (already read); path is for messages. Parses the central directory.
  ZipArchive(std::vector<unsigned char> bytes, std::string path);

  std::vector<std::string> names() const;
  bool contains(const std::string& name) const;
  // The member's uncompressed bytes; Error{data} when it is absent, corrupt or in another method.
  std::vector<unsigned char> read(const std::string& name) const;

 private:
  struct Member {
    std::string name;
    std::uint16_t method = 0;
    std::uint32_t crc = 0;
    std::uint64_t compressed = 0, size = 0, local_offset = 0;
  };
  std::vector<unsigned char> bytes_;
  std::string path_;
  std::vector<Member> members_;
};

}  // namespace gradnet::data_detail
