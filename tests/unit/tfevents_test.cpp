// TensorBoard event files: CRC-32C against published vectors, the TFRecord frame byte by byte, a
// file written and read back (scalars, histograms, images), and corrupt files refused.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "gradnet/error.h"
#include "gradnet/train/tfevents.h"
#include "test_support.h"

namespace gradnet {
namespace {

using namespace gradnet::tfevents;
using gradnet::testing::read_file;
using gradnet::testing::TempDir;
using gradnet::testing::write_file;

std::uint32_t crc_of(const std::string& s) { return crc32c(s.data(), s.size()); }

TEST(Crc32c, KnownVectors) {
  EXPECT_EQ(crc_of("123456789"), 0xE3069283u);  // the CRC catalogue's check value
  EXPECT_EQ(crc_of(""), 0u);
  // RFC 3720 (iSCSI), appendix B.4.
  EXPECT_EQ(crc_of(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(crc_of(std::string(32, '\xff')), 0x62A8AB43u);
  std::string up, down;
  for (int i = 0; i < 32; ++i) up.push_back(static_cast<char>(i)), down.push_back(static_cast<char>(31 - i));
  EXPECT_EQ(crc_of(up), 0x46DD794Eu);
  EXPECT_EQ(crc_of(down), 0x113FDB5Cu);
}

TEST(Crc32c, ContinuesAnEarlierValue) {
  const std::string s = "The quick brown fox jumps over the lazy dog";
  const std::uint32_t whole = crc_of(s);
  EXPECT_EQ(whole, 0x22620404u);
  EXPECT_EQ(crc32c(s.data() + 10, s.size() - 10, crc32c(s.data(), 10)), whole);
}

TEST(Crc32c, MaskIsTensorFlows) {
  EXPECT_EQ(mask_crc(0), 0xA282EAD8u);
  // ((c >> 15) | (c << 17)) + 0xA282EAD8, mod 2^32
  EXPECT_EQ(mask_crc(0xE3069283u), ((0xE3069283u >> 15) | (0xE3069283u << 17)) + 0xA282EAD8u);
  EXPECT_EQ(masked_crc32c("123456789", 9), mask_crc(0xE3069283u));
}

std::uint64_t le(const std::string& s, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(s[at + i])) << (8 * i);
  return v;
}

TEST(TfRecord, FrameLayout) {
  const std::string data = "hello, tensorboard";
  const std::string r = frame_record(data);
  ASSERT_EQ(r.size(), 8 + 4 + data.size() + 4);
  EXPECT_EQ(le(r, 0, 8), data.size());
  EXPECT_EQ(le(r, 8, 4), masked_crc32c(r.data(), 8));
  EXPECT_EQ(r.substr(12, data.size()), data);
  EXPECT_EQ(le(r, 12 + data.size(), 4), masked_crc32c(data.data(), data.size()));
}

std::string only_file(const std::string& dir) {
  std::string found;
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) found = e.path().string(), ++n;
  EXPECT_EQ(n, 1);
  return found;
}

TEST(EventWriter, WritesWhatReadEventsReadsBack) {
  TempDir tmp;
  const std::string dir = tmp / "tb";
  std::string path;
  {
    EventWriter w(dir);
    path = w.path();
    EXPECT_FALSE(w.pending());
    w.add_scalar("train/loss", 2.302585);
    w.add_scalar("lr", 0.1);
    EXPECT_TRUE(w.pending());
    w.write_event(10, 1700000000.5);
    Histogram h{-1, 3, 4, 2, 14, {0, 1, 2, 3}, {1, 0, 2, 1}};
    w.add_histogram("weights/layers.0.weight", h);
    w.add_image("first_layer/weights", {2, 3, 3, std::string("\x89PNG\r\n\x1a\n", 8)});
    w.write_event(20);
    w.write_event(30);  // nothing pending: no event
  }
  EXPECT_EQ(only_file(dir), path);
  EXPECT_NE(path.find("/events.out.tfevents."), std::string::npos);
  EXPECT_EQ(path.substr(path.size() - 8), ".gradnet");

  const std::vector<Event> events = read_events(path);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].file_version, "brain.Event:2");
  EXPECT_TRUE(events[0].values.empty());
  EXPECT_GT(events[0].wall_time, 1.5e9);

  EXPECT_EQ(events[1].step, 10);
  EXPECT_EQ(events[1].wall_time, 1700000000.5);
  ASSERT_EQ(events[1].values.size(), 2u);
  EXPECT_EQ(events[1].values[0].tag, "train/loss");
  EXPECT_EQ(events[1].values[0].kind, Value::Kind::scalar);
  EXPECT_FLOAT_EQ(static_cast<float>(events[1].values[0].scalar), 2.302585f);
  EXPECT_EQ(events[1].values[1].tag, "lr");

  EXPECT_EQ(events[2].step, 20);
  ASSERT_EQ(events[2].values.size(), 2u);
  const Value& hv = events[2].values[0];
  EXPECT_EQ(hv.kind, Value::Kind::histogram);
  EXPECT_EQ(hv.histogram.min, -1);
  EXPECT_EQ(hv.histogram.max, 3);
  EXPECT_EQ(hv.histogram.num, 4);
  EXPECT_EQ(hv.histogram.sum_squares, 14);
  EXPECT_EQ(hv.histogram.bucket_limit, (std::vector<double>{0, 1, 2, 3}));
  EXPECT_EQ(hv.histogram.bucket, (std::vector<double>{1, 0, 2, 1}));
  const Value& iv = events[2].values[1];
  EXPECT_EQ(iv.kind, Value::Kind::image);
  EXPECT_EQ(iv.image.height, 2);
  EXPECT_EQ(iv.image.width, 3);
  EXPECT_EQ(iv.image.colorspace, 3);
  EXPECT_EQ(iv.image.png.size(), 8u);
}

TEST(EventWriter, TwoWritersInOneDirectoryGetTwoFiles) {
  TempDir tmp;
  EventWriter a(tmp / "tb"), b(tmp / "tb");
  EXPECT_NE(a.path(), b.path());
}

// The field numbers, checked byte by byte on a hand-encoded Event: step = 7 (field 2, varint),
// summary (field 5) { value (field 1) { tag (1) = "x", simple_value (2) = 1.0f } }.
TEST(EventWriter, ReadsAHandEncodedEvent) {
  TempDir tmp;
  std::string event;
  event += std::string("\x10\x07", 2);                              // step = 7
  const std::string value = std::string("\x0a\x01x\x15\x00\x00\x80\x3f", 8);  // tag "x", simple_value 1.0f
  const std::string summary = std::string("\x0a", 1) + static_cast<char>(value.size()) + value;
  event += std::string("\x2a", 1) + static_cast<char>(summary.size()) + summary;
  const std::string path = tmp / "events.out.tfevents.1.host";
  write_file(path, frame_record(std::string("\x1a\x0d", 2) + "brain.Event:2") + frame_record(event));
  const std::vector<Event> events = read_events(path);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].file_version, "brain.Event:2");
  EXPECT_EQ(events[1].step, 7);
  ASSERT_EQ(events[1].values.size(), 1u);
  EXPECT_EQ(events[1].values[0].tag, "x");
  EXPECT_EQ(events[1].values[0].scalar, 1.0);
}

std::string data_error(const std::string& path) {
  try {
    read_events(path);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::data);
    return e.what();
  }
  ADD_FAILURE() << "no error for " << path;
  return "";
}

TEST(ReadEvents, RefusesCorruptFiles) {
  TempDir tmp;
  std::string path;
  {
    EventWriter w(tmp / "tb");
    w.add_scalar("a", 1);
    w.write_event(1);
    path = w.path();
  }
  const std::string good = read_file(path);
  std::string flipped = good;
  flipped[flipped.size() - 6] ^= 0x20;  // inside the last record's data
  write_file(tmp / "flipped", flipped);
  EXPECT_NE(data_error(tmp / "flipped").find("data's CRC does not match"), std::string::npos);

  std::string bad_length = good;
  bad_length[0] ^= 0x01;  // the first record's length
  write_file(tmp / "bad_length", bad_length);
  EXPECT_NE(data_error(tmp / "bad_length").find("length's CRC does not match"), std::string::npos);

  write_file(tmp / "cut", good.substr(0, good.size() - 3));
  EXPECT_NE(data_error(tmp / "cut").find("the file ends before them"), std::string::npos);
  write_file(tmp / "header_cut", good + std::string(5, '\0'));
  EXPECT_NE(data_error(tmp / "header_cut").find("truncated record header"), std::string::npos);
  EXPECT_NE(data_error(tmp / "missing").find("missing"), std::string::npos);
}

}  // namespace
}  // namespace gradnet
