#include "gradnet/data/npy.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>

#include <fmt/format.h>

#include "gradnet/error.h"
#include "gradnet/rng.h"
#include "zip_archive.h"

namespace gradnet {

namespace {

namespace fs = std::filesystem;

// One parsed array: its dtype, shape and the bytes after the header.
struct NpyArray {
  std::string where;  // "x.npy" or "data.npz: x_train", for messages
  char kind = 0;      // 'f', 'i', 'u', ...
  int itemsize = 0;
  std::string descr;
  std::vector<Index> shape;
  std::vector<unsigned char> bytes;
  std::size_t offset = 0;  // where the data starts in bytes
  const unsigned char* data() const { return bytes.data() + offset; }
  Index count() const {
    Index n = 1;
    for (Index d : shape) n *= d;
    return n;
  }
};

std::vector<unsigned char> read_whole(const std::string& path) {
  std::error_code ec;
  GRADNET_CHECK(fs::is_regular_file(path, ec), data, "{}: no such file", path);
  std::ifstream in(path, std::ios::binary);
  GRADNET_CHECK(in, data, "{}: cannot open", path);
  return std::vector<unsigned char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The value after 'key': in the header's Python dict literal, up to the next delimiter.
std::string header_value(const std::string& header, const std::string& key, const std::string& where) {
  const std::size_t at = header.find("'" + key + "'");
  GRADNET_CHECK(at != std::string::npos, data, "{}: the .npy header has no '{}' ({})", where, key, clip(header));
  std::size_t v = header.find(':', at);
  GRADNET_CHECK(v != std::string::npos, data, "{}: a malformed .npy header ({})", where, clip(header));
  ++v;
  while (v < header.size() && header[v] == ' ') ++v;
  const char open = v < header.size() ? header[v] : '\0';
  const std::size_t end = open == '(' ? header.find(')', v) : open == '\'' ? header.find('\'', v + 1) : header.find_first_of(",}", v);
  GRADNET_CHECK(end != std::string::npos, data, "{}: a malformed .npy header ({})", where, clip(header));
  if (open == '\'') return header.substr(v + 1, end - v - 1);
  std::string value = header.substr(v, end - v + (open == '(' ? 1 : 0));
  while (!value.empty() && (value.back() == ' ' || value.back() == '}')) value.pop_back();
  return value;
}

NpyArray parse_npy(std::vector<unsigned char> bytes, const std::string& where) {
  NpyArray a;
  a.where = where;
  const bool magic = bytes.size() >= 10 && std::memcmp(bytes.data(), "\x93NUMPY", 6) == 0;
  GRADNET_CHECK(magic, data, "{}: not a NumPy .npy array (no \\x93NUMPY magic)", where);
  const int major = bytes[6];
  GRADNET_CHECK(major >= 1 && major <= 3, data, "{}: .npy format version {}.{} (1.0 to 3.0 are read)", where, major, bytes[7]);
  const std::size_t len_bytes = major == 1 ? 2 : 4;
  std::size_t header_len = 0;
  for (std::size_t i = 0; i < len_bytes && 8 + i < bytes.size(); ++i) header_len |= std::size_t(bytes[8 + i]) << (8 * i);
  a.offset = 8 + len_bytes + header_len;
  GRADNET_CHECK(a.offset <= bytes.size(), data, "{}: truncated inside its .npy header", where);
  const std::string header(reinterpret_cast<const char*>(bytes.data() + 8 + len_bytes), header_len);
  a.descr = header_value(header, "descr", where);
  const std::string fortran = header_value(header, "fortran_order", where);
  GRADNET_CHECK(fortran != "True", data, "{}: a Fortran-order array; save it in C order (np.ascontiguousarray)", where);
  const std::string shape = header_value(header, "shape", where);
  for (std::size_t i = 1; i < shape.size();) {
    const std::size_t j = shape.find_first_of(",)", i);
    std::string dim = shape.substr(i, j - i);
    dim.erase(std::remove_if(dim.begin(), dim.end(), [](char c) { return c == ' ' || c == 'L'; }), dim.end());
    if (!dim.empty()) {
      GRADNET_CHECK(std::all_of(dim.begin(), dim.end(), ::isdigit) && dim.size() < 12, data,
                    "{}: a malformed shape {} in the .npy header", where, shape);
      a.shape.push_back(std::stoll(dim));
    }
    if (j == std::string::npos) break;
    i = j + 1;
  }
  const bool known = a.descr.size() >= 3 && (a.descr[0] == '<' || a.descr[0] == '|' || a.descr[0] == '=' ||
                                             (a.descr[0] == '>' && a.descr.substr(2) == "1"));
  GRADNET_CHECK(known && std::isdigit(static_cast<unsigned char>(a.descr[2])), data,
                "{}: dtype '{}' is not read (little-endian numbers only: save with .astype('<f4'))", where, a.descr);
  a.kind = a.descr[1];
  a.itemsize = std::stoi(a.descr.substr(2));
  const std::uint64_t need = static_cast<std::uint64_t>(a.count()) * static_cast<std::uint64_t>(a.itemsize);
  const std::uint64_t have = bytes.size() - a.offset;
  GRADNET_CHECK(have == need, data, "{}: the header's shape {} of '{}' needs {} bytes of data, the file holds {}{}", where,
                shape, a.descr, need, have, have < need ? " (truncated)" : "");
  a.bytes = std::move(bytes);
  return a;
}

// One integer label per example.
std::vector<std::int32_t> labels_of(const NpyArray& y, Index n, const std::string& features) {
  GRADNET_CHECK((y.kind == 'i' || y.kind == 'u') && (y.itemsize == 1 || y.itemsize == 2 || y.itemsize == 4 || y.itemsize == 8),
                data, "{}: labels of dtype '{}': expected integers (save them with .astype(np.int64))", y.where, y.descr);
  GRADNET_CHECK(y.shape.size() == 1 || (y.shape.size() == 2 && y.shape[1] == 1), data,
                "{}: labels of shape {}: expected (N,) or (N, 1)", y.where, shape_str(Shape(y.shape)));
  GRADNET_CHECK(y.shape[0] == n, data, "{}: {} labels, but {} has {} examples", y.where, y.shape[0], features, n);
  std::vector<std::int32_t> out(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) {
    std::int64_t v = 0;
    const unsigned char* p = y.data() + i * y.itemsize;
    if (y.kind == 'u') {
      std::uint64_t u = 0;
      std::memcpy(&u, p, static_cast<std::size_t>(y.itemsize));  // little-endian host (x86-64, arm64)
      v = u > (std::uint64_t(1) << 31) ? std::int64_t(1) << 31 : static_cast<std::int64_t>(u);
    } else {
      std::memcpy(&v, p, static_cast<std::size_t>(y.itemsize));
      const int shift = 64 - 8 * y.itemsize;  // sign-extend
      v = shift ? static_cast<std::int64_t>(static_cast<std::uint64_t>(v) << shift) >> shift : v;
    }
    GRADNET_CHECK(v >= 0 && v < (std::int64_t(1) << 20), data, "{}: label {} at index {}: expected a class in 0..{}",
                  y.where, v, i, (1 << 20) - 1);
    out[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(v);
  }
  return out;
}

// The per-example shape, and whether the array is channels-last (N, H, W, C).
Shape example_shape(const NpyArray& x, bool& channels_last) {
  const Shape s(x.shape.begin() + 1, x.shape.end());
  channels_last = s.size() == 3 && (s[2] == 1 || s[2] == 3) && s[0] != 1 && s[0] != 3;
  if (s.empty()) return {1};
  if (s.size() == 2) return {1, s[0], s[1]};
  if (channels_last) return {s[2], s[0], s[1]};
  return s;
}

template <typename From, typename To>
void copy_rows(const unsigned char* raw, Index n, const Shape& shape, bool channels_last, To* out) {
  const Index f = numel(shape);
  for (Index i = 0; i < n; ++i) {
    for (Index j = 0; j < f; ++j) {
      // destination j = (c, p) planar; the source holds (p, c) interleaved when channels-last
      const Index src = channels_last ? (j % (shape[1] * shape[2])) * shape[0] + j / (shape[1] * shape[2]) : j;
      From v;
      std::memcpy(&v, raw + (i * f + src) * static_cast<Index>(sizeof(From)), sizeof(From));
      out[i * f + j] = static_cast<To>(v);
    }
  }
}

Dataset dataset_of(const NpyArray& x, const NpyArray& y) {
  GRADNET_CHECK(!x.shape.empty() && x.shape[0] > 0, data, "{}: features of shape {}: expected (N, ...) with N >= 1",
                x.where, shape_str(Shape(x.shape)));
  const bool bytes = x.kind == 'u' && x.itemsize == 1;
  GRADNET_CHECK(bytes || (x.kind == 'f' && (x.itemsize == 4 || x.itemsize == 8)), data,
                "{}: features of dtype '{}': expected uint8, float32 or float64 (convert with .astype(np.float32))",
                x.where, x.descr);
  Dataset d;
  d.source = x.where;
  const Index n = x.shape[0];
  bool channels_last = false;
  d.shape = example_shape(x, channels_last);
  d.y = labels_of(y, n, x.where);
  d.classes = d.y.empty() ? 0 : *std::max_element(d.y.begin(), d.y.end()) + 1;
  if (bytes) {
    d.byte_rows = true;
    d.bytes.resize(static_cast<std::size_t>(n * numel(d.shape)));
    if (channels_last) copy_rows<std::uint8_t>(x.data(), n, d.shape, true, d.bytes.data());
    else std::memcpy(d.bytes.data(), x.data(), d.bytes.size());
  } else {
    d.x.resize({n, numel(d.shape)});
    if (x.itemsize == 4) copy_rows<float>(x.data(), n, d.shape, channels_last, d.x.data());
    else copy_rows<double>(x.data(), n, d.shape, channels_last, d.x.data());
  }
  return d;
}

std::string join_path(const std::string& base, const std::string& path) {
  if (path.empty() || fs::path(path).is_absolute() || base.empty()) return path;
  return (fs::path(base) / path).lexically_normal().string();
}

bool is_zip(const std::vector<unsigned char>& b) { return b.size() >= 4 && b[0] == 'P' && b[1] == 'K' && b[2] <= 8; }

// Train (and, when the files give one, test) from an .npz archive or .npy files.
Splits read_arrays(const DataConfig& c, const std::string& config_dir, bool& has_test) {
  const std::string path = join_path(config_dir, c.path);
  std::vector<unsigned char> bytes = read_whole(path);
  Splits s;
  if (is_zip(bytes)) {
    GRADNET_CHECK(c.test_path.empty(), config, "data.test_path = '{}': with an .npz archive (data.path = '{}') the test "
                  "arrays are its x_test and y_test", c.test_path, c.path);
    const data_detail::ZipArchive zip(std::move(bytes), path);
    auto array = [&](const std::string& name) { return parse_npy(zip.read(name + ".npy"), path + ": " + name); };
    for (const char* name : {"x_train", "y_train"})
      GRADNET_CHECK(zip.contains(std::string(name) + ".npy"), data, "{}: no array {} (it holds: {}); an .npz dataset "
                    "holds x_train and y_train, and optionally x_test and y_test", path, name, fmt::join(zip.names(), ", "));
    s.train = dataset_of(array("x_train"), array("y_train"));
    has_test = zip.contains("x_test.npy") || zip.contains("y_test.npy");
    if (has_test) s.test = dataset_of(array("x_test"), array("y_test"));
    return s;
  }
  GRADNET_CHECK(!c.train_labels.empty(), config, "data.path = '{}' is an .npy array: data.train_labels must name its "
                "labels (.npy)", c.path);
  const std::string labels = join_path(config_dir, c.train_labels);
  s.train = dataset_of(parse_npy(std::move(bytes), path), parse_npy(read_whole(labels), labels));
  has_test = !c.test_path.empty();
  if (has_test) {
    GRADNET_CHECK(!c.test_labels.empty(), config, "data.test_path = '{}': data.test_labels must name its labels (.npy)",
                  c.test_path);
    const std::string test = join_path(config_dir, c.test_path), test_labels = join_path(config_dir, c.test_labels);
    s.test = dataset_of(parse_npy(read_whole(test), test), parse_npy(read_whole(test_labels), test_labels));
  }
  return s;
}

}  // namespace

Splits load_npy_splits(const DataConfig& c, const std::string& config_dir, std::uint64_t seed) {
  bool has_test = false;
  Splits s = read_arrays(c, config_dir, has_test);
  std::vector<Index> order(static_cast<std::size_t>(s.train.size()));
  std::iota(order.begin(), order.end(), Index(0));
  Rng rng = Rng::stream(seed, "split");  // arrays are often sorted by class: shuffled before any split
  rng.shuffle(order);
  s.train = take_rows(s.train, order);
  if (has_test) {
    GRADNET_CHECK(s.test.shape == s.train.shape && s.test.byte_rows == s.train.byte_rows, data,
                  "{}: examples of shape {} ({}), but {} has {} ({})", s.test.source, shape_str(s.test.shape),
                  s.test.byte_rows ? "uint8" : "float", s.train.source, shape_str(s.train.shape),
                  s.train.byte_rows ? "uint8" : "float");
  } else {
    GRADNET_CHECK(c.test_fraction >= 0 && c.test_fraction < 1, config,
                  "data.test_fraction = {}: expected a share in [0, 1)", c.test_fraction);
    const Index n = s.train.size();
    const Index test = static_cast<Index>(std::llround(c.test_fraction * static_cast<double>(n)));
    s.test = slice(s.train, n - test, n);
    truncate(s.train, n - test);
  }
  s.train.classes = s.test.classes = std::max(s.train.classes, s.test.classes);
  return s;
}

void write_npy(const std::string& path, const std::string& dtype, const Shape& shape, const void* data) {
  std::string dims;
  for (Index d : shape) dims += fmt::format("{}, ", d);
  if (shape.size() > 1) dims.resize(dims.size() - 2);
  else if (shape.size() == 1) dims.pop_back();
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': ({}), }}", dtype, dims);
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  const std::size_t item = static_cast<std::size_t>(std::stoi(dtype.substr(2)));
  std::ofstream out(path, std::ios::binary);
  GRADNET_CHECK(out, runtime, "{}: cannot write", path);
  out.write("\x93NUMPY\x01\x00", 8);
  const char len[2] = {static_cast<char>(header.size() & 0xFF), static_cast<char>(header.size() >> 8)};
  out.write(len, 2);
  out << header;
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(item * static_cast<std::size_t>(numel(shape))));
  GRADNET_CHECK(out, runtime, "{}: cannot write", path);
}

}  // namespace gradnet
