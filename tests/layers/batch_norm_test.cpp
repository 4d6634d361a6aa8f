// Batch norm: eval mode is the train formula with the running statistics; the running statistics
// follow PyTorch's update; dropout keeps the expectation and is the identity in eval.
#include "gradnet/layers/batch_norm.h"

#include <gtest/gtest.h>

#include <cmath>

#include "gradnet/error.h"
#include "gradnet/layers/dropout.h"
#include "layer_test_util.h"

namespace gradnet {
namespace {

using testing::layer_spec;

TEST(BatchNorm, RunningStatisticsFollowPyTorchsUpdate) {
  auto bn = make_layer<double>(layer_spec("batch_norm", {{"momentum", 0.25}}));
  const Index n = 4;
  bn->setup({2, 1, 3}, n);  // 2 channels of 3 positions: M = 12 values per channel
  Rng rng(3);
  bn->init(rng);
  std::vector<double> x(static_cast<std::size_t>(n * 6)), y(x.size());
  for (double& v : x) v = rng.normal(2.0, 3.0);
  bn->forward(testing::cview(x, n), testing::mview(y, n), StepContext{Mode::train, &rng});
  for (Index c = 0; c < 2; ++c) {
    double s = 0, q = 0;
    for (Index i = 0; i < n; ++i)
      for (Index p = 0; p < 3; ++p) s += x[i * 6 + c * 3 + p];
    const double mean = s / 12;
    for (Index i = 0; i < n; ++i)
      for (Index p = 0; p < 3; ++p) q += std::pow(x[i * 6 + c * 3 + p] - mean, 2);
    EXPECT_NEAR(bn->buffers()[0].value[c], 0.75 * 0 + 0.25 * mean, 1e-12);
    EXPECT_NEAR(bn->buffers()[1].value[c], 0.75 * 1 + 0.25 * q / 11, 1e-12);  // unbiased
    // Train output: per channel mean 0, biased variance 1 (up to eps).
    double ys = 0, yq = 0;
    for (Index i = 0; i < n; ++i)
      for (Index p = 0; p < 3; ++p) ys += y[i * 6 + c * 3 + p];
    for (Index i = 0; i < n; ++i)
      for (Index p = 0; p < 3; ++p) yq += std::pow(y[i * 6 + c * 3 + p], 2);
    EXPECT_NEAR(ys / 12, 0.0, 1e-12);
    EXPECT_NEAR(yq / 12, q / 12 / (q / 12 + 1e-5), 1e-9);
  }
}

TEST(BatchNorm, EvalModeIsTheTrainFormulaWithRunningStatistics) {
  auto bn = make_layer<double>(layer_spec("batch_norm"));
  const Index n = 5;
  bn->setup({3}, n);
  Rng rng(11);
  bn->init(rng);
  std::vector<double> x(static_cast<std::size_t>(n * 3)), y(x.size());
  for (int step = 0; step < 4; ++step) {  // a few training steps move the running statistics
    for (double& v : x) v = rng.normal(1.0, 2.0);
    bn->forward(testing::cview(x, n), testing::mview(y, n), StepContext{Mode::train, &rng});
  }
  for (Index c = 0; c < 3; ++c) {  // non-trivial affine params
    bn->params()[0].value[c] = 0.5 + c;
    bn->params()[1].value[c] = -0.25 * c;
  }
  bn->forward(testing::cview(x, n), testing::mview(y, n), StepContext{Mode::eval, nullptr});
  for (Index i = 0; i < n; ++i)
    for (Index c = 0; c < 3; ++c) {
      const double rm = bn->buffers()[0].value[c], rv = bn->buffers()[1].value[c];
      const double want = (x[i * 3 + c] - rm) / std::sqrt(rv + 1e-5) * bn->params()[0].value[c] + bn->params()[1].value[c];
      EXPECT_NEAR(y[i * 3 + c], want, 1e-12);
    }
  // Eval does not move the running statistics.
  const double rm0 = bn->buffers()[0].value[0];
  bn->forward(testing::cview(x, n), testing::mview(y, n), StepContext{Mode::eval, nullptr});
  EXPECT_EQ(bn->buffers()[0].value[0], rm0);
}

TEST(BatchNorm, RejectsAFlatImageOfTheWrongRank) {
  auto bn = make_layer<float>(layer_spec("batch_norm"));
  EXPECT_THROW(bn->setup({2, 3}, 4), Error);
}

TEST(Dropout, KeepsTheExpectationInTrainingAndIsTheIdentityInEval) {
  auto d = make_layer<double>(layer_spec("dropout", {{"rate", 0.3}}));
  const Index n = 100;
  d->setup({100}, n);
  std::vector<double> x(10000, 1.0), y(x.size());
  Rng rng(5);
  d->forward(testing::cview(x, n), testing::mview(y, n), StepContext{Mode::train, &rng});
  double zeros = 0, sum = 0;
  for (double v : y) {
    zeros += v == 0.0;
    sum += v;
    if (v != 0.0) EXPECT_DOUBLE_EQ(v, 1.0 / 0.7);
  }
  EXPECT_NEAR(zeros / 10000, 0.3, 0.02);
  EXPECT_NEAR(sum / 10000, 1.0, 0.03);
  d->forward(testing::cview(x, n), testing::mview(y, n), StepContext{Mode::eval, nullptr});
  EXPECT_EQ(y, x);
}

}  // namespace
}  // namespace gradnet
