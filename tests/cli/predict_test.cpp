// `gradnet predict` on PNG images, IDX files and CSV rows, with a trained run.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "configs.h"
#include "gradnet/data/idx.h"
#include "gradnet/data/image.h"
#include "test_support.h"

using namespace gradnet::testing;

namespace {

}  // namespace

TEST(CliPredict, PngAndIdxInputsGiveTheSamePredictionsAsEval) {
  const std::string mnist = find_dataset_dir("mnist");
  ASSERT_FALSE(mnist.empty()) << "run scripts/setup";
  TempDir tmp;
  write_file(tmp / "tiny.toml", tiny_mnist_config(mnist));
  ASSERT_EQ(run_gradnet({"train", tmp / "tiny.toml", "--out", tmp / "run", "-q"}).exit_code, 0);

  // The first 20 test images, as one IDX file and as PNG files.
  gradnet::Dataset test = gradnet::load_idx_images(mnist + "/t10k-images-idx3-ubyte.gz");
  std::vector<std::string> pngs;
  for (int i = 0; i < 3; ++i) {
    std::vector<std::uint8_t> pixels(784);
    for (int k = 0; k < 784; ++k) pixels[k] = test.bytes[i * 784 + k];
    pngs.push_back(tmp / ("digit" + std::to_string(i) + ".png"));
    gradnet::write_png_gray(pngs.back(), pixels.data(), 28, 28);
  }
  std::vector<std::string> args = {"predict", tmp / "run", "--json"};
  args.insert(args.end(), pngs.begin(), pngs.end());
  args.push_back(mnist + "/t10k-images-idx3-ubyte.gz");
  CliResult r = run_gradnet(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto preds = last_json_line(r.out)["predictions"];
  ASSERT_EQ(preds.size(), 3u + 10000u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(preds[i]["class"], preds[3 + i]["class"]) << "PNG and IDX disagree on image " << i;
    const double p = preds[i]["probability"].get<double>();
    EXPECT_GT(p, 0.0);
    EXPECT_LE(p, 1.0);
  }
  // The test labels 7, 2, 1 of the first three images: a trained model gets these.
  EXPECT_EQ(preds[0]["class"], 7);
  EXPECT_EQ(preds[1]["class"], 2);
  EXPECT_EQ(preds[2]["class"], 1);
}

TEST(CliPredict, CsvRowsWithATrainedIrisRun) {
  const std::string small = find_dataset_dir("small");
  ASSERT_FALSE(small.empty()) << "run scripts/setup";
  TempDir tmp;
  ASSERT_EQ(run_gradnet({"train", source_dir() + "/configs/iris-mlp.toml", "--out", tmp / "run", "-q", "--set",
                         "data.path=" + small + "/iris.csv"})
                .exit_code,
            0);
  write_file(tmp / "rows.csv", "5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n");  // a setosa, a virginica
  CliResult r = run_gradnet({"predict", tmp / "run", tmp / "rows.csv", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto preds = last_json_line(r.out)["predictions"];
  ASSERT_EQ(preds.size(), 2u);
  EXPECT_EQ(preds[0]["class"], 0);
  EXPECT_EQ(preds[1]["class"], 2);
  // A row of the wrong width is an error naming the file, exit 2.
  write_file(tmp / "bad.csv", "5.1,3.5,1.4\n");
  CliResult bad = run_gradnet({"predict", tmp / "run", tmp / "bad.csv"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("bad.csv"), std::string::npos) << bad.err;
}
