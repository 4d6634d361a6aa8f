// CIFAR-10 binary batches. Each file is read record by record (3073 bytes a gzread, through zlib's
// 1 MiB buffer) into one byte buffer per file, so a corrupt stream is reported at the record being
// read; the labels are checked as they arrive. The files are inflated in parallel (OpenMP, one
// file a thread). Once every file is in, the pixels are copied into the dataset's byte rows
// (dataset.h; no float copy), each file's buffer freed as soon as it is copied: peak memory is the
// pixels plus one file.
#include "gradnet/data/cifar.h"

#include <algorithm>
#include <exception>
#include <filesystem>
#include <fstream>

#include "gradnet/error.h"
#include "input_file.h"

namespace gradnet {

namespace {

using data_detail::InputFile;

constexpr Index kClasses = 10;
constexpr Index kPixels = kCifarRecordBytes - 1;  // 3 x 32 x 32
constexpr Index kStandardRecords = 10000;        // records in each official file

struct Batch {
  std::string path;
  std::vector<unsigned char> bytes;  // whole records only
  Index records = 0;
};

// Reads the whole file as records, checking the size and every label.
Batch read_batch(const std::string& path) {
  Batch b;
  b.path = path;
  InputFile f(path);
  b.bytes.reserve(static_cast<std::size_t>(kStandardRecords * kCifarRecordBytes));
  std::size_t partial = 0;
  for (Index i = 0;; ++i) {
    const std::size_t at = b.bytes.size();
    b.bytes.resize(at + kCifarRecordBytes);
    std::size_t got = 0;
    try {
      got = f.read(b.bytes.data() + at, kCifarRecordBytes);
    } catch (const Error& e) {
      fail(ErrorKind::data, "{}, while reading record {}", e.what(), i);
    }
    if (got < static_cast<std::size_t>(kCifarRecordBytes)) {
      b.bytes.resize(at);
      partial = got;
      break;
    }
    const unsigned label = b.bytes[at];
    GRADNET_CHECK(label < kClasses, data, "{}: record {}: label {} is out of range 0..{}", path, i, label,
                  kClasses - 1);
    b.records = i + 1;
  }
  const char* gzip_note = f.truncated_gzip() ? " (the gzip stream ends early: truncated download?)" : "";
  if (partial > 0)
    fail(ErrorKind::data, "{}: {} bytes is not a whole number of {}-byte records: record {} has only {} bytes{}", path,
         b.records * kCifarRecordBytes + static_cast<Index>(partial), kCifarRecordBytes, b.records, partial, gzip_note);
  GRADNET_CHECK(!f.truncated_gzip(), data, "{}: the gzip stream ends early, after record {} (truncated download?)",
                path, b.records - 1);
  GRADNET_CHECK(b.records > 0, data, "{}: empty file, expected {}-byte records (1 label byte + {} pixel bytes)", path,
                kCifarRecordBytes, kPixels);
  return b;
}

}  // namespace

Dataset load_cifar_batches(const std::vector<std::string>& paths, Index limit) {
  GRADNET_CHECK(!paths.empty(), data, "no CIFAR-10 batch files to read");
  std::vector<Batch> batches;
  Index total = 0;
  if (limit > 0) {  // in order, until enough records are in hand; the rest need only exist
    for (const std::string& path : paths) {
      if (total >= limit) {
        std::error_code ec;
        GRADNET_CHECK(std::filesystem::is_regular_file(path, ec), data, "{}: no such file", path);
        continue;
      }
      batches.push_back(read_batch(path));
      total += batches.back().records;
    }
  } else {
    // Every file: decompressed in parallel (inflate is most of the time), errors reported in
    // file order as if read one after another.
    batches.resize(paths.size());
    std::vector<std::exception_ptr> errors(paths.size());
#pragma omp parallel for schedule(dynamic, 1)
    for (std::size_t i = 0; i < paths.size(); ++i) {
      try {
        batches[i] = read_batch(paths[i]);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
    for (const std::exception_ptr& e : errors)
      if (e) std::rethrow_exception(e);
    for (const Batch& b : batches) total += b.records;
  }
  const Index n = limit > 0 ? std::min(limit, total) : total;

  Dataset d;
  d.shape = {3, 32, 32};
  d.classes = kClasses;
  d.source = paths.front();
  d.bytes.resize(static_cast<std::size_t>(n * kPixels));
  d.byte_rows = true;
  d.y.resize(static_cast<std::size_t>(n));
  Index row = 0;
  for (Batch& b : batches) {
    const Index take = std::min(b.records, n - row);
    const unsigned char* bytes = b.bytes.data();
    std::uint8_t* x = d.bytes.data() + row * kPixels;
    std::int32_t* y = d.y.data() + row;
#pragma omp parallel for schedule(static)
    for (Index i = 0; i < take; ++i) {
      const unsigned char* rec = bytes + i * kCifarRecordBytes;
      y[i] = rec[0];
      std::copy(rec + 1, rec + 1 + kPixels, x + i * kPixels);
    }
    row += take;
    std::vector<unsigned char>().swap(b.bytes);  // free each file's bytes as soon as they are converted
  }
  return d;
}

std::vector<std::string> load_cifar_class_names(const std::string& path, Index classes) {
  std::ifstream in(path);
  GRADNET_CHECK(in.good(), data, "{}: cannot open", path);
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    std::size_t start = 0;
    while (start < line.size() && (line[start] == ' ' || line[start] == '\t')) ++start;
    if (start < line.size()) names.push_back(line.substr(start));
  }
  GRADNET_CHECK(static_cast<Index>(names.size()) == classes, data, "{}: {} class names, expected {} (one per line)",
                path, names.size(), classes);
  return names;
}

std::string find_cifar_file(const std::string& dir, const std::string& name) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path raw = fs::path(dir) / (name + ".bin");
  if (fs::exists(raw, ec)) return raw.string();
  const fs::path gz = fs::path(dir) / (name + ".bin.gz");
  if (fs::exists(gz, ec)) return gz.string();
  fail(ErrorKind::data, "{}: no {}.bin or {}.bin.gz (CIFAR-10 binary version); run scripts/setup or set data.dir", dir,
       name, name);
}

}  // namespace gradnet
