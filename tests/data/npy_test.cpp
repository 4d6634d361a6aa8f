// NumPy datasets (data.dataset = "npy"): .npy pairs written here, .npz archives written by NumPy
// itself (np.savez and np.savez_compressed; python3-numpy, which scripts/setup installs), example
// shapes (flat, [1, H, W], channels-last to [C, H, W]), and the errors naming file and array.
#include "gradnet/data/npy.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <set>

#include "gradnet/data/load.h"
#include "gradnet/error.h"
#include "error_of.h"
#include "test_support.h"

namespace gradnet {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::error_of;

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

DataConfig npy_config(const std::string& path, const std::string& labels) {
  DataConfig c;
  c.dataset = DatasetKind::npy;
  c.path = path;
  c.train_labels = labels;
  c.validation = 0;
  c.test_fraction = 0.25;
  return c;
}

TEST(NpyData, FloatFeaturesAndIntegerLabelsSplitLikeCsv) {
  TempDir t;
  std::vector<float> x(20 * 3);
  std::iota(x.begin(), x.end(), 0.0f);  // row i holds 3i, 3i+1, 3i+2
  std::vector<std::int64_t> y(20);
  for (int i = 0; i < 20; ++i) y[static_cast<std::size_t>(i)] = i % 4;
  write_npy(t / "x.npy", "<f4", {20, 3}, x.data());
  write_npy(t / "y.npy", "<i8", {20}, y.data());
  const Splits s = load_splits(npy_config("x.npy", "y.npy"), t.path().string(), 9);  // relative to the config's folder
  EXPECT_EQ(s.train.shape, (Shape{3}));
  EXPECT_FALSE(s.train.byte_rows);
  EXPECT_EQ(s.train.size(), 15);
  EXPECT_EQ(s.test.size(), 5);
  EXPECT_EQ(s.train.classes, 4);
  std::set<int> rows;
  for (const Dataset* d : {&s.train, &s.test})
    for (Index i = 0; i < d->size(); ++i) {
      const int row = static_cast<int>(d->x[i * 3]) / 3;
      EXPECT_EQ(d->x[i * 3 + 2], 3 * row + 2);
      EXPECT_EQ(d->y[static_cast<std::size_t>(i)], row % 4);  // labels travel with their rows
      rows.insert(row);
    }
  EXPECT_EQ(rows.size(), 20u);
  // float64 features and int32 (N, 1) labels read the same values.
  std::vector<double> xd(x.begin(), x.end());
  std::vector<std::int32_t> y32(y.begin(), y.end());
  write_npy(t / "xd.npy", "<f8", {20, 3}, xd.data());
  write_npy(t / "y32.npy", "<i4", {20, 1}, y32.data());
  const Splits d = load_splits(npy_config(t / "xd.npy", t / "y32.npy"), "", 9);
  EXPECT_EQ(d.train.x.to_vector(), s.train.x.to_vector());
  EXPECT_EQ(d.train.y, s.train.y);
}

TEST(NpyData, Uint8ImagesStayBytesAndChannelsLastIsTransposed) {
  TempDir t;
  // (4, 2, 3, 3): 4 RGB images of 2x3, channels-last; pixel (r, c) channel k = 100k + 10r + c + i.
  std::vector<std::uint8_t> x;
  for (int i = 0; i < 4; ++i)
    for (int r = 0; r < 2; ++r)
      for (int c = 0; c < 3; ++c)
        for (int k = 0; k < 3; ++k) x.push_back(static_cast<std::uint8_t>(100 * k + 10 * r + c + i));
  std::vector<std::uint8_t> y = {0, 1, 0, 1};
  write_npy(t / "x.npy", "|u1", {4, 2, 3, 3}, x.data());
  write_npy(t / "y.npy", "|u1", {4}, y.data());
  write_npy(t / "xt.npy", "|u1", {4, 2, 3, 3}, x.data());
  write_npy(t / "yt.npy", "|u1", {4}, y.data());
  DataConfig c = npy_config(t / "x.npy", t / "y.npy");
  c.test_path = t / "xt.npy";
  c.test_labels = t / "yt.npy";
  const Splits s = load_splits(c, "", 1);
  EXPECT_TRUE(s.train.byte_rows);
  EXPECT_EQ(s.train.shape, (Shape{3, 2, 3}));
  ASSERT_EQ(s.test.size(), 4);
  for (int i = 0; i < 4; ++i)  // test rows stay in file order; planar: channel k, row r, col c at k*6 + r*3 + c
    for (int k = 0; k < 3; ++k)
      EXPECT_EQ(s.test.bytes[static_cast<std::size_t>(i * 18 + k * 6 + 1 * 3 + 2)], 100 * k + 10 + 2 + i);
  // (N, H, W) grey images become [1, H, W].
  write_npy(t / "g.npy", "|u1", {4, 3, 6}, x.data());
  const Splits g = load_splits(npy_config(t / "g.npy", t / "y.npy"), "", 1);
  EXPECT_EQ(g.train.shape, (Shape{1, 3, 6}));
}

TEST(NpyData, BadArraysAreErrorsNamingFileAndArray) {
  TempDir t;
  std::vector<float> x(12, 1.0f);
  std::vector<std::int64_t> y = {0, 1, 0};
  write_npy(t / "x.npy", "<f4", {4, 3}, x.data());
  write_npy(t / "y3.npy", "<i8", {3}, y.data());
  std::string msg = error_of([&] { load_splits(npy_config(t / "x.npy", t / "y3.npy"), "", 1); });
  EXPECT_TRUE(has(msg, t / "y3.npy") && has(msg, "3 labels") && has(msg, t / "x.npy") && has(msg, "4 examples")) << msg;
  // Features of an integer dtype; labels of a float dtype.
  write_npy(t / "xi.npy", "<i4", {3, 4}, x.data());
  msg = error_of([&] { load_splits(npy_config(t / "xi.npy", t / "y3.npy"), "", 1); });
  EXPECT_TRUE(has(msg, "xi.npy") && has(msg, "'<i4'") && has(msg, "float32")) << msg;
  write_npy(t / "yf.npy", "<f4", {4}, x.data());
  msg = error_of([&] { load_splits(npy_config(t / "x.npy", t / "yf.npy"), "", 1); });
  EXPECT_TRUE(has(msg, "yf.npy") && has(msg, "integers")) << msg;
  // Big-endian; Fortran order; a truncated file; not an .npy at all; a negative label.
  write_npy(t / "xb.npy", ">f4", {4, 3}, x.data());
  msg = error_of([&] { load_splits(npy_config(t / "xb.npy", t / "y3.npy"), "", 1); });
  EXPECT_TRUE(has(msg, "xb.npy") && has(msg, "'>f4'")) << msg;
  std::string bytes = testing::read_file(t / "x.npy");
  std::string fortran = bytes;
  fortran.replace(fortran.find("False"), 5, "True ");
  testing::write_file(t / "xf.npy", fortran);
  msg = error_of([&] { load_splits(npy_config(t / "xf.npy", t / "y3.npy"), "", 1); });
  EXPECT_TRUE(has(msg, "xf.npy") && has(msg, "Fortran")) << msg;
  testing::write_file(t / "xt.npy", bytes.substr(0, bytes.size() - 5));
  msg = error_of([&] { load_splits(npy_config(t / "xt.npy", t / "y3.npy"), "", 1); });
  EXPECT_TRUE(has(msg, "xt.npy") && has(msg, "truncated")) << msg;
  testing::write_file(t / "text.npy", "1,2,3\n");
  msg = error_of([&] { load_splits(npy_config(t / "text.npy", t / "y3.npy"), "", 1); });
  EXPECT_TRUE(has(msg, "text.npy") && has(msg, "not a NumPy")) << msg;
  const std::vector<std::int64_t> negative = {0, 1, -3, 0};
  write_npy(t / "yn.npy", "<i8", {4}, negative.data());
  msg = error_of([&] { load_splits(npy_config(t / "x.npy", t / "yn.npy"), "", 1); });
  EXPECT_TRUE(has(msg, "yn.npy") && has(msg, "label -3 at index 2")) << msg;
  // A missing labels key is a config error.
  msg = error_of([&] { load_splits(npy_config(t / "x.npy", ""), "", 1); }, ErrorKind::config);
  EXPECT_TRUE(has(msg, "data.train_labels")) << msg;
}

// .npz archives as NumPy writes them; the tests need python3 with numpy.
class NpzData : public ::testing::Test {
 protected:
  void SetUp() override {
    // The first python3 with numpy: PATH's (a pyenv or venv may lack it), then Debian's.
    for (const char* candidate : {"python3", "/usr/bin/python3"})
      if (std::system((std::string(candidate) + " -c 'import numpy' >/dev/null 2>&1").c_str()) == 0) {
        python_ = candidate;
        return;
      }
    // scripts/setup installs python3-numpy: without it the setup is broken, not the feature optional.
    FAIL() << "python3-numpy is not installed (scripts/setup installs it): the .npz files NumPy writes "
              "cannot be made here";
  }
  void python(const std::string& code) {
    testing::write_file(t / "make.py", "import numpy as np\n" + code);
    ASSERT_EQ(std::system((python_ + " " + t / "make.py").c_str()), 0) << code;
  }
  TempDir t;
  std::string python_;
};

TEST_F(NpzData, KerasNamedArraysInCompressedAndStoredArchives) {
  python("rng = np.random.default_rng(0)\n"
         "x = rng.integers(0, 256, size=(30, 28, 28), dtype=np.uint8)\n"
         "y = np.arange(30) % 10\n"
         "np.savez_compressed('" + t / "c.npz" + "', x_train=x, y_train=y, x_test=x[:7], y_test=y[:7].astype(np.int32))\n"
         "np.savez('" + t / "s.npz" + "', x_train=x.astype(np.float32) / 255, y_train=y.astype(np.uint8))\n"
         "x.tofile('" + t / "x.raw" + "')\n");
  DataConfig c = npy_config(t / "c.npz", "");
  const Splits s = load_splits(c, "", 2);
  EXPECT_EQ(s.train.shape, (Shape{1, 28, 28}));
  EXPECT_TRUE(s.train.byte_rows);
  EXPECT_EQ(s.train.size(), 30);
  ASSERT_EQ(s.test.size(), 7);
  const std::string raw = testing::read_file(t / "x.raw");
  EXPECT_EQ(std::string(s.test.bytes.begin(), s.test.bytes.end()), raw.substr(0, 7 * 784));  // bit for bit
  EXPECT_EQ(s.test.y, (std::vector<std::int32_t>{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(s.train.classes, 10);
  c.path = t / "s.npz";  // stored, float32, no test arrays: test_fraction held out
  const Splits f = load_splits(c, "", 2);
  EXPECT_FALSE(f.train.byte_rows);
  EXPECT_EQ(f.train.size() + f.test.size(), 30);
  EXPECT_EQ(f.test.size(), 8);  // round(0.25 * 30)
}

TEST_F(NpzData, MissingArraysAndBrokenArchivesAreNamed) {
  python("np.savez('" + t / "a.npz" + "', features=np.zeros((3, 2)), labels=np.zeros(3, dtype=np.int64))\n");
  std::string msg = error_of([&] { load_splits(npy_config(t / "a.npz", ""), "", 1); });
  EXPECT_TRUE(has(msg, "a.npz") && has(msg, "no array x_train") && has(msg, "features.npy")) << msg;
  const std::string bytes = testing::read_file(t / "a.npz");
  testing::write_file(t / "cut.npz", bytes.substr(0, bytes.size() - 30));
  msg = error_of([&] { load_splits(npy_config(t / "cut.npz", ""), "", 1); });
  EXPECT_TRUE(has(msg, "cut.npz")) << msg;
  python("np.savez('" + t / "b.npz" + "', x_train=np.zeros((3, 2)), y_train=np.zeros(4, dtype=np.int64))\n");
  msg = error_of([&] { load_splits(npy_config(t / "b.npz", ""), "", 1); });
  EXPECT_TRUE(has(msg, "b.npz: y_train") && has(msg, "4 labels") && has(msg, "b.npz: x_train has 3")) << msg;
}

}  // namespace
}  // namespace gradnet
