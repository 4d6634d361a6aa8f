// The conv-net kernels at W3's shapes (kernels/conv.h, pool.h): im2col and col2im over a chunk of
// examples, the bias scatter and dy gather around conv2d's GEMMs, 2x2 max pooling forward and
// backward, global average pooling; and the whole convolution on oneDNN's primitives (what
// conv2d runs in float), forward and backward, at batch 128.
#include "kernels/conv.h"
#include "kernels/conv_onednn.h"
#include "kernels/pool.h"
#include "micro_util.h"

namespace gradnet::micro {
namespace {

kernels::WindowGeometry conv(Index c, Index hw, Index k, Index pad) {
  kernels::WindowGeometry g;
  g.c = c;
  g.h = g.w = hw;
  g.k = k;
  g.pad = pad;
  g.ho = g.wo = hw + 2 * pad - k + 1;
  return g;
}

kernels::WindowGeometry pool2(Index c, Index hw) {
  kernels::WindowGeometry g;
  g.c = c;
  g.h = g.w = hw;
  g.k = g.stride = 2;
  g.ho = g.wo = hw / 2;
  return g;
}

// W3: conv1 1 -> 32 on 28x28 (chunk 128), conv2 32 -> 64 on 14x14 (chunk 74); 3x3, padding 1.
const kernels::WindowGeometry kConv1 = conv(1, 28, 3, 1), kConv2 = conv(32, 14, 3, 1);

void im2col(benchmark::State& state, kernels::WindowGeometry g, Index count) {
  const Index p = g.ho * g.wo, rows = g.c * g.k * g.k;
  const std::vector<float> x = random_floats(count * g.c * g.h * g.w);
  std::vector<float> col(static_cast<std::size_t>(rows * count * p));
  for (auto _ : state) {
    kernels::im2col_chunk<float>(g, x.data(), count, col.data());
    benchmark::DoNotOptimize(col.data());
  }
  set_rates(state, rows * count * p);
}
BENCHMARK_CAPTURE(im2col, w3_conv1, kConv1, 128);
BENCHMARK_CAPTURE(im2col, w3_conv2, kConv2, 74);

// conv2d in float: oneDNN's forward (with bias), and backward (dW, db and, for conv2, dx).
void onednn_conv(benchmark::State& state, kernels::WindowGeometry g, Index out, bool backward, bool need_dx) {
  if (!kernels::OnednnConv::available()) {
    state.SkipWithError("built without oneDNN");
    return;
  }
  const Index n = kBatch, k2 = g.c * g.k * g.k;
  const std::vector<float> x = random_floats(n * g.c * g.h * g.w), w = random_floats(out * k2, 3), b = random_floats(out, 4);
  const std::vector<float> dy = random_floats(n * out * g.ho * g.wo, 5);
  std::vector<float> y(dy.size()), dx(x.size()), dw(w.size()), db(b.size());
  kernels::OnednnConv conv(g, out, 1, true);
  for (auto _ : state) {
    if (backward)
      conv.backward(x.data(), dy.data(), w.data(), dw.data(), db.data(), need_dx ? dx.data() : nullptr, n);
    else
      conv.forward(x.data(), w.data(), b.data(), y.data(), n);
    benchmark::ClobberMemory();
  }
  const double macs = static_cast<double>(n) * out * g.ho * g.wo * k2;
  set_rates(state, n * out * g.ho * g.wo, 2.0 * macs * (backward ? (need_dx ? 2.0 : 1.0) : 1.0));
}
BENCHMARK_CAPTURE(onednn_conv, w3_conv1_forward, kConv1, 32, false, false);
BENCHMARK_CAPTURE(onednn_conv, w3_conv1_backward_no_dx, kConv1, 32, true, false);
BENCHMARK_CAPTURE(onednn_conv, w3_conv2_forward, kConv2, 64, false, false);
BENCHMARK_CAPTURE(onednn_conv, w3_conv2_backward, kConv2, 64, true, true);

void col2im(benchmark::State& state, kernels::WindowGeometry g, Index count) {
  const Index p = g.ho * g.wo, rows = g.c * g.k * g.k;
  const std::vector<float> col = random_floats(rows * count * p);
  std::vector<float> dx(static_cast<std::size_t>(count * g.c * g.h * g.w));
  for (auto _ : state) {
    kernels::col2im_chunk<float>(g, col.data(), count, dx.data());
    benchmark::DoNotOptimize(dx.data());
  }
  set_rates(state, rows * count * p);
}
BENCHMARK_CAPTURE(col2im, w3_conv1, kConv1, 128);
BENCHMARK_CAPTURE(col2im, w3_conv2, kConv2, 74);

// conv2d's forward epilogue (GEMM output + bias into y) and backward prologue (dy into columns).
void scatter_gather(benchmark::State& state, Index out, Index p, Index count) {
  const std::vector<float> t = random_floats(out * count * p), b = random_floats(out);
  std::vector<float> y(t.size()), t2(t.size());
  for (auto _ : state) {
    kernels::conv_bias_scatter<float>(t.data(), b.data(), y.data(), count, out, p);
    kernels::conv_gather<float>(y.data(), t2.data(), count, out, p);
    benchmark::DoNotOptimize(t2.data());
  }
  set_rates(state, out * count * p);
}
BENCHMARK_CAPTURE(scatter_gather, w3_conv1, 32, 784, 128);

void max_pool(benchmark::State& state, kernels::WindowGeometry g) {
  const Index in = g.c * g.h * g.w, out = g.c * g.ho * g.wo;
  const std::vector<float> x = random_floats(kBatch * in), dy = random_floats(kBatch * out);
  std::vector<float> y(static_cast<std::size_t>(kBatch * out)), dx(x.size());
  std::vector<std::int32_t> arg(y.size());
  for (auto _ : state) {
    kernels::max_pool_forward<float>(g, x.data(), y.data(), arg.data(), kBatch);
    kernels::max_pool_backward<float>(g, dy.data(), arg.data(), dx.data(), kBatch);
    benchmark::DoNotOptimize(dx.data());
  }
  set_rates(state, kBatch * in);
}
BENCHMARK_CAPTURE(max_pool, w3_pool1_2x2, pool2(32, 28));
BENCHMARK_CAPTURE(max_pool, w3_pool2_2x2, pool2(64, 14));

void global_avg_pool(benchmark::State& state, Index c, Index hw) {
  const std::vector<float> x = random_floats(kBatch * c * hw), dy = random_floats(kBatch * c);
  std::vector<float> y(static_cast<std::size_t>(kBatch * c)), dx(x.size());
  for (auto _ : state) {
    kernels::global_avg_pool_forward<float>(x.data(), y.data(), kBatch, c, hw);
    kernels::global_avg_pool_backward<float>(dy.data(), dx.data(), kBatch, c, hw);
    benchmark::DoNotOptimize(dx.data());
  }
  set_rates(state, kBatch * c * hw);
}
BENCHMARK_CAPTURE(global_avg_pool, c64_8x8, 64, 64);

}  // namespace
}  // namespace gradnet::micro
