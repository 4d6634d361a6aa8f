#include "zip_archive.h"

#include <algorithm>
#include <limits>

#include <zlib.h>

#include "gradnet/error.h"

namespace gradnet::data_detail {

namespace {

constexpr std::uint32_t kEndOfDirectory = 0x06054b50, kZip64End = 0x06064b50, kZip64Locator = 0x07064b50,
                        kDirectoryEntry = 0x02014b50, kLocalHeader = 0x04034b50;
constexpr std::uint32_t kFull32 = 0xFFFFFFFFu;

// Little-endian reads, bounds-checked against the archive.
struct Reader {
  const std::vector<unsigned char>& b;
  const std::string& path;
  std::uint64_t get(std::uint64_t at, int bytes) const {
    GRADNET_CHECK(at + static_cast<std::uint64_t>(bytes) <= b.size(), data,
                  "{}: not a complete ZIP (.npz) archive: a record runs past its end (byte {})", path, at);
    std::uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | b[at + static_cast<std::uint64_t>(i)];
    return v;
  }
  std::uint16_t u16(std::uint64_t at) const { return static_cast<std::uint16_t>(get(at, 2)); }
  std::uint32_t u32(std::uint64_t at) const { return static_cast<std::uint32_t>(get(at, 4)); }
  std::uint64_t u64(std::uint64_t at) const { return get(at, 8); }
};

}  // namespace

ZipArchive::ZipArchive(std::vector<unsigned char> bytes, std::string path) : bytes_(std::move(bytes)), path_(std::move(path)) {
  const Reader r{bytes_, path_};
  // The end-of-directory record: the last 22 bytes, or earlier by a comment of up to 64 KiB.
  std::uint64_t end = std::numeric_limits<std::uint64_t>::max();
  for (std::uint64_t at = bytes_.size() >= 22 ? bytes_.size() - 22 : 0; bytes_.size() >= 22; --at) {
    if (r.u32(at) == kEndOfDirectory) {
      end = at;
      break;
    }
    if (at == 0 || bytes_.size() - at > 22 + 65535) break;
  }
  GRADNET_CHECK(end != std::numeric_limits<std::uint64_t>::max(), data,
                "{}: not a ZIP (.npz) archive, or a truncated one (no end-of-directory record)", path_);
  std::uint64_t count = r.u16(end + 10), offset = r.u32(end + 16);
  if ((count == 0xFFFF || offset == kFull32) && end >= 20 && r.u32(end - 20) == kZip64Locator) {
    const std::uint64_t record = r.u64(end - 20 + 8);
    GRADNET_CHECK(r.u32(record) == kZip64End, data, "{}: a broken ZIP64 end-of-directory record", path_);
    count = r.u64(record + 32);
    offset = r.u64(record + 48);
  }
  std::uint64_t at = offset;
  for (std::uint64_t i = 0; i < count; ++i) {
    GRADNET_CHECK(r.u32(at) == kDirectoryEntry, data, "{}: a broken ZIP central directory (entry {})", path_, i);
    Member m;
    m.method = r.u16(at + 10);
    m.crc = r.u32(at + 16);
    m.compressed = r.u32(at + 20);
    m.size = r.u32(at + 24);
    const std::uint16_t name_len = r.u16(at + 28), extra_len = r.u16(at + 30), comment_len = r.u16(at + 32);
    m.local_offset = r.u32(at + 42);
    r.get(at + 46, name_len);  // bounds
    m.name.assign(reinterpret_cast<const char*>(bytes_.data() + at + 46), name_len);
    // ZIP64 extra field (id 1): the 64-bit values of those saturated above, in this order.
    for (std::uint64_t e = at + 46 + name_len; e + 4 <= at + 46 + name_len + extra_len;) {
      const std::uint16_t id = r.u16(e), len = r.u16(e + 2);
      if (id == 1) {
        std::uint64_t v = e + 4;
        if (m.size == kFull32) m.size = r.u64(v), v += 8;
        if (m.compressed == kFull32) m.compressed = r.u64(v), v += 8;
        if (m.local_offset == kFull32) m.local_offset = r.u64(v);
      }
      e += 4 + len;
    }
    members_.push_back(std::move(m));
    at += 46 + name_len + extra_len + comment_len;
  }
}

std::vector<std::string> ZipArchive::names() const {
  std::vector<std::string> out;
  for (const Member& m : members_) out.push_back(m.name);
  return out;
}

bool ZipArchive::contains(const std::string& name) const {
  return std::any_of(members_.begin(), members_.end(), [&](const Member& m) { return m.name == name; });
}

std::vector<unsigned char> ZipArchive::read(const std::string& name) const {
  const auto it = std::find_if(members_.begin(), members_.end(), [&](const Member& m) { return m.name == name; });
  GRADNET_CHECK(it != members_.end(), data, "{}: no {} in the archive", path_, name);
  const Member& m = *it;
  const Reader r{bytes_, path_};
  GRADNET_CHECK(r.u32(m.local_offset) == kLocalHeader, data, "{}: {}: a broken ZIP local header", path_, name);
  const std::uint64_t start = m.local_offset + 30 + r.u16(m.local_offset + 26) + r.u16(m.local_offset + 28);
  GRADNET_CHECK(start + m.compressed <= bytes_.size(), data, "{}: {}: truncated ({} bytes stored, the archive ends "
                "{} bytes in)", path_, name, m.compressed, bytes_.size() > start ? bytes_.size() - start : 0);
  GRADNET_CHECK(m.size < (std::uint64_t(1) << 32), data, "{}: {}: {} bytes is too large to read (at most 4 GiB a member)", path_, name, m.size);
  std::vector<unsigned char> out(static_cast<std::size_t>(m.size));
  if (m.method == 0) {
    GRADNET_CHECK(m.compressed == m.size, data, "{}: {}: stored sizes disagree", path_, name);
    std::copy_n(bytes_.data() + start, m.size, out.data());
  } else if (m.method == 8) {
    z_stream z{};
    GRADNET_CHECK(inflateInit2(&z, -MAX_WBITS) == Z_OK, runtime, "{}: zlib cannot start", path_);
    z.next_in = const_cast<unsigned char*>(bytes_.data() + start);
    z.avail_in = static_cast<uInt>(std::min<std::uint64_t>(m.compressed, std::numeric_limits<uInt>::max()));
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(std::min<std::uint64_t>(m.size, std::numeric_limits<uInt>::max()));
    const int rc = inflate(&z, Z_FINISH);
    const std::uint64_t produced = z.total_out;
    inflateEnd(&z);
    GRADNET_CHECK(rc == Z_STREAM_END && produced == m.size, data, "{}: {}: corrupt compressed data", path_, name);
  } else {
    fail(ErrorKind::data, "{}: {}: compression method {} (only stored and deflate are read)", path_, name, m.method);
  }
  const auto crc = crc32_z(crc32(0L, Z_NULL, 0), out.data(), out.size());
  GRADNET_CHECK(crc == m.crc, data, "{}: {}: corrupt (CRC mismatch)", path_, name);
  return out;
}

}  // namespace gradnet::data_detail
