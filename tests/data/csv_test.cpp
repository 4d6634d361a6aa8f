// CSV reader: the sklearn files under data/small (scripts/setup) (iris, wine, digits.gz), string
// labels (letter-recognition), header rules, and every error naming file, line and column.
#include "gradnet/config.h"
#include "gradnet/data/csv.h"

#include <gtest/gtest.h>

#include "gradnet/error.h"
#include "test_support.h"

namespace gradnet {
namespace {

using testing::TempDir;
using testing::write_file;

std::string small_dir() {
  const std::string dir = testing::find_dataset_dir("small");
  if (dir.empty()) ADD_FAILURE() << "data/small not found: run scripts/setup (or set GRADNET_DATA)";
  return dir;
}

template <typename F>
void expect_error(F f, ErrorKind kind, const std::vector<std::string>& parts) {
  try {
    f();
    FAIL() << "no error; expected one containing '" << parts.front() << "'";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    for (const std::string& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << "'" << p << "' not in: " << e.what();
  }
}

TEST(Csv, Iris) {
  const Dataset d = load_csv(small_dir() + "/iris.csv");
  ASSERT_EQ(d.size(), 150);
  EXPECT_EQ(d.shape, (Shape{4}));
  EXPECT_EQ(d.classes, 3);
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"setosa", "versicolor", "virginica"}));
  EXPECT_FLOAT_EQ(d.x[0], 5.1f);  // "5.1,3.5,1.4,0.2,0"
  EXPECT_FLOAT_EQ(d.x[3], 0.2f);
  EXPECT_EQ(d.y[0], 0);
  EXPECT_EQ(d.y[149], 2);
}

TEST(Csv, Wine) {
  const Dataset d = load_csv(small_dir() + "/wine_data.csv");
  EXPECT_EQ(d.size(), 178);
  EXPECT_EQ(d.features(), 13);
  EXPECT_EQ(d.classes, 3);
  EXPECT_EQ(d.class_names.front(), "class_0");
  EXPECT_FLOAT_EQ(d.x[12], 1065.0f);
}

TEST(Csv, BreastCancerHeaderHasFewerFields) {
  const Dataset d = load_csv(small_dir() + "/breast_cancer.csv");  // "569,30,malignant,benign"
  EXPECT_EQ(d.size(), 569);
  EXPECT_EQ(d.features(), 30);
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"malignant", "benign"}));
}

TEST(Csv, DigitsGzipNoHeader) {
  const Dataset d = load_csv(small_dir() + "/digits.csv.gz");
  EXPECT_EQ(d.size(), 1797);
  EXPECT_EQ(d.features(), 64);
  EXPECT_EQ(d.classes, 10);
  EXPECT_TRUE(d.class_names.empty());
  EXPECT_EQ(d.y[0], 0);
}

TEST(Csv, LetterRecognitionStringLabels) {
  const Dataset d = load_csv(small_dir() + "/letter-recognition.data.gz", 0);  // "T,2,8,3,5,..."
  EXPECT_EQ(d.size(), 20000);
  EXPECT_EQ(d.features(), 16);
  EXPECT_EQ(d.classes, 26);
  ASSERT_EQ(d.class_names.size(), 26u);
  EXPECT_EQ(d.class_names.front(), "A");
  EXPECT_EQ(d.class_names.back(), "Z");
  EXPECT_EQ(d.y[0], 'T' - 'A');
  EXPECT_EQ(d.y[1], 'I' - 'A');
  EXPECT_FLOAT_EQ(d.x[0], 2.0f);
}

TEST(Csv, HeaderModes) {
  TempDir dir;
  write_file(dir / "named.csv", "a,b,label\n1,2,0\n3,4,1\n");
  EXPECT_EQ(load_csv(dir / "named.csv").size(), 2);
  EXPECT_EQ(load_csv(dir / "named.csv", -1, CsvHeader::skip).size(), 2);
  write_file(dir / "plain.csv", "1,2,0\n3,4,1\n\n");  // a blank last line is fine
  EXPECT_EQ(load_csv(dir / "plain.csv").size(), 2);
  EXPECT_EQ(load_csv(dir / "plain.csv", -1, CsvHeader::none).size(), 2);
  EXPECT_EQ(load_csv(dir / "plain.csv", -1, CsvHeader::skip).size(), 1);
  expect_error([&] { load_csv(dir / "named.csv", -1, CsvHeader::none); }, ErrorKind::data, {"named.csv", "line 1, column 1", "'a'"});
  // An unknown header mode is the config's to refuse (load_csv takes the enum).
  expect_error([&] { parse_config("[data]\ndataset = \"csv\"\npath = \"plain.csv\"\nheader = \"maybe\"\n[model]\n"
                                  "input = [2]\nlayers = [{ type = \"linear\", out = 2 }]\n", "c.toml"); },
               ErrorKind::config, {"maybe", "data.header"});
  // Text labels with a header: the header's feature names give it away.
  write_file(dir / "species.csv", "x,y,species\n1,2,cat\n3,4,dog\n5,6,cat\n");
  const Dataset s = load_csv(dir / "species.csv");
  EXPECT_EQ(s.size(), 3);
  EXPECT_EQ(s.class_names, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(s.y, (std::vector<std::int32_t>{0, 1, 0}));
}

TEST(Csv, LabelColumnAndWhitespace) {
  TempDir dir;
  write_file(dir / "mid.csv", "1, 2 ,3\r\n4,5,6\r\n");
  const Dataset d = load_csv(dir / "mid.csv", 1);
  EXPECT_EQ(d.y, (std::vector<std::int32_t>{2, 5}));
  EXPECT_EQ(d.classes, 6);
  EXPECT_FLOAT_EQ(d.x[1], 3.0f);
  expect_error([&] { load_csv(dir / "mid.csv", 7); }, ErrorKind::config, {"mid.csv", "label_column = 7", "3 columns"});
}

TEST(Csv, KnownClassNamesKeepNumbering) {
  TempDir dir;
  write_file(dir / "test.csv", "1,dog\n2,dog\n");
  const Dataset d = load_csv(dir / "test.csv", -1, CsvHeader::automatic, {"cat", "dog"});
  EXPECT_EQ(d.y, (std::vector<std::int32_t>{1, 1}));
  EXPECT_EQ(d.classes, 2);
  expect_error([&] { load_csv(dir / "test.csv", -1, CsvHeader::automatic, {"cat", "cow"}); }, ErrorKind::data,
               {"test.csv", "line 1", "'dog'", "cat, cow"});
}

TEST(Csv, Errors) {
  TempDir dir;
  write_file(dir / "empty.csv", "");
  expect_error([&] { load_csv(dir / "empty.csv"); }, ErrorKind::data, {"empty.csv", "empty file"});
  write_file(dir / "only-header.csv", "a,b,c\n");
  expect_error([&] { load_csv(dir / "only-header.csv"); }, ErrorKind::data, {"only-header.csv", "empty file"});
  write_file(dir / "ragged.csv", "1,2,0\n3,4,1\n5,0\n");
  expect_error([&] { load_csv(dir / "ragged.csv"); }, ErrorKind::data, {"ragged.csv", "line 3", "2 columns, expected 3"});
  write_file(dir / "text.csv", "1,2,0\n3,x4,1\n");
  expect_error([&] { load_csv(dir / "text.csv"); }, ErrorKind::data, {"text.csv", "line 2, column 2", "'x4' is not a number"});
  write_file(dir / "neg.csv", "1,2,0\n3,4,-1\n");
  expect_error([&] { load_csv(dir / "neg.csv"); }, ErrorKind::data, {"neg.csv", "line 2, column 3", "label -1 is negative"});
  write_file(dir / "frac.csv", "1,2,0\n3,4,1.5\n");
  expect_error([&] { load_csv(dir / "frac.csv"); }, ErrorKind::data, {"frac.csv", "line 2", "1.5", "not a class index"});
  write_file(dir / "mixed.csv", "1,2,0\n3,4,b\n");
  expect_error([&] { load_csv(dir / "mixed.csv"); }, ErrorKind::data, {"mixed.csv", "line 2, column 3", "'b'"});
  write_file(dir / "one.csv", "1\n2\n");
  expect_error([&] { load_csv(dir / "one.csv"); }, ErrorKind::data, {"one.csv", "line 1", "at least one feature"});
  write_file(dir / "nan.csv", "1,2,0\n1,nan,0\n");
  expect_error([&] { load_csv(dir / "nan.csv"); }, ErrorKind::data, {"nan.csv", "line 2, column 2"});
  expect_error([&] { load_csv(dir / "missing.csv"); }, ErrorKind::data, {"missing.csv", "no such file"});
}

TEST(Csv, FeaturesForPredict) {
  TempDir dir;
  write_file(dir / "rows.csv", "f1,f2\n1,2\n3,4\n");
  const Dataset a = load_csv_features(dir / "rows.csv", 2);
  EXPECT_EQ(a.size(), 2);
  EXPECT_FLOAT_EQ(a.x[3], 4.0f);
  write_file(dir / "labelled.csv", "Q,1,2\nR,3,4\n");  // a text label column, dropped
  const Dataset b = load_csv_features(dir / "labelled.csv", 2, 0);
  EXPECT_EQ(b.size(), 2);
  EXPECT_FLOAT_EQ(b.x[0], 1.0f);
  expect_error([&] { load_csv_features(dir / "rows.csv", 5); }, ErrorKind::data, {"rows.csv", "line 2", "expected 5 features"});
}

}  // namespace
}  // namespace gradnet
