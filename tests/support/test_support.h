// Helpers shared by the test binaries: temporary directories, running the gradnet binary,
// finding the datasets, writing small files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gradnet::testing {

// A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct CliResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs the gradnet binary with args (each shell-quoted), in cwd if given.
CliResult run_gradnet(const std::vector<std::string>& args, const std::string& cwd = "");

// The directory holding <dataset>'s files: $GRADNET_DATA/<dataset>, <source>/data/<dataset>,
// a local dataset folder beside the repository, /usr/share/datasets/<dataset>; "" if none has it.
std::string find_dataset_dir(const std::string& dataset);

std::string source_dir();  // the project's root
// MNIST's directory; records a test failure ("run scripts/setup") when it is missing.
std::string mnist_dir();
// The last non-empty line of a command's stdout, parsed: the --json contract.
nlohmann::json last_json_line(const std::string& out);
void write_file(const std::string& path, const std::string& bytes);
std::string read_file(const std::string& path);
void write_gzip(const std::string& path, const std::string& bytes);

// Builders for IDX files (big-endian header) used by the data and bad-input tests.
std::string idx_images(std::uint32_t count, std::uint32_t rows, std::uint32_t cols, std::uint8_t fill = 0);
std::string idx_labels(const std::vector<std::uint8_t>& labels);

}  // namespace gradnet::testing
