// Normalizer: fitted on train only, applied with the train statistics everywhere; standardize
// gives mean 0 / std 1 on train; constant features map to 0 and stay finite elsewhere.
#include "gradnet/config.h"
#include "gradnet/data/normalize.h"

#include <gtest/gtest.h>

#include <cmath>

#include "gradnet/error.h"

namespace gradnet {
namespace {

Dataset table(Index n, Index features, std::vector<float> values, Shape shape = {}) {
  Dataset d;
  d.shape = shape.empty() ? Shape{features} : shape;
  d.x = Tensor<float>({n, features});
  d.x.assign(std::move(values));
  d.y.assign(static_cast<std::size_t>(n), 0);
  d.source = "table";
  return d;
}

// Column j's mean and population std.
std::pair<double, double> column_stats(const Dataset& d, Index j) {
  double m = 0, v = 0;
  for (Index i = 0; i < d.size(); ++i) m += d.x[i * d.features() + j];
  m /= d.size();
  for (Index i = 0; i < d.size(); ++i) v += std::pow(d.x[i * d.features() + j] - m, 2);
  return {m, std::sqrt(v / d.size())};
}

TEST(Normalize, StandardizeTrainStatsOnly) {
  Dataset train = table(4, 3, {1, 10, 5, 2, 20, 5, 3, 30, 5, 4, 40, 5});
  Dataset test = table(1, 3, {5, 50, 6});
  const Normalizer n = fit_normalizer(NormalizeMethod::standardize, train);
  EXPECT_FLOAT_EQ(n.mean[0], 2.5f);
  EXPECT_FLOAT_EQ(n.std[0], std::sqrt(1.25f));
  EXPECT_FLOAT_EQ(n.std[2], 1.0f);  // constant on train: std 1, not eps
  n.apply(train);
  for (Index j = 0; j < 2; ++j) {
    const auto [m, s] = column_stats(train, j);
    EXPECT_NEAR(m, 0.0, 1e-6);
    EXPECT_NEAR(s, 1.0, 1e-6);
  }
  EXPECT_EQ(train.x[2], 0.0f);  // constant feature -> 0
  n.apply(test);                // with the TRAIN statistics
  EXPECT_NEAR(test.x[0], (5 - 2.5) / std::sqrt(1.25), 1e-6);
  EXPECT_NEAR(test.x[2], 1.0, 1e-6);  // finite, not (6 - 5) / 1e-8
}

TEST(Normalize, StandardizeLargeOffsetDoubleAccumulation) {
  // Values near 1e4 with spread 1: a float one-pass variance would lose most digits.
  std::vector<float> v;
  for (int i = 0; i < 10000; ++i) v.push_back(10000.0f + static_cast<float>(i % 2 ? 1 : -1));
  Dataset d = table(10000, 1, v);
  const Normalizer n = fit_normalizer(NormalizeMethod::standardize, d);
  EXPECT_NEAR(n.mean[0], 10000.0, 1e-3);
  EXPECT_NEAR(n.std[0], 1.0, 1e-6);
}

TEST(Normalize, StandardizeImagesPerChannel) {
  // Two 2-channel 1x2 images: channel 0 holds {0, 2, 4, 6}, channel 1 holds {10, 10, 30, 30}.
  Dataset img = table(2, 4, {0, 2, 10, 10, 4, 6, 30, 30}, {2, 1, 2});
  const Normalizer n = fit_normalizer(NormalizeMethod::standardize, img);
  EXPECT_EQ(n.mean, (std::vector<float>{3, 3, 20, 20}));
  EXPECT_FLOAT_EQ(n.std[0], std::sqrt(5.0f));
  EXPECT_FLOAT_EQ(n.std[1], std::sqrt(5.0f));
  EXPECT_FLOAT_EQ(n.std[2], 10.0f);
  n.apply(img);
  EXPECT_FLOAT_EQ(img.x[6], 1.0f);
}

TEST(Normalize, Scale01Images) {
  Dataset img = table(2, 4, {0, 51, 255, 255, 0, 0, 0, 0}, {1, 2, 2});
  const Normalizer n = fit_normalizer(NormalizeMethod::scale01, img);
  n.apply(img);
  EXPECT_FLOAT_EQ(img.x[1], 0.2f);
  EXPECT_FLOAT_EQ(img.x[2], 1.0f);
  EXPECT_FLOAT_EQ(img.x[4], 0.0f);
}

TEST(Normalize, Scale01TablesMinMax) {
  Dataset train = table(3, 2, {1, 7, 3, 7, 5, 7});
  Dataset test = table(1, 2, {7, 8});
  const Normalizer n = fit_normalizer(NormalizeMethod::scale01, train);
  EXPECT_EQ(n.mean, (std::vector<float>{1, 7}));  // min
  EXPECT_EQ(n.std, (std::vector<float>{4, 1}));   // max - min (constant: 1)
  n.apply(train);
  EXPECT_FLOAT_EQ(train.x[2], 0.5f);
  EXPECT_FLOAT_EQ(train.x[4], 1.0f);
  n.apply(test);
  EXPECT_FLOAT_EQ(test.x[0], 1.5f);  // outside train's range: not clipped
}

TEST(Normalize, NoneAndErrors) {
  Dataset d = table(1, 2, {3, 4});
  const Normalizer none = fit_normalizer(NormalizeMethod::none, d);
  none.apply(d);
  EXPECT_EQ(d.x[1], 4.0f);
  try {  // an unknown method is the config's to refuse (fit_normalizer takes the enum)
    parse_config("[data]\nnormalize = \"whitening\"\n[model]\ninput = [2]\nlayers = [{ type = \"linear\", out = 2 }]\n",
                 "c.toml");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_NE(std::string(e.what()).find("whitening"), std::string::npos);
  }
  const Normalizer s = fit_normalizer(NormalizeMethod::standardize, d);
  Dataset wide = table(1, 3, {1, 2, 3});
  EXPECT_THROW(s.apply(wide), Error);
}

}  // namespace
}  // namespace gradnet
