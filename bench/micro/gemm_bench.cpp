// GEMM at the shapes the workloads run (kernels/gemm.h): each linear layer's forward (y = x·Wᵀ),
// weight gradient (dW = dyᵀ·x) and input gradient (dx = dy·W) at batch 128, and W3's convolution
// GEMMs (W (O, C·k·k) times a chunk of im2col columns). Threads: $GRADNET_MICRO_THREADS (default 1).
#include <cstdlib>

#include "gradnet/threads.h"
#include "kernels/dense.h"
#include "kernels/gemm.h"
#include "micro_util.h"

namespace gradnet::micro {
namespace {

const int kThreads = [] {
  const char* t = std::getenv("GRADNET_MICRO_THREADS");
  return set_threads(t ? std::atoi(t) : 1);
}();

// C (m x n) = op(A) op(B), K the shared dimension.
void gemm_case(benchmark::State& state, bool ta, bool tb, Index m, Index n, Index k) {
  const std::vector<float> a = random_floats(m * k, 1), b = random_floats(k * n, 2);
  std::vector<float> c(static_cast<std::size_t>(m * n));
  const Index lda = ta ? m : k, ldb = tb ? k : n;
  for (auto _ : state) {
    kernels::gemm<float>(ta, tb, m, n, k, 1.0f, a.data(), lda, b.data(), ldb, 0.0f, c.data(), n);
    benchmark::DoNotOptimize(c.data());
  }
  set_rates(state, m * n, 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k));
  state.counters["threads"] = kThreads;
}

// A linear layer in -> out at batch kBatch: forward, weight gradient, input gradient.
void linear_forward(benchmark::State& s, Index in, Index out) { gemm_case(s, false, true, kBatch, out, in); }
void linear_dweight(benchmark::State& s, Index in, Index out) { gemm_case(s, true, false, out, in, kBatch); }
void linear_dx(benchmark::State& s, Index in, Index out) { gemm_case(s, false, false, kBatch, in, out); }

BENCHMARK_CAPTURE(linear_forward, w1_784x64, 784, 64);
BENCHMARK_CAPTURE(linear_dweight, w1_784x64, 784, 64);
BENCHMARK_CAPTURE(linear_dx, w1_784x64, 784, 64);
BENCHMARK_CAPTURE(linear_forward, w1_64x16, 64, 16);

// What LinearLayer's forward runs for 16-64 outputs: W transposed, then kernels::dense_forward
// with the bias in the sums (against linear_forward above: the same product through the GEMM on
// W as it is, without the transpose or the bias pass).
void linear_forward_dense(benchmark::State& state, Index in, Index out) {
  const std::vector<float> x = random_floats(kBatch * in, 1), w = random_floats(out * in, 2), b = random_floats(out, 3);
  std::vector<float> wt(w.size()), y(static_cast<std::size_t>(kBatch * out));
  if (!kernels::dense_forward_fits(out)) {
    state.SkipWithError("dense_forward needs AVX-512 and 16, 32, 48 or 64 outputs");
    return;
  }
  for (auto _ : state) {
    kernels::transpose(w.data(), out, in, wt.data());
    kernels::dense_forward(x.data(), kBatch, in, wt.data(), out, b.data(), y.data());
    benchmark::DoNotOptimize(y.data());
  }
  set_rates(state, kBatch * out, 2.0 * static_cast<double>(kBatch) * static_cast<double>(out) * static_cast<double>(in));
}
BENCHMARK_CAPTURE(linear_forward_dense, w1_784x64, 784, 64);
BENCHMARK_CAPTURE(linear_forward_dense, w1_64x16, 64, 16);
BENCHMARK_CAPTURE(linear_forward, w2_784x512, 784, 512);
BENCHMARK_CAPTURE(linear_dweight, w2_784x512, 784, 512);
BENCHMARK_CAPTURE(linear_dx, w2_784x512, 784, 512);
BENCHMARK_CAPTURE(linear_forward, w2_512x256, 512, 256);
BENCHMARK_CAPTURE(linear_dweight, w2_512x256, 512, 256);
BENCHMARK_CAPTURE(linear_dx, w2_512x256, 512, 256);
BENCHMARK_CAPTURE(linear_forward, w3_3136x128, 3136, 128);
BENCHMARK_CAPTURE(linear_dweight, w3_3136x128, 3136, 128);
BENCHMARK_CAPTURE(linear_dx, w3_3136x128, 3136, 128);

// W3's convolutions as conv2d runs them: W (O, K) · col (K, cols) over a chunk of examples
// (conv1: 1 -> 32 channels, k 3, 28x28, all 128 examples; conv2: 32 -> 64, 14x14, chunks of 74).
void conv_forward(benchmark::State& s, Index out, Index k, Index cols) { gemm_case(s, false, false, out, cols, k); }
void conv_dweight(benchmark::State& s, Index out, Index k, Index cols) { gemm_case(s, false, true, out, k, cols); }
void conv_dcol(benchmark::State& s, Index out, Index k, Index cols) { gemm_case(s, true, false, k, cols, out); }

BENCHMARK_CAPTURE(conv_forward, w3_conv1, 32, 9, 128 * 784);
BENCHMARK_CAPTURE(conv_dweight, w3_conv1, 32, 9, 128 * 784);
BENCHMARK_CAPTURE(conv_forward, w3_conv2, 64, 288, 74 * 196);
BENCHMARK_CAPTURE(conv_dweight, w3_conv2, 64, 288, 74 * 196);
BENCHMARK_CAPTURE(conv_dcol, w3_conv2, 64, 288, 74 * 196);

}  // namespace
}  // namespace gradnet::micro
