#include "gradnet/io/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include "gradnet/error.h"
#include "gradnet/io/atomic_file.h"

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

namespace gradnet {

const NamedTensor* SafetensorsFile::find(const std::string& name) const {
  for (const auto& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

namespace {

struct Entry {  // a tensor's header entry, as the checksum covers it
  std::string dtype;
  Shape shape;
  std::size_t begin = 0, end = 0;
};

// crc32 over every metadata entry but the checksum (by key), every tensor's name, dtype, shape and
// data offsets (by name), and the data bytes: a flipped byte anywhere that matters changes it.
std::string checksum(const std::map<std::string, std::string>& metadata, const std::map<std::string, Entry>& entries,
                     const char* data, std::size_t size) {
  uLong crc = crc32_z(0L, Z_NULL, 0);
  auto add = [&](const std::string& s) {
    crc = crc32_z(crc, reinterpret_cast<const Bytef*>(s.c_str()), s.size() + 1);  // with its NUL: "ab","c" != "a","bc"
  };
  for (const auto& [k, v] : metadata) {
    if (k == kChecksumKey) continue;
    add(k);
    add(v);
  }
  for (const auto& [name, e] : entries) {
    add(name);
    add(e.dtype);
    add(fmt::format("{}", fmt::join(e.shape, ",")));
    add(fmt::format("{},{}", e.begin, e.end));
  }
  crc = crc32_z(crc, reinterpret_cast<const Bytef*>(data), size);
  return fmt::format("crc32:{:08x}", crc);
}

}  // namespace

std::string encode_safetensors(const SafetensorsFile& file) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  std::map<std::string, Entry> entries;
  std::size_t offset = 0;
  for (const auto& t : file.tensors) {
    GRADNET_ASSERT(static_cast<Index>(t.data.size()) == numel(t.shape));
    const std::size_t bytes = t.data.size() * sizeof(float);
    entries[t.name] = {"F32", t.shape, offset, offset + bytes};
    offset += bytes;
  }
  std::string data;
  data.reserve(offset);
  for (const auto& t : file.tensors)
    data.append(reinterpret_cast<const char*>(t.data.data()), t.data.size() * sizeof(float));
  std::map<std::string, std::string> metadata = file.metadata;
  metadata[kChecksumKey] = checksum(metadata, entries, data.data(), data.size());
  header["__metadata__"] = metadata;
  for (const auto& t : file.tensors) {
    const Entry& e = entries[t.name];
    header[t.name] = {{"dtype", e.dtype}, {"shape", e.shape}, {"data_offsets", {e.begin, e.end}}};
  }
  std::string json = header.dump();
  while ((json.size() + 8) % 8 != 0) json += ' ';  // align the data to 8 bytes, as the reference writer does
  std::string out(8, '\0');
  const std::uint64_t n = json.size();
  std::memcpy(out.data(), &n, 8);
  out += json;
  out += data;
  return out;
}

void write_safetensors(const std::string& path, const SafetensorsFile& file) {
  write_file_atomic(path, encode_safetensors(file));
}

SafetensorsFile read_safetensors(const std::string& path) {
  const std::string bytes = read_whole_file(path);
  GRADNET_CHECK(bytes.size() >= 8, checkpoint, "{}: not a safetensors file ({} bytes, too short for a header)",
                path, bytes.size());
  std::uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  GRADNET_CHECK(n <= bytes.size() - 8, checkpoint, "{}: header length {} is beyond the file's {} bytes", path,
                n, bytes.size());
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(n));
  } catch (const nlohmann::json::exception& e) {
    fail(ErrorKind::checkpoint, "{}: header is not valid JSON: {}", path, e.what());
  }
  GRADNET_CHECK(header.is_object(), checkpoint, "{}: header is not a JSON object", path);
  const std::size_t data_begin = 8 + n;
  const std::size_t data_size = bytes.size() - data_begin;
  SafetensorsFile file;
  std::map<std::string, Entry> entries;
  try {
    for (const auto& [name, entry] : header.items()) {
      if (name == "__metadata__") {
        for (const auto& [k, v] : entry.items()) file.metadata[k] = v.get<std::string>();
        continue;
      }
      NamedTensor t;
      t.name = name;
      t.shape = entry.at("shape").get<Shape>();
      const auto offsets = entry.at("data_offsets").get<std::vector<std::size_t>>();
      const std::string dtype = entry.at("dtype").get<std::string>();
      const std::size_t width = dtype == "F32" ? 4 : dtype == "F64" ? 8 : 0;
      GRADNET_CHECK(width != 0, checkpoint, "{}: tensor '{}' has dtype {}; gradnet reads F32 and F64", path, name,
                    dtype);
      std::uint64_t elements = 1;  // checked as it grows: [2^32, 2^32] must not wrap to 0
      for (Index d : t.shape) {
        GRADNET_CHECK(d >= 0 && (d == 0 || elements <= data_size / static_cast<std::uint64_t>(d)), checkpoint,
                      "{}: tensor '{}' has shape {}, more values than the file holds", path, clip(name),
                      clip(shape_str(t.shape)));
        elements *= static_cast<std::uint64_t>(d);
      }
      const std::size_t count = static_cast<std::size_t>(elements);
      GRADNET_CHECK(offsets.size() == 2 && offsets[0] <= offsets[1] && offsets[1] <= data_size &&
                        offsets[1] - offsets[0] == count * width,
                    checkpoint, "{}: tensor '{}' has data offsets outside the file or not matching shape {}",
                    path, name, shape_str(t.shape));
      entries[name] = {dtype, t.shape, offsets[0], offsets[1]};
      const char* src = bytes.data() + data_begin + offsets[0];
      t.data.resize(count);
      if (width == 4) {
        std::memcpy(t.data.data(), src, count * 4);
      } else {
        for (std::size_t i = 0; i < count; ++i) {
          double d;
          std::memcpy(&d, src + 8 * i, 8);
          t.data[i] = static_cast<float>(d);
        }
      }
      file.tensors.push_back(std::move(t));
    }
  } catch (const nlohmann::json::exception& e) {
    fail(ErrorKind::checkpoint, "{}: malformed tensor entry in the header: {}", path, e.what());
  }
  if (auto stored = file.metadata.find(kChecksumKey); stored != file.metadata.end()) {  // older files have none
    const std::string computed = checksum(file.metadata, entries, bytes.data() + data_begin, data_size);
    GRADNET_CHECK(stored->second == computed, checkpoint,
                  "{}: checksum mismatch (stored {}, computed {}): the file is corrupt", path, clip(stored->second),
                  computed);
  }
  // JSON objects come back sorted by name; keep the file's data order for a stable listing.
  std::sort(file.tensors.begin(), file.tensors.end(), [&](const NamedTensor& a, const NamedTensor& b) {
    return header[a.name]["data_offsets"][0].get<std::size_t>() < header[b.name]["data_offsets"][0].get<std::size_t>();
  });
  return file;
}

}  // namespace gradnet
