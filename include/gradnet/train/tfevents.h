// TensorBoard event files: run_dir/tensorboard/events.out.tfevents.<unix time>.<host>.gradnet.
//
// A file is a sequence of records (TensorFlow's TFRecord framing):
//   uint64 length (little-endian) | uint32 masked_crc32c(length bytes) | data | uint32 masked_crc32c(data)
// where each data is one serialized tensorboard.Event (proto/tensorboard/*.proto, copied from
// TensorBoard with the field numbers unchanged). The first Event holds file_version
// "brain.Event:2"; the others hold a Summary of scalars, histograms or images at a global step.
// Protobuf stays inside src/: this header speaks plain structs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gradnet::tfevents {

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven; crc32c("123456789") is
// 0xE3069283. `crc` continues an earlier value (0 to start).
std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc = 0);
// TFRecord's mask: ((crc >> 15) | (crc << 17)) + 0xA282EAD8.
std::uint32_t mask_crc(std::uint32_t crc);
std::uint32_t masked_crc32c(const void* data, std::size_t size);

// TensorBoard's HistogramProto: bucket[i] counts the values in (bucket_limit[i-1], bucket_limit[i]],
// the first bucket starting at min.
struct Histogram {
  double min = 0, max = 0, num = 0, sum = 0, sum_squares = 0;
  std::vector<double> bucket_limit, bucket;
};

// Summary.Image: an encoded PNG. colorspace: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA.
struct Image {
  int height = 0, width = 0, colorspace = 0;
  std::string png;
};

// Writes one event file. Values added with add_*() are written together as one Event by
// write_event(step). Error{runtime} when the file cannot be created or written.
class EventWriter {
 public:
  // Creates dir when needed and a new events.out.tfevents.* file in it (a suffix keeps two
  // writers started within the same second apart), then writes the file_version record.
  explicit EventWriter(const std::string& dir);
  ~EventWriter();  // flushes and closes; never throws
  EventWriter(const EventWriter&) = delete;
  EventWriter& operator=(const EventWriter&) = delete;

  const std::string& path() const;
  void add_scalar(const std::string& tag, double value);  // stored as float (simple_value)
  void add_histogram(const std::string& tag, const Histogram& histogram);
  void add_image(const std::string& tag, const Image& image);
  bool pending() const;                                    // anything added since the last write_event
  void write_event(std::int64_t step, double wall_time = -1);  // wall_time < 0: now
  void flush();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// What read_events() returns for one Summary.Value.
struct Value {
  enum class Kind { scalar, histogram, image, other };
  std::string tag;
  Kind kind = Kind::other;
  double scalar = 0;
  Histogram histogram;
  Image image;
};

struct Event {
  double wall_time = 0;
  std::int64_t step = 0;
  std::string file_version;   // set on the first event of a file
  std::vector<Value> values;  // the Summary's values (empty for the file_version event)
};

// Reads an event file back, checking both CRCs of every record. Error{data} naming the file and
// the record's byte offset on a truncated record, a CRC mismatch or an unparsable Event.
std::vector<Event> read_events(const std::string& path);

// The frame around one record's bytes (length, masked CRC of the length, data, masked CRC).
std::string frame_record(const std::string& data);

}  // namespace gradnet::tfevents
