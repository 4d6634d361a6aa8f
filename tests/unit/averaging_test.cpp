// Parameter averaging and ensembles as library calls: the EMA and SWA update formulas against a
// double-precision reference, batch-norm statistics recomputed as PyTorch's update_bn does, and
// the combination of members' probabilities (mean, vote with ties broken by the mean).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "gradnet/config.h"
#include "gradnet/layers/batch_norm.h"
#include "gradnet/net.h"
#include "gradnet/rng.h"
#include "gradnet/train/averaging.h"
#include "gradnet/train/ensemble.h"

namespace gradnet {
namespace {

TEST(Averaging, EmaFollowsTorchsFormulaOverManySteps) {
  // torch: ema = decay * ema + (1 - decay) * w after each step (AveragedModel's first update copies).
  const double decay = 0.9;
  std::vector<float> ema = {0.5f, -1.25f, 3.0f};
  std::vector<double> reference(ema.begin(), ema.end());
  Rng rng(11);
  for (int step = 0; step < 50; ++step) {
    std::vector<float> w(3);
    for (float& v : w) v = static_cast<float>(rng.normal());
    ema_update(ema, w, decay);
    for (std::size_t i = 0; i < w.size(); ++i) reference[i] = decay * reference[i] + (1 - decay) * w[i];
  }
  for (std::size_t i = 0; i < ema.size(); ++i) EXPECT_NEAR(ema[i], reference[i], 1e-6) << i;
  // Hand-computed: one step of decay 0.75 from 1 towards 3 is 1.5.
  std::vector<float> one = {1.0f};
  ema_update(one, std::vector<float>{3.0f}, 0.75);
  EXPECT_FLOAT_EQ(one[0], 1.5f);
}

TEST(Averaging, SwaRunningMeanIsTheEqualWeightMean) {
  std::vector<float> mean = {2.0f, 0.0f};  // the first model
  running_mean_update(mean, std::vector<float>{4.0f, 3.0f}, 1);
  running_mean_update(mean, std::vector<float>{6.0f, -6.0f}, 2);
  EXPECT_FLOAT_EQ(mean[0], 4.0f);   // (2 + 4 + 6) / 3
  EXPECT_FLOAT_EQ(mean[1], -1.0f);  // (0 + 3 - 6) / 3
}

Config batch_norm_net() {
  return parse_config("name = \"bn\"\n[data]\ndataset = \"mnist\"\n[model]\ninput = [2]\n"
                      "loss = \"softmax_cross_entropy\"\nlayers = [\n  { type = \"batch_norm\", momentum = 0.3 },\n"
                      "  { type = \"linear\", out = 3 },\n]\n",
                      "bn.toml");
}

TEST(Averaging, BatchNormStatisticsAreRecomputedAsACumulativeMean) {
  const Config c = batch_norm_net();
  Net<float> net(c.model, 3, 4);
  Rng init(1);
  net.init(init);
  Dataset d;
  d.shape = {2};
  d.classes = 3;
  d.x = Tensor<float>({8, 2});
  const std::vector<float> values = {1, 10, 2, 20, 3, 30, 4, 40, 5, 50, 6, 60, 7, 70, 8, 80};
  d.x.assign(values);
  d.y.assign(8, 0);
  recompute_batch_norm(net, d, 4, 1);  // two batches of 4: feature 0 has means 2.5, 6.5; variances 5/3 each
  auto* bn = dynamic_cast<BatchNormLayer<float>*>(&net.layer(0));
  ASSERT_NE(bn, nullptr);
  const auto buffers = bn->buffers();
  EXPECT_NEAR(buffers[0].value.to_vector()[0], 4.5, 1e-5);   // (2.5 + 6.5) / 2, not the momentum's blend
  EXPECT_NEAR(buffers[0].value.to_vector()[1], 45.0, 1e-4);
  EXPECT_NEAR(buffers[1].value.to_vector()[0], 5.0 / 3.0, 1e-5);  // unbiased, per batch
  EXPECT_NEAR(buffers[1].value.to_vector()[1], 500.0 / 3.0, 1e-3);
  EXPECT_DOUBLE_EQ(bn->momentum(), 0.3);  // the layer's own momentum back
}

TEST(Ensemble, AverageIsTheMeanAndVoteBreaksTiesByTheMean) {
  Tensor<float> a({2, 3}), b({2, 3}), c({2, 3});
  a.assign({0.6f, 0.3f, 0.1f, 0.2f, 0.5f, 0.3f});
  b.assign({0.1f, 0.8f, 0.1f, 0.45f, 0.1f, 0.45f});
  c.assign({0.4f, 0.5f, 0.1f, 0.1f, 0.2f, 0.7f});
  const Tensor<float> mean = combine_probabilities({a, b, c}, EnsembleCombine::average);
  for (Index i = 0; i < 6; ++i)
    EXPECT_NEAR(mean.data()[i], (a.data()[i] + b.data()[i] + c.data()[i]) / 3.0, 1e-6) << i;
  const Tensor<float> vote = combine_probabilities({a, b, c}, EnsembleCombine::vote);
  // Row 0: votes 0, 1, 1 -> class 1 wins (its mean 0.533 is higher anyway). Row 1: votes for 1,
  // 0 (first maximum of b), 2: a three-way tie broken by the mean: class 2 (0.483).
  auto argmax = [&](const Tensor<float>& t, Index row) {
    Index best = 0;
    for (Index k = 1; k < 3; ++k)
      if (t.data()[row * 3 + k] > t.data()[row * 3 + best]) best = k;
    return best;
  };
  EXPECT_EQ(argmax(vote, 0), 1);
  EXPECT_EQ(argmax(vote, 1), 2);
  double row_sum = 0;
  for (Index k = 0; k < 3; ++k) row_sum += vote.data()[k];
  EXPECT_NEAR(row_sum, 1.0, 1e-6);  // a distribution
  // A majority beats a higher mean: two members vote 0 with 0.4, one votes 1 with 0.99.
  Tensor<float> p({1, 2}), q({1, 2}), r({1, 2});
  p.assign({0.51f, 0.49f});
  q.assign({0.51f, 0.49f});
  r.assign({0.01f, 0.99f});
  const Tensor<float> majority = combine_probabilities({p, q, r}, EnsembleCombine::vote);
  EXPECT_GT(majority.data()[0], majority.data()[1]);
  const Tensor<float> averaged = combine_probabilities({p, q, r}, EnsembleCombine::average);
  EXPECT_LT(averaged.data()[0], averaged.data()[1]);
}

}  // namespace
}  // namespace gradnet
