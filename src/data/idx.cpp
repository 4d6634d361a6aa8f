// IDX reader. The payload is read straight into one buffer of the size the header promises
// (16 MiB gzread chunks), and that buffer is the dataset's byte rows (dataset.h): MNIST's 47 MB
// train images load in about a tenth of a second and are never widened to a float copy.
#include "gradnet/data/idx.h"

#include <algorithm>
#include <array>

#include "gradnet/error.h"
#include "input_file.h"

namespace gradnet {

namespace {

using data_detail::InputFile;

constexpr std::uint32_t kImagesMagic = 0x00000803;  // type 0x08 = unsigned byte, 3 dims
constexpr std::uint32_t kLabelsMagic = 0x00000801;  // type 0x08 = unsigned byte, 1 dim
// Beyond these a header is garbage, not a dataset: refuse before allocating for it.
constexpr std::uint64_t kMaxExamples = std::uint64_t(1) << 31;
constexpr std::uint64_t kMaxImageSide = 1 << 15;

std::uint32_t big_endian(const unsigned char* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}

const char* type_name(unsigned char type) {
  switch (type) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "short";
    case 0x0C: return "int";
    case 0x0D: return "float";
    case 0x0E: return "double";
    default: return "unknown";
  }
}

// Reads the header's magic and `dims` sizes, checking the magic against `want`.
std::vector<std::uint32_t> read_header(InputFile& f, std::uint32_t want, const char* what) {
  std::array<unsigned char, 4> magic{};
  const std::size_t got = f.read(magic.data(), 4);
  GRADNET_CHECK(got == 4, data, "{}: file holds {} bytes, too short for an IDX header", f.path(), got);
  const std::uint32_t m = big_endian(magic.data());
  GRADNET_CHECK(magic[0] == 0 && magic[1] == 0, data,
                "{}: magic number 0x{:08X} is not an IDX file (expected 0x{:08X} for {})", f.path(), m, want, what);
  GRADNET_CHECK(magic[2] == 0x08, data, "{}: IDX element type 0x{:02X} ({}) is not supported, only 0x08 (unsigned byte)",
                f.path(), magic[2], type_name(magic[2]));
  if (m != want) {
    const char* is = m == kImagesMagic ? "an image file" : m == kLabelsMagic ? "a label file" : "an IDX file";
    fail(ErrorKind::data, "{}: magic number 0x{:08X} ({} with {} dimensions), expected 0x{:08X} for {}", f.path(), m, is,
         magic[3], want, what);
  }
  const int dims = magic[3];
  std::vector<unsigned char> raw(static_cast<std::size_t>(4 * dims));
  const std::size_t n = f.read(raw.data(), raw.size());
  GRADNET_CHECK(n == raw.size(), data, "{}: header ends after {} of its {} bytes", f.path(), 4 + n, 4 + raw.size());
  std::vector<std::uint32_t> sizes(static_cast<std::size_t>(dims));
  for (int i = 0; i < dims; ++i) sizes[i] = big_endian(raw.data() + 4 * i);
  GRADNET_CHECK(sizes[0] <= kMaxExamples, data, "{}: header says {} {}, more than any dataset this reads", f.path(),
                sizes[0], what);
  return sizes;
}

// Reads exactly `count` records of `record` bytes after the header; the short-file and
// trailing-bytes messages speak in records ("file holds 59999").
std::vector<unsigned char> read_payload(InputFile& f, std::uint64_t count, std::uint64_t record,
                                        const std::string& promise, const char* unit) {
  // Grow toward the promised size (64 MiB first, then doubling) instead of trusting the header
  // with one allocation: a corrupt header then ends as "file holds N", never as bad_alloc.
  const std::uint64_t total = count * record;
  std::vector<unsigned char> bytes;
  std::uint64_t got = 0;
  while (got < total) {
    const std::uint64_t next = std::min(total, std::max(2 * got, std::uint64_t(1) << 26));
    bytes.resize(static_cast<std::size_t>(next));
    got += f.read(bytes.data() + got, static_cast<std::size_t>(next - got));
    if (got < next) break;
  }
  if (got < total) {
    const std::uint64_t whole = got / record, partial = got % record;
    fail(ErrorKind::data, "{}: header says {}, file holds {}{}{}", f.path(), promise, whole,
         partial ? fmt::format(" (and {} bytes of one more)", partial) : "",
         f.truncated_gzip() ? " (the gzip stream ends early: truncated download?)" : "");
  }
  const std::uint64_t extra = f.count_rest();
  GRADNET_CHECK(!f.truncated_gzip(), data,
                "{}: the gzip stream ends early: its trailer (CRC and size) is missing, so the data cannot be "
                "verified (truncated download?)",
                f.path());
  GRADNET_CHECK(extra == 0, data, "{}: header says {}, file holds {}{} bytes more (trailing data after the last {})",
                f.path(), promise, extra > (std::uint64_t(1) << 32) ? "over " : "", extra, unit);
  return bytes;
}

}  // namespace

Dataset load_idx_images(const std::string& path) {
  InputFile f(path);
  const std::vector<std::uint32_t> dims = read_header(f, kImagesMagic, "images");
  const std::uint64_t count = dims[0], rows = dims[1], cols = dims[2];
  GRADNET_CHECK(rows > 0 && cols > 0 && rows <= kMaxImageSide && cols <= kMaxImageSide, data,
                "{}: header says images of {}x{}, expected sides in 1..{}", path, rows, cols, kMaxImageSide);
  const std::string promise = fmt::format("{} images of {}x{}", count, rows, cols);
  Dataset d;
  d.bytes = read_payload(f, count, rows * cols, promise, "image");
  if (d.bytes.capacity() > d.bytes.size()) d.bytes.shrink_to_fit();  // grown past the payload: give it back
  d.byte_rows = true;
  d.shape = {1, static_cast<Index>(rows), static_cast<Index>(cols)};
  d.y.assign(static_cast<std::size_t>(count), 0);
  d.source = path;
  return d;
}

std::vector<std::int32_t> load_idx_labels(const std::string& path, Index classes) {
  InputFile f(path);
  const std::vector<std::uint32_t> dims = read_header(f, kLabelsMagic, "labels");
  const std::uint64_t count = dims[0];
  const std::vector<unsigned char> bytes = read_payload(f, count, 1, fmt::format("{} labels", count), "label");
  std::vector<std::int32_t> y(bytes.begin(), bytes.end());
  if (classes > 0) {
    for (std::size_t i = 0; i < y.size(); ++i)
      GRADNET_CHECK(y[i] < classes, data, "{}: label {} at index {} is out of range 0..{}", path, y[i], i, classes - 1);
  }
  return y;
}

Dataset load_idx(const std::string& images_path, const std::string& labels_path, Index classes) {
  GRADNET_CHECK(classes > 0, config, "{}: class count {} must be positive", labels_path, classes);
  // Labels first: a label file is tiny, so a mismatch is reported before decoding 47 MB.
  std::vector<std::int32_t> labels = load_idx_labels(labels_path, classes);
  Dataset d = load_idx_images(images_path);
  GRADNET_CHECK(static_cast<std::size_t>(d.size()) == labels.size(), data,
                "{}: {} images, but {} holds {} labels", images_path, d.size(), labels_path, labels.size());
  d.y = std::move(labels);
  d.classes = classes;
  d.source = images_path;
  return d;
}

}  // namespace gradnet
