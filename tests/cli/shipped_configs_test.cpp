// Every example the project ships (configs/*.toml, found when the tests start, so a new config is
// covered without touching this file) passes the tool's own checks: `gradnet gradcheck`,
// `gradnet sanity`, and a short `gradnet train` that prints no warning. Warnings that fire on the
// examples teach users to ignore warnings. The data is limited so that all of it stays short.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.h"

using namespace gradnet::testing;

namespace {

std::vector<std::string> shipped_configs() {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(source_dir() + "/configs"))
    if (e.path().extension() == ".toml") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string config_path(const std::string& name) { return source_dir() + "/configs/" + name + ".toml"; }

// The lines of a command's stderr that mention a warning (any case).
std::string warning_lines(const std::string& err) {
  std::string found, line;
  for (std::size_t start = 0; start < err.size();) {
    const std::size_t end = std::min(err.find('\n', start), err.size());
    line = err.substr(start, end - start);
    std::string lower = line;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower.find("warning") != std::string::npos) found += line + "\n";
    start = end + 1;
  }
  return found;
}

// A few hundred examples of each split, one thread: the checks, not the accuracy.
const std::vector<std::string> kLimits = {"--set", "data.train_limit=300", "--set", "data.test_limit=100",
                                          "--set", "data.validation=0.1",  "--set", "train.threads=1"};

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

class ShippedConfig : public ::testing::TestWithParam<std::string> {};

TEST_P(ShippedConfig, PassesGradcheck) {
  // A sample per tensor and a batch of 2: the CNNs' check in seconds, kinks retried at smaller steps.
  const CliResult r = run_gradnet(
      {"gradcheck", config_path(GetParam()), "--batch", "2", "--max-elements", "12", "-q"}, source_dir());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.find("not verified"), std::string::npos) << r.out;
  EXPECT_EQ(warning_lines(r.err), "") << r.err;
}

TEST_P(ShippedConfig, PassesSanity) {
  const CliResult r = run_gradnet(with({"sanity", config_path(GetParam()), "--gradcheck-elements", "12"}, kLimits),
                                  source_dir());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(warning_lines(r.err), "") << r.err;
}

TEST_P(ShippedConfig, TrainsWithoutAWarning) {
  TempDir tmp;
  const CliResult r = run_gradnet(
      with({"train", config_path(GetParam()), "--epochs", "1", "--out", tmp / "run"}, kLimits), source_dir());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(warning_lines(r.err), "") << r.err;
}

INSTANTIATE_TEST_SUITE_P(Configs, ShippedConfig, ::testing::ValuesIn(shipped_configs()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

// The two warnings the examples used to print, on runs long enough for the ratio rule to judge
// (past its warm-up of 100 updates): iris-mlp's whole run (its small last layer moved 1.9e-1 of
// its norm at step 7), and the seed config sampled at every step (1.4e-2 at step 2).
TEST(ShippedConfigRuns, IrisWholeRunHasNoWarning) {
  TempDir tmp;
  const CliResult r = run_gradnet({"train", config_path("iris-mlp"), "--out", tmp / "run"}, source_dir());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(warning_lines(r.err), "") << r.err;
  EXPECT_EQ(read_file(tmp / "run/metrics.jsonl").find("\"warnings\""), std::string::npos);
}

TEST(ShippedConfigRuns, SeedConfigSampledEveryStepHasNoWarning) {
  TempDir tmp;
  const CliResult r = run_gradnet({"train", config_path("mnist-mlp"), "--epochs", "1", "--out", tmp / "run", "--set",
                                   "monitor.every_steps=1", "--set", "data.train_limit=25000", "--set",
                                   "data.validation=5000", "--set", "train.threads=1"},
                                  source_dir());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(warning_lines(r.err), "") << r.err;
  EXPECT_EQ(read_file(tmp / "run/metrics.jsonl").find("\"warnings\""), std::string::npos);
}

}  // namespace
