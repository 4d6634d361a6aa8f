// Elementwise kernels (kernels/activation.h, dense.h) at the workloads' sizes: W1's hidden layers
// (128 x 64), W2's (128 x 512), W3's first feature map (128 x 32 x 28 x 28).
#include "kernels/activation.h"
#include "kernels/dense.h"
#include "micro_util.h"

namespace gradnet::micro {
namespace {

using Forward = void (*)(const float*, float*, Index);
using Backward = void (*)(const float*, const float*, float*, Index);

void forward(benchmark::State& state, Forward f, Index n) {
  const std::vector<float> x = random_floats(n);
  std::vector<float> y(x.size());
  for (auto _ : state) {
    f(x.data(), y.data(), n);
    benchmark::DoNotOptimize(y.data());
  }
  set_rates(state, n);
}

void backward(benchmark::State& state, Backward f, Index n) {
  const std::vector<float> x = random_floats(n, 1), dy = random_floats(n, 2);
  std::vector<float> dx(x.size());
  for (auto _ : state) {
    f(x.data(), dy.data(), dx.data(), n);
    benchmark::DoNotOptimize(dx.data());
  }
  set_rates(state, n);
}

constexpr Index kW1 = kBatch * 64, kW2 = kBatch * 512, kW3 = kBatch * 32 * 28 * 28;

BENCHMARK_CAPTURE(forward, sigmoid_w1, &kernels::sigmoid_forward<float>, kW1);
BENCHMARK_CAPTURE(backward, sigmoid_w1, &kernels::sigmoid_backward<float>, kW1);
BENCHMARK_CAPTURE(forward, tanh_w1, &kernels::tanh_forward<float>, kW1);
BENCHMARK_CAPTURE(backward, tanh_w1, &kernels::tanh_backward<float>, kW1);
BENCHMARK_CAPTURE(forward, relu_w2, &kernels::relu_forward<float>, kW2);
BENCHMARK_CAPTURE(backward, relu_w2, &kernels::relu_backward<float>, kW2);
BENCHMARK_CAPTURE(forward, relu_w3, &kernels::relu_forward<float>, kW3);
BENCHMARK_CAPTURE(backward, relu_w3, &kernels::relu_backward<float>, kW3);
BENCHMARK_CAPTURE(forward, silu_w2, &kernels::silu_forward<float>, kW2);

void gelu(benchmark::State& state, kernels::GeluApproximation a) {
  const std::vector<float> x = random_floats(kW2);
  std::vector<float> y(x.size());
  for (auto _ : state) {
    kernels::gelu_forward<float>(x.data(), y.data(), kW2, a);
    benchmark::DoNotOptimize(y.data());
  }
  set_rates(state, kW2);
}
BENCHMARK_CAPTURE(gelu, exact_w2, kernels::GeluApproximation::none);
BENCHMARK_CAPTURE(gelu, tanh_w2, kernels::GeluApproximation::tanh);

// A linear layer's bias: broadcast into the rows before the GEMM, and its gradient (column sums).
void bias(benchmark::State& state, Index d) {
  const std::vector<float> b = random_floats(d), dy = random_floats(kBatch * d);
  std::vector<float> y(static_cast<std::size_t>(kBatch * d)), db(static_cast<std::size_t>(d));
  for (auto _ : state) {
    kernels::bias_broadcast<float>(b.data(), y.data(), kBatch, d);
    kernels::bias_grad<float>(dy.data(), db.data(), kBatch, d);
    benchmark::DoNotOptimize(db.data());
  }
  set_rates(state, kBatch * d);
}
BENCHMARK_CAPTURE(bias, w1_64, 64);
BENCHMARK_CAPTURE(bias, w2_512, 512);

}  // namespace
}  // namespace gradnet::micro
