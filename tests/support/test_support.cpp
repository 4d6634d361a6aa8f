#include "test_support.h"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace gradnet::testing {

TempDir::TempDir() {
  std::string templ = (fs::temp_directory_path() / "gradnet-test-XXXXXX").string();
  if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

static std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') q += "'\\''";
    else q += c;
  }
  return q + "'";
}

CliResult run_gradnet(const std::vector<std::string>& args, const std::string& cwd) {
  TempDir tmp;
  std::string cmd;
  if (!cwd.empty()) cmd += "cd " + shell_quote(cwd) + " && ";
  cmd += shell_quote(GRADNET_BINARY);
  for (const auto& a : args) cmd += " " + shell_quote(a);
  cmd += " >" + shell_quote(tmp / "out") + " 2>" + shell_quote(tmp / "err") + " </dev/null";
  int status = std::system(cmd.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(tmp / "out");
  r.err = read_file(tmp / "err");
  return r;
}

std::string source_dir() { return GRADNET_SOURCE_DIR; }

std::string mnist_dir() {
  const std::string dir = find_dataset_dir("mnist");
  if (dir.empty()) ADD_FAILURE() << "MNIST not found: run scripts/setup (it links or downloads MNIST into data/mnist)";
  return dir;
}

nlohmann::json last_json_line(const std::string& out) {
  std::istringstream in(out);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return nlohmann::json::parse(last);
}

std::string find_dataset_dir(const std::string& dataset) {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("GRADNET_DATA")) candidates.push_back(fs::path(env) / dataset);
  candidates.push_back(fs::path(source_dir()) / "data" / dataset);
  candidates.push_back(fs::path(source_dir()) / ".." / "shared" / "data" / dataset);
  candidates.push_back(fs::path("/usr/share/datasets") / dataset);
  for (const auto& c : candidates) {
    std::error_code ec;
    if (fs::is_directory(c, ec)) return fs::canonical(c).string();
  }
  return "";
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!f) throw std::runtime_error("cannot write " + path);
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void write_gzip(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("cannot write " + path);
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

static void put_u32(std::string& s, std::uint32_t v) {
  for (int i = 3; i >= 0; --i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::string idx_images(std::uint32_t count, std::uint32_t rows, std::uint32_t cols, std::uint8_t fill) {
  std::string s;
  put_u32(s, 0x00000803);
  put_u32(s, count);
  put_u32(s, rows);
  put_u32(s, cols);
  std::mt19937 gen(count);
  for (std::uint64_t i = 0; i < std::uint64_t(count) * rows * cols; ++i)
    s.push_back(static_cast<char>(fill ? fill : gen() & 0xff));
  return s;
}

std::string idx_labels(const std::vector<std::uint8_t>& labels) {
  std::string s;
  put_u32(s, 0x00000801);
  put_u32(s, static_cast<std::uint32_t>(labels.size()));
  for (auto l : labels) s.push_back(static_cast<char>(l));
  return s;
}

}  // namespace gradnet::testing
