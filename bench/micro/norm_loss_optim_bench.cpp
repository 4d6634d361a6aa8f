// Normalization, loss and optimizer kernels (kernels/norm.h, softmax.h, optim.h): batch norm over
// a conv feature map, layer norm over W2's hidden layer, softmax cross-entropy at batch 128 x 10
// classes, and each optimizer's update over W1's and W2's parameter counts.
#include "kernels/norm.h"
#include "kernels/optim.h"
#include "kernels/softmax.h"
#include "micro_util.h"

namespace gradnet::micro {
namespace {

void batch_norm(benchmark::State& state, Index c, Index hw) {
  const kernels::ChannelShape s{kBatch, c, hw};
  const std::vector<float> x = random_floats(kBatch * c * hw, 1), dy = random_floats(kBatch * c * hw, 2);
  const std::vector<float> gamma(static_cast<std::size_t>(c), 1.0f), beta(static_cast<std::size_t>(c), 0.0f);
  std::vector<double> mean(static_cast<std::size_t>(c)), var(mean.size());
  std::vector<float> y(x.size()), dx(x.size()), saved_mean(mean.size()), saved_rstd(mean.size());
  std::vector<float> dgamma(mean.size()), dbeta(mean.size());
  for (auto _ : state) {
    kernels::batch_norm_statistics<float>(s, x.data(), mean.data(), var.data());
    kernels::batch_norm_apply<float>(s, x.data(), mean.data(), var.data(), 1e-5, gamma.data(), beta.data(), y.data(),
                                     saved_mean.data(), saved_rstd.data());
    kernels::batch_norm_backward<float>(s, x.data(), dy.data(), saved_mean.data(), saved_rstd.data(), gamma.data(),
                                        true, dgamma.data(), dbeta.data(), dx.data());
    benchmark::DoNotOptimize(dx.data());
  }
  set_rates(state, kBatch * c * hw);
}
BENCHMARK_CAPTURE(batch_norm, c32_28x28, 32, 784);
BENCHMARK_CAPTURE(batch_norm, c64_14x14, 64, 196);

void layer_norm(benchmark::State& state, Index d) {
  const kernels::GroupLayout l{1, d, 1};
  const std::vector<float> x = random_floats(kBatch * d, 1), dy = random_floats(kBatch * d, 2);
  const std::vector<float> w(static_cast<std::size_t>(d), 1.0f), b(static_cast<std::size_t>(d), 0.0f);
  std::vector<float> y(x.size()), dx(x.size()), mean(kBatch), rstd(kBatch), dw(w.size()), db(w.size());
  for (auto _ : state) {
    kernels::group_norm_forward<float>(l, kBatch, x.data(), 1e-5, w.data(), b.data(), y.data(), mean.data(),
                                       rstd.data());
    kernels::group_norm_backward<float>(l, kBatch, x.data(), dy.data(), mean.data(), rstd.data(), w.data(),
                                        dw.data(), db.data(), dx.data());
    benchmark::DoNotOptimize(dx.data());
  }
  set_rates(state, kBatch * d);
}
BENCHMARK_CAPTURE(layer_norm, w2_512, 512);

void softmax_cross_entropy(benchmark::State& state, Index k) {
  const std::vector<float> z = random_floats(kBatch * k, 1, 3.0);
  const std::vector<std::int32_t> labels = random_labels(kBatch, k);
  std::vector<float> probs(z.size()), dz(z.size());
  for (auto _ : state) {
    benchmark::DoNotOptimize(kernels::softmax_cross_entropy_forward<float>(z.data(), labels.data(), probs.data(),
                                                                           kBatch, k));
    kernels::softmax_cross_entropy_backward<float>(probs.data(), labels.data(), dz.data(), kBatch, k);
    benchmark::DoNotOptimize(dz.data());
  }
  set_rates(state, kBatch * k);
}
BENCHMARK_CAPTURE(softmax_cross_entropy, k10, 10);

// W1: 784·64 + 64 + 64·16 + 16 + 16·10 + 10 = 50,890 params; W2: 535,818.
constexpr Index kW1Params = 50890, kW2Params = 535818;

void sgd_momentum(benchmark::State& state, Index n) {
  std::vector<float> w = random_floats(n, 1), buf(static_cast<std::size_t>(n), 0.0f);
  const std::vector<float> g = random_floats(n, 2, 1e-3);
  const kernels::SgdStep<float> s{1e-3f, 0.0f, 0.9f, 1.0f, false, false};
  for (auto _ : state) {
    kernels::sgd_update<float>(s, w.data(), g.data(), buf.data(), n);
    benchmark::DoNotOptimize(w.data());
  }
  set_rates(state, n);
}
BENCHMARK_CAPTURE(sgd_momentum, w1, kW1Params);
BENCHMARK_CAPTURE(sgd_momentum, w2, kW2Params);

void adam(benchmark::State& state, Index n) {
  std::vector<float> w = random_floats(n, 1), m(static_cast<std::size_t>(n), 0.0f), v(m.size(), 0.0f);
  const std::vector<float> g = random_floats(n, 2, 1e-3);
  const kernels::AdamStep<float> s{0.9f, 0.999f, 1e-8f, 1e-3f, 0.03f, 0.0f, 1.0f, false};
  for (auto _ : state) {
    kernels::adam_update<float>(s, w.data(), g.data(), m.data(), v.data(), nullptr, n);
    benchmark::DoNotOptimize(w.data());
  }
  set_rates(state, n);
}
BENCHMARK_CAPTURE(adam, w1, kW1Params);
BENCHMARK_CAPTURE(adam, w2, kW2Params);

}  // namespace
}  // namespace gradnet::micro
