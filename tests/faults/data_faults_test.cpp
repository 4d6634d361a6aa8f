// Hostile data files: a gzip cut in its trailer or followed by garbage, CSV values beyond float
// range, quoted fields, huge fields, no test examples; predict never prints NaN with exit 0.
#include <filesystem>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "faults_support.h"
#include "gradnet/data/image.h"

namespace fs = std::filesystem;
using namespace gradnet::testing;

namespace {

std::string gzip_bytes(const std::string& bytes) {
  TempDir t;
  write_gzip(t / "x.gz", bytes);
  return read_file(t / "x.gz");
}

CliResult train(const std::string& config, std::vector<std::string> extra = {}) {
  TempDir tmp;
  write_file(tmp / "c.toml", config);
  std::vector<std::string> args = {"train", tmp / "c.toml", "--out", tmp / "run", "-q"};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_gradnet(args);
}

// A CSV dataset: 60 rows of 4 features, 3 classes (the last column).
std::string csv_rows(int rows = 60) {
  std::string s = "a,b,c,d,label\n";
  for (int i = 0; i < rows; ++i)
    s += fmt::format("{},{},{},{},{}\n", i % 7 * 0.5, i % 5 - 2, (i * 13) % 11 * 0.1, i % 3 + 0.25, i % 3);
  return s;
}

std::string csv_config(const std::string& path, const std::string& extra = "") {
  return "name = \"csv\"\n[data]\ndataset = \"csv\"\npath = \"" + path +
         "\"\nlabel_column = -1\ntest_fraction = 0.2\nvalidation = 6\nnormalize = \"standardize\"\n"
         "[model]\ninput = [4]\nlayers = [ { type = \"linear\", out = 3 } ]\n"
         "[optimizer]\nlr = 0.1\n[train]\nepochs = 1\nbatch_size = 8\nthreads = 1\n" +
         extra;
}

}  // namespace

TEST(GzipFaults, ATrailerCutShortIsExit2NamingTheFile) {
  for (std::size_t cut : {1, 4, 8}) {
    FakeMnist data;
    const std::string file = data.dir / "train-images-idx3-ubyte.gz";
    const std::string gz = read_file(file);
    write_file(file, gz.substr(0, gz.size() - cut));
    const CliResult r = train(fake_config(data.path()));
    EXPECT_EQ(r.exit_code, 2) << "cut " << cut << ": " << r.err;
    expect_mentions(r, {file, "trailer"});
  }
}

TEST(GzipFaults, BytesAfterTheStreamAreExit2) {
  for (const std::string& tail : {std::string("garbage"), std::string(1, '\0'), std::string(4096, '\0')}) {
    FakeMnist data;
    const std::string file = data.dir / "train-labels-idx1-ubyte.gz";
    write_file(file, read_file(file) + tail);
    const CliResult r = train(fake_config(data.path()));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    expect_mentions(r, {file, "trailing data after the gzip stream"});
  }
}

TEST(GzipFaults, SeveralMembersAreOneStream) {  // the control: gzip allows concatenated members
  FakeMnist data;
  const std::string images = idx_images(100, 28, 28);
  write_file(data.dir / "train-images-idx3-ubyte.gz", gzip_bytes(images.substr(0, 5000)) + gzip_bytes(images.substr(5000)));
  const CliResult r = train(fake_config(data.path()));
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(CsvFaults, ValuesBeyondFloatRangeAreExit2NamingLineAndColumn) {
  for (const std::string& v : {"3.5e38", "-1e39", "1e300", "1e400", "nan", "-inf"}) {
    TempDir tmp;
    std::string rows = csv_rows();
    const std::size_t line3 = rows.find('\n', rows.find('\n') + 1) + 1;  // the second data row: line 3
    rows.replace(rows.find(',', line3) + 1, rows.find(',', rows.find(',', line3) + 1) - rows.find(',', line3) - 1, v);
    write_file(tmp / "d.csv", rows);
    const CliResult r = train(csv_config(tmp / "d.csv"));
    EXPECT_EQ(r.exit_code, 2) << v << ": " << r.err;
    expect_mentions(r, {tmp / "d.csv", "line 3, column 2", v});
  }
}

TEST(CsvFaults, QuotedFieldsKeepTheirCommas) {
  TempDir tmp;
  std::string rows = "x1,x2,x3,x4,species\n";
  for (int i = 0; i < 60; ++i)
    rows += fmt::format("{},{},\"{}\",{},{}\n", i % 7, i % 5, i % 3, i % 2, i % 2 ? "\"iris, setosa\"" : "\"say \"\"hi\"\"\"");
  write_file(tmp / "d.csv", rows);
  const CliResult r = train(csv_config(tmp / "d.csv"), {"--set", "model.layers.0.out=2"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(CsvFaults, AHugeFieldIsCutInTheMessage) {
  TempDir tmp;
  std::string rows = csv_rows();
  rows.insert(rows.find('\n') + 1, std::string(1 << 20, 'z'));  // the first data row's first field
  write_file(tmp / "d.csv", rows);
  const CliResult r = train(csv_config(tmp / "d.csv"), {"--set", "data.header=\"skip\""});
  EXPECT_EQ(r.exit_code, 2) << r.err.substr(0, 300);
  expect_mentions(r, {tmp / "d.csv", "line 2, column 1", "bytes"});
  EXPECT_LT(r.err.size(), 1000u);
}

TEST(CsvFaults, AMillionClassesNamesTheFile) {
  TempDir tmp;
  std::string rows = csv_rows();
  rows.replace(rows.rfind(',') + 1, 1, "999999");
  write_file(tmp / "d.csv", rows);
  const CliResult r = train(csv_config(tmp / "d.csv"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  expect_mentions(r, {"1000000 classes", tmp / "d.csv"});
}

TEST(DataFaults, NoTestExamplesIsExit2) {
  FakeMnist data;
  write_gzip(data.dir / "t10k-images-idx3-ubyte.gz", idx_images(0, 28, 28));
  write_gzip(data.dir / "t10k-labels-idx1-ubyte.gz", idx_labels({}));
  const CliResult r = train(fake_config(data.path()));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  expect_mentions(r, {"t10k-images-idx3-ubyte.gz", "no test examples"});
}

class PredictFaults : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir;
    write_file(*tmp_ / "d.csv", csv_rows());
    write_file(*tmp_ / "c.toml", csv_config(*tmp_ / "d.csv"));
    const CliResult r = run_gradnet({"train", *tmp_ / "c.toml", "--out", *tmp_ / "run", "-q"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete tmp_; }
  static CliResult predict(const std::string& name, const std::string& bytes) {
    write_file(*tmp_ / name, bytes);
    return run_gradnet({"predict", *tmp_ / "run", *tmp_ / name, "--json"});
  }
  static TempDir* tmp_;
};
TempDir* PredictFaults::tmp_ = nullptr;

TEST_F(PredictFaults, BeyondFloatOrNaNInputsAreExit2NotNaNProbabilities) {
  CliResult r = predict("big.csv", "1,2,3,4\n1,1e39,3,4\n");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  expect_mentions(r, {"big.csv", "line 2, column 2", "float range"});
  r = predict("nan.csv", "nan,nan,nan,nan\n");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  expect_mentions(r, {"nan.csv", "line 1, column 1", "not a finite number"});
  r = predict("ok.csv", "1,2,3,4\n-3e38,2,3,4\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& p : last_json_line(r.out)["predictions"]) EXPECT_TRUE(p["probability"].is_number()) << p;
  EXPECT_EQ(r.out.find("nan"), std::string::npos) << r.out;
}

TEST_F(PredictFaults, APngOfAnotherSizeIsRefusedBeforeDecoding) {
  std::vector<std::uint8_t> pixels(300 * 200, 7);
  gradnet::write_png_gray(*tmp_ / "big.png", pixels.data(), 300, 200);
  const CliResult r = run_gradnet({"predict", *tmp_ / "run", *tmp_ / "big.png"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  expect_mentions(r, {"big.png", "300x200", "the model takes 4"});
}

TEST(CsvFaults, FiniteValuesThatNormalizeToInfinityNameTheFile) {
  TempDir tmp;
  std::string rows = "a,b,c,d,label\n";
  for (int i = 0; i < 60; ++i) rows += fmt::format("{},{},1,2,{}\n", i % 2 ? "3e38" : "-3e38", i % 5, i % 3);
  write_file(tmp / "d.csv", rows);
  std::string cfg = csv_config(tmp / "d.csv");
  cfg.replace(cfg.find("\"standardize\""), 13, "\"scale01\"");  // (x - min) / (max - min): the range is inf
  CliResult r = train(cfg);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  expect_mentions(r, {tmp / "d.csv", "scale01"});
  cfg.replace(cfg.find("\"scale01\""), 9, "\"none\"");  // finite inputs, an infinite loss: not the lr's fault
  r = train(cfg);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  expect_mentions(r, {"before any update", "not the lr"});
}

TEST(CsvFaults, AByteOrderMarkIsNotData) {
  TempDir tmp;
  std::string rows = csv_rows();
  rows = "\xEF\xBB\xBF" + rows.substr(rows.find('\n') + 1);  // no header: the BOM sits before a number
  write_file(tmp / "d.csv", rows);
  const CliResult r = train(csv_config(tmp / "d.csv"), {"--set", "data.header=\"none\"", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}
