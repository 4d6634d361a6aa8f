// Checkpoints and models carry a checksum: a flipped byte is exit 2 naming the file, not a
// silent resume; files written before checksums still load; the header stays standard.
#include <cstring>
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "faults_support.h"

namespace fs = std::filesystem;
using namespace gradnet::testing;

namespace {

class Checksums : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = new FakeMnist;
    tmp_ = new TempDir;
    write_file(*tmp_ / "c.toml", fake_config(data_->path()));
    const CliResult r = run_gradnet({"train", *tmp_ / "c.toml", "--out", *tmp_ / "run", "-q"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete tmp_;
    delete data_;
  }
  // A copy of the finished run to damage.
  std::string copy_run() {
    const std::string dir = scratch_ / "run";
    fs::copy(*tmp_ / "run", dir, fs::copy_options::recursive);
    return dir;
  }
  static std::string header_of(const std::string& bytes) {
    std::uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);
    return bytes.substr(8, n);
  }
  static FakeMnist* data_;
  static TempDir* tmp_;
  TempDir scratch_;
};
FakeMnist* Checksums::data_ = nullptr;
TempDir* Checksums::tmp_ = nullptr;

void flip(const std::string& path, std::size_t from_end) {
  std::string bytes = read_file(path);
  bytes[bytes.size() - from_end] ^= 0x10;
  write_file(path, bytes);
}

}  // namespace

TEST_F(Checksums, AFlippedByteInTheModelIsExit2NamingIt) {
  const std::string run = copy_run();
  flip(run + "/model.safetensors", 7);
  const CliResult r = run_gradnet({"eval", run});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  expect_mentions(r, {run + "/model.safetensors", "checksum"});
}

TEST_F(Checksums, AFlippedByteInACheckpointIsExit2NamingIt) {
  const std::string run = copy_run();
  const std::string ckpt = run + "/checkpoints/step-00000018.safetensors";
  ASSERT_TRUE(fs::exists(ckpt));
  flip(ckpt, 100);
  const std::string summary = read_file(run + "/summary.json");
  const CliResult r = run_gradnet({"train", "--resume", run, "--epochs", "3", "-q"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  expect_mentions(r, {ckpt, "checksum"});
  EXPECT_EQ(read_file(run + "/summary.json"), summary);
}

TEST_F(Checksums, AFlippedByteInTheHeaderMetadataToo) {
  const std::string run = copy_run();
  const std::string path = run + "/model.safetensors";
  std::string bytes = read_file(path);
  const std::size_t at = bytes.find("\"classes\":\"10\"");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 12] = '9';  // still valid JSON, another class count
  write_file(path, bytes);
  const CliResult r = run_gradnet({"eval", run});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  expect_mentions(r, {path, "checksum"});
}

TEST_F(Checksums, FilesWithoutAChecksumStillLoadAndTheHeaderIsStandard) {
  const std::string run = copy_run();
  const std::string path = run + "/model.safetensors";
  const std::string bytes = read_file(path);
  nlohmann::ordered_json header = nlohmann::ordered_json::parse(header_of(bytes));
  // Standard safetensors: string metadata, F32 tensors with contiguous offsets.
  for (const auto& [k, v] : header["__metadata__"].items()) EXPECT_TRUE(v.is_string()) << k;
  EXPECT_EQ(header["__metadata__"]["gradnet_checksum"].get<std::string>().rfind("crc32:", 0), 0u);
  // An older file: the same bytes without the checksum entry.
  header["__metadata__"].erase("gradnet_checksum");
  std::string json = header.dump();
  while ((json.size() + 8) % 8 != 0) json += ' ';
  std::string old(8, '\0');
  const std::uint64_t n = json.size();
  std::memcpy(old.data(), &n, 8);
  old += json + bytes.substr(8 + header_of(bytes).size());
  write_file(path, old);
  const CliResult r = run_gradnet({"eval", run, "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(Checksums, AShapeThatOverflowsIsExit2) {
  const std::string run = copy_run();
  const std::string path = run + "/model.safetensors";
  const std::string bytes = read_file(path);
  nlohmann::ordered_json header = nlohmann::ordered_json::parse(header_of(bytes));
  header["__metadata__"].erase("gradnet_checksum");
  header["layers.0.weight"]["shape"] = {4294967296LL, 4294967296LL};  // 2^64 values: wraps to 0
  header["layers.0.weight"]["data_offsets"] = {0, 0};
  std::string json = header.dump();
  std::string out(8, '\0');
  const std::uint64_t n = json.size();
  std::memcpy(out.data(), &n, 8);
  write_file(path, out + json + bytes.substr(8 + header_of(bytes).size()));
  const CliResult r = run_gradnet({"eval", run});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  expect_mentions(r, {path, "layers.0.weight"});
}
