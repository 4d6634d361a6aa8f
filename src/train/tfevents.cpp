// TensorBoard event files: CRC-32C, TFRecord framing, and the Event messages from
// proto/tensorboard/*.proto (generated into the build tree by protobuf_generate).
#include "gradnet/train/tfevents.h"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>

#include <fmt/format.h>

#include "gradnet/error.h"
#include "gradnet/io/atomic_file.h"
#include "proto/tensorboard/event.pb.h"

namespace gradnet::tfevents {

namespace {

// The byte-at-a-time table of the reflected Castagnoli polynomial.
constexpr std::array<std::uint32_t, 256> make_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr std::array<std::uint32_t, 256> kTable = make_table();

void put_u64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
std::uint64_t get_le(const char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  std::string h(buf);
  for (char& c : h)
    if (c == '/' || c == ' ') c = '_';
  return h;
}

void to_proto(const Histogram& h, tensorboard::HistogramProto& p) {
  p.set_min(h.min);
  p.set_max(h.max);
  p.set_num(h.num);
  p.set_sum(h.sum);
  p.set_sum_squares(h.sum_squares);
  for (double x : h.bucket_limit) p.add_bucket_limit(x);
  for (double x : h.bucket) p.add_bucket(x);
}

Histogram from_proto(const tensorboard::HistogramProto& p) {
  Histogram h{p.min(), p.max(), p.num(), p.sum(), p.sum_squares(), {}, {}};
  h.bucket_limit.assign(p.bucket_limit().begin(), p.bucket_limit().end());
  h.bucket.assign(p.bucket().begin(), p.bucket().end());
  return h;
}

}  // namespace

std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc) {
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (std::size_t i = 0; i < size; ++i) crc = kTable[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

std::uint32_t mask_crc(std::uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u; }

std::uint32_t masked_crc32c(const void* data, std::size_t size) { return mask_crc(crc32c(data, size)); }

std::string frame_record(const std::string& data) {
  std::string out;
  out.reserve(data.size() + 16);
  put_u64(out, data.size());
  put_u32(out, masked_crc32c(out.data(), 8));
  out += data;
  put_u32(out, masked_crc32c(data.data(), data.size()));
  return out;
}

struct EventWriter::Impl {
  std::string path;
  std::FILE* file = nullptr;
  tensorboard::Event event;  // the pending summary, reused
  std::string buffer;

  void write(const tensorboard::Event& e) {
    buffer.clear();
    GRADNET_CHECK(e.SerializeToString(&buffer), runtime, "{}: cannot serialize a TensorBoard event", path);
    const std::string record = frame_record(buffer);
    GRADNET_CHECK(std::fwrite(record.data(), 1, record.size(), file) == record.size(), runtime,
                  "{}: writing the TensorBoard event file failed: {}", path, std::strerror(errno));
  }
};

EventWriter::EventWriter(const std::string& dir) : impl_(std::make_unique<Impl>()) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  GRADNET_CHECK(!ec, runtime, "{}: cannot create the TensorBoard directory: {}", dir, ec.message());
  const std::string base =
      fmt::format("{}/events.out.tfevents.{}.{}", dir, static_cast<long long>(std::time(nullptr)), host_name());
  impl_->path = base + ".gradnet";
  for (int k = 2; fs::exists(impl_->path, ec); ++k) impl_->path = fmt::format("{}.{}.gradnet", base, k);
  impl_->file = std::fopen(impl_->path.c_str(), "wb");
  GRADNET_CHECK(impl_->file, runtime, "{}: cannot create the TensorBoard event file: {}", impl_->path,
                std::strerror(errno));
  tensorboard::Event first;
  first.set_wall_time(now_seconds());
  first.set_step(0);
  first.set_file_version("brain.Event:2");
  impl_->write(first);
  flush();
}

EventWriter::~EventWriter() {
  if (impl_ && impl_->file) std::fclose(impl_->file);
}

const std::string& EventWriter::path() const { return impl_->path; }

void EventWriter::add_scalar(const std::string& tag, double value) {
  auto* v = impl_->event.mutable_summary()->add_value();
  v->set_tag(tag);
  v->set_simple_value(static_cast<float>(value));
}

void EventWriter::add_histogram(const std::string& tag, const Histogram& histogram) {
  auto* v = impl_->event.mutable_summary()->add_value();
  v->set_tag(tag);
  to_proto(histogram, *v->mutable_histo());
}

void EventWriter::add_image(const std::string& tag, const Image& image) {
  auto* v = impl_->event.mutable_summary()->add_value();
  v->set_tag(tag);
  auto* im = v->mutable_image();
  im->set_height(image.height);
  im->set_width(image.width);
  im->set_colorspace(image.colorspace);
  im->set_encoded_image_string(image.png);
}

bool EventWriter::pending() const { return impl_->event.has_summary() && impl_->event.summary().value_size() > 0; }

void EventWriter::write_event(std::int64_t step, double wall_time) {
  if (!pending()) return;
  impl_->event.set_step(step);
  impl_->event.set_wall_time(wall_time < 0 ? now_seconds() : wall_time);
  impl_->write(impl_->event);
  impl_->event.Clear();
}

void EventWriter::flush() {
  GRADNET_CHECK(std::fflush(impl_->file) == 0, runtime, "{}: writing the TensorBoard event file failed: {}",
                impl_->path, std::strerror(errno));
}

std::vector<Event> read_events(const std::string& path) {
  std::string bytes;
  try {
    bytes = read_whole_file(path);
  } catch (const Error& e) {
    fail(ErrorKind::data, "{}", e.what());
  }
  std::vector<Event> events;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    GRADNET_CHECK(bytes.size() - pos >= 12, data, "{}: truncated record header at byte {}", path, pos);
    const std::uint64_t length = get_le(bytes.data() + pos, 8);
    const auto length_crc = static_cast<std::uint32_t>(get_le(bytes.data() + pos + 8, 4));
    GRADNET_CHECK(length_crc == masked_crc32c(bytes.data() + pos, 8), data,
                  "{}: record at byte {}: the length's CRC does not match", path, pos);
    GRADNET_CHECK(length <= bytes.size() - pos - 12 && bytes.size() - pos - 12 - length >= 4, data,
                  "{}: record at byte {} says {} bytes, the file ends before them", path, pos, length);
    const char* data = bytes.data() + pos + 12;
    const auto data_crc = static_cast<std::uint32_t>(get_le(data + length, 4));
    GRADNET_CHECK(data_crc == masked_crc32c(data, length), data, "{}: record at byte {}: the data's CRC does not match",
                  path, pos);
    tensorboard::Event e;
    GRADNET_CHECK(e.ParseFromArray(data, static_cast<int>(length)), data, "{}: record at byte {} is not an Event",
                  path, pos);
    Event out;
    out.wall_time = e.wall_time();
    out.step = e.step();
    if (e.what_case() == tensorboard::Event::kFileVersion) out.file_version = e.file_version();
    if (e.has_summary()) {
      for (const auto& v : e.summary().value()) {
        Value value;
        value.tag = v.tag();
        switch (v.value_case()) {
          case tensorboard::Summary::Value::kSimpleValue:
            value.kind = Value::Kind::scalar;
            value.scalar = v.simple_value();
            break;
          case tensorboard::Summary::Value::kHisto:
            value.kind = Value::Kind::histogram;
            value.histogram = from_proto(v.histo());
            break;
          case tensorboard::Summary::Value::kImage:
            value.kind = Value::Kind::image;
            value.image = {v.image().height(), v.image().width(), v.image().colorspace(),
                           v.image().encoded_image_string()};
            break;
          default:
            break;
        }
        out.values.push_back(std::move(value));
      }
    }
    events.push_back(std::move(out));
    pos += 12 + length + 4;
  }
  return events;
}

}  // namespace gradnet::tfevents
