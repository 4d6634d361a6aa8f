// kernels::OnednnConv (oneDNN's convolution primitives, float) against a plain double-precision
// convolution written out here: forward, dW and db accumulating onto what was there, dx
// overwritten, over strides, padding, dilation, groups, no bias, one example and a batch larger
// than the 128-example chunk. Tolerance: float products of up to C·k·k = 72 terms (forward, dx) or
// N·Ho·Wo ≈ 2,000 terms (dW, db), relative to the sum of |terms|.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../../src/kernels/conv_onednn.h"
#include "gradnet/error.h"
#include "kernel_test_util.h"

using namespace gradnet;
using namespace gradnet::testing;

namespace {

struct Case {
  Index n, c, h, w, out, k, stride, pad, dilation, groups;
  bool bias;
};

struct Result {
  std::vector<double> y, dw, db, dx, y_abs, dw_abs, db_abs, dx_abs;  // values and Σ|terms|
};

// The definition, in double: y[n,o,i,j] = b[o] + Σ_{c in o's group, ki, kj} x[n,c,ih,iw]·W[o,c',ki,kj].
Result reference(const Case& t, const kernels::WindowGeometry& g, const std::vector<float>& x,
                 const std::vector<float>& w, const std::vector<float>& b, const std::vector<float>& dy) {
  const Index cg = t.c / t.groups, og = t.out / t.groups;
  Result r;
  r.y.assign(t.n * t.out * g.ho * g.wo, 0.0);
  r.y_abs = r.y;
  r.dx.assign(x.size(), 0.0);
  r.dx_abs = r.dx;
  r.dw.assign(w.size(), 0.0);
  r.dw_abs = r.dw;
  r.db.assign(t.out, 0.0);
  r.db_abs = r.db;
  for (Index n = 0; n < t.n; ++n)
    for (Index o = 0; o < t.out; ++o)
      for (Index i = 0; i < g.ho; ++i)
        for (Index j = 0; j < g.wo; ++j) {
          const Index yi = ((n * t.out + o) * g.ho + i) * g.wo + j;
          if (t.bias) {
            r.y[yi] += b[o];
            r.y_abs[yi] += std::abs(b[o]);
            r.db[o] += dy[yi];
            r.db_abs[o] += std::abs(dy[yi]);
          }
          for (Index cc = 0; cc < cg; ++cc) {
            const Index c = (o / og) * cg + cc;
            for (Index ki = 0; ki < t.k; ++ki)
              for (Index kj = 0; kj < t.k; ++kj) {
                const Index ih = i * t.stride - t.pad + ki * t.dilation, iw = j * t.stride - t.pad + kj * t.dilation;
                if (ih < 0 || ih >= t.h || iw < 0 || iw >= t.w) continue;
                const Index xi = ((n * t.c + c) * t.h + ih) * t.w + iw, wi = ((o * cg + cc) * t.k + ki) * t.k + kj;
                r.y[yi] += double(x[xi]) * w[wi];
                r.y_abs[yi] += std::abs(double(x[xi]) * w[wi]);
                r.dw[wi] += double(x[xi]) * dy[yi];
                r.dw_abs[wi] += std::abs(double(x[xi]) * dy[yi]);
                r.dx[xi] += double(w[wi]) * dy[yi];
                r.dx_abs[xi] += std::abs(double(w[wi]) * dy[yi]);
              }
          }
        }
  return r;
}

void expect_near_sum(const std::vector<float>& got, const std::vector<double>& want, const std::vector<double>& abs_sum,
                     double offset, const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  int bad = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double err = std::abs(got[i] - (want[i] + offset)), bound = 1e-6 + 2e-6 * (abs_sum[i] + std::abs(offset));
    if (!(err <= bound) && bad++ < 5) ADD_FAILURE() << what << "[" << i << "]: got " << got[i] << ", want " << want[i] + offset;
  }
}

// The float value nearest x in bfloat16 (ties to even), as oneDNN's reorders round.
float to_bf16(float x) {
  std::uint32_t bits = 0;
  std::memcpy(&bits, &x, sizeof bits);
  bits = (bits + 0x7FFFu + ((bits >> 16) & 1u)) & 0xFFFF0000u;
  float r = 0;
  std::memcpy(&r, &bits, sizeof r);
  return r;
}
std::vector<float> to_bf16(std::vector<float> v) {
  for (float& x : v) x = to_bf16(x);
  return v;
}

// bf16: the reference takes x, W and dy rounded to bfloat16, and most of y must be off the
// unrounded definition (the float convolution) by more than float rounding.
void check(const Case& t, kernels::ConvAlgorithm algorithm = kernels::ConvAlgorithm::automatic) {
  const bool bf16 = algorithm == kernels::ConvAlgorithm::bf16;
  SCOPED_TRACE(::testing::Message() << "n " << t.n << " c " << t.c << " " << t.h << "x" << t.w << " out " << t.out
                                    << " k " << t.k << " stride " << t.stride << " pad " << t.pad << " dilation "
                                    << t.dilation << " groups " << t.groups << " bias " << t.bias);
  ASSERT_TRUE(kernels::OnednnConv::available());
  kernels::WindowGeometry g{t.c, t.h, t.w, t.k, t.stride, t.pad, t.dilation, 0, 0};
  g.ho = (t.h + 2 * t.pad - t.dilation * (t.k - 1) - 1) / t.stride + 1;
  g.wo = (t.w + 2 * t.pad - t.dilation * (t.k - 1) - 1) / t.stride + 1;
  const auto x = uniform_values<float>(t.n * t.c * t.h * t.w, -1, 1, 1);
  const auto w = uniform_values<float>(t.out * (t.c / t.groups) * t.k * t.k, -1, 1, 2);
  const auto b = uniform_values<float>(t.out, -1, 1, 3);
  const auto dy = uniform_values<float>(t.n * t.out * g.ho * g.wo, -1, 1, 4);
  const Result want = bf16 ? reference(t, g, to_bf16(x), to_bf16(w), b, to_bf16(dy)) : reference(t, g, x, w, b, dy);

  kernels::OnednnConv conv(g, t.out, t.groups, t.bias, algorithm);
  std::vector<float> y(want.y.size(), 7.0f), dx(x.size(), 7.0f), dw(w.size(), 0.5f), db(t.out, 0.5f);
  conv.forward(x.data(), w.data(), t.bias ? b.data() : nullptr, y.data(), t.n);
  expect_near_sum(y, want.y, want.y_abs, 0.0, "y");
  if (bf16) {
    const Result exact = reference(t, g, x, w, b, dy);
    int off = 0;
    for (std::size_t i = 0; i < y.size(); ++i) off += std::abs(y[i] - exact.y[i]) > 1e-6 + 2e-6 * exact.y_abs[i];
    EXPECT_GT(off, static_cast<int>(y.size() / 2)) << "y is the float convolution's: bf16 was not used";
  }
  conv.backward(x.data(), dy.data(), w.data(), dw.data(), t.bias ? db.data() : nullptr, dx.data(), t.n);
  expect_near_sum(dx, want.dx, want.dx_abs, 0.0, "dx (overwritten)");
  expect_near_sum(dw, want.dw, want.dw_abs, 0.5, "dW (accumulated onto 0.5)");
  if (t.bias) expect_near_sum(db, want.db, want.db_abs, 0.5, "db (accumulated onto 0.5)");

  // The same call again gives the same bits (a fixed split of the work at a given thread count).
  std::vector<float> dw2(w.size(), 0.5f), db2(t.out, 0.5f), dx2(x.size(), 0.0f);
  conv.backward(x.data(), dy.data(), w.data(), dw2.data(), t.bias ? db2.data() : nullptr, dx2.data(), t.n);
  EXPECT_EQ(dw2, dw);
  EXPECT_EQ(dx2, dx);
  if (t.bias) EXPECT_EQ(db2, db);

  // A backward that follows no forward reorders x itself (the one above reused the forward's copy).
  kernels::OnednnConv fresh(g, t.out, t.groups, t.bias, algorithm);
  std::vector<float> dw3(w.size(), 0.5f), db3(t.out, 0.5f), dx3(x.size(), 0.0f);
  fresh.backward(x.data(), dy.data(), w.data(), dw3.data(), t.bias ? db3.data() : nullptr, dx3.data(), t.n);
  EXPECT_EQ(dw3, dw);
  EXPECT_EQ(dx3, dx);
}

// oneDNN 2.6 has Winograd only for AVX-512 CPUs; elsewhere asking for it is an error and "auto"
// falls back to direct (both checked below, whichever this CPU is).
bool winograd_available() {
  const kernels::WindowGeometry g{16, 6, 6, 3, 1, 1, 1, 6, 6};
  const auto x = uniform_values<float>(16 * 36, -1, 1, 21), w = uniform_values<float>(16 * 16 * 9, -1, 1, 22);
  std::vector<float> y(16 * 36);
  try {
    kernels::OnednnConv(g, 16, 1, false, kernels::ConvAlgorithm::winograd).forward(x.data(), w.data(), nullptr,
                                                                                    y.data(), 1);
    return true;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not available on this CPU"), std::string::npos) << e.what();
    return false;
  }
}

}  // namespace

#if GRADNET_ONEDNN
TEST(OnednnConvKernel, MatchesTheDefinition) {
  check({4, 3, 9, 9, 8, 3, 1, 1, 1, 1, true});
  check({1, 1, 28, 28, 32, 3, 1, 1, 1, 1, true});     // W3's first layer, one example
  check({3, 4, 11, 10, 6, 3, 2, 0, 1, 1, true});      // stride 2, no padding, non-square input
  check({2, 4, 12, 12, 4, 3, 1, 2, 2, 1, false});     // dilation 2, no bias
  check({2, 4, 8, 8, 6, 3, 1, 1, 1, 2, true});        // groups 2
  check({2, 6, 7, 7, 6, 5, 1, 2, 1, 3, true});        // 5x5, groups 3
  check({130, 2, 6, 6, 4, 3, 1, 1, 1, 1, true});      // more than one 128-example chunk
  check({6, 32, 14, 14, 64, 3, 1, 1, 1, 1, true});    // W3's second layer: Winograd under automatic
  check({6, 32, 14, 14, 64, 3, 1, 1, 1, 1, true}, kernels::ConvAlgorithm::direct);
  if (winograd_available()) check({3, 16, 8, 8, 32, 3, 1, 1, 1, 1, false}, kernels::ConvAlgorithm::winograd);
}

// bf16: x, W and dy rounded to bfloat16, the products summed in float. So the results are the
// definition's on the rounded inputs, to float accuracy, and not the definition's on the inputs.
TEST(OnednnConvKernel, Bf16IsTheDefinitionOnRoundedInputsSummedInFloat) {
  if (!kernels::OnednnConv::bf16_available()) {  // then only because the CPU lacks it, or the environment says so
    const char* off = std::getenv("GRADNET_NO_BF16");
    EXPECT_TRUE(!__builtin_cpu_supports("avx512bf16") || (off != nullptr && *off != '\0'));
    return;  // and conv2d refuses algorithm = "bf16" (BadInput.Bf16ConvolutionWhereTheCpuHasNone)
  }
  check({6, 32, 14, 14, 64, 3, 1, 1, 1, 1, true}, kernels::ConvAlgorithm::bf16);     // W3's second layer
  check({3, 16, 9, 9, 16, 3, 2, 1, 1, 1, false}, kernels::ConvAlgorithm::bf16);      // stride 2, no bias
  check({130, 16, 5, 5, 32, 3, 1, 1, 1, 1, true}, kernels::ConvAlgorithm::bf16);     // past one chunk
  check({2, 1, 12, 12, 16, 3, 1, 1, 1, 1, true}, kernels::ConvAlgorithm::bf16);      // one input channel
}

// automatic takes Winograd where it fits (its bits, not the direct sums') and direct elsewhere.
TEST(OnednnConvKernel, AutomaticPicksWinogradWhereItFits) {
  const kernels::WindowGeometry fits{32, 14, 14, 3, 1, 1, 1, 14, 14}, first_layer{1, 28, 28, 3, 1, 1, 1, 28, 28};
  EXPECT_TRUE(kernels::OnednnConv::winograd_fits(fits, 64, 1));
  EXPECT_FALSE(kernels::OnednnConv::winograd_fits(first_layer, 32, 1));
  EXPECT_FALSE(kernels::OnednnConv::winograd_fits(fits, 64, 2));
  EXPECT_FALSE(kernels::OnednnConv::winograd_fits({32, 14, 14, 3, 2, 1, 1, 7, 7}, 64, 1));
  auto forward = [](const kernels::WindowGeometry& g, Index out, kernels::ConvAlgorithm a) {
    const auto x = uniform_values<float>(4 * g.c * g.h * g.w, -1, 1, 11);
    const auto w = uniform_values<float>(out * g.c * 9, -1, 1, 12);
    std::vector<float> y(4 * out * g.ho * g.wo);
    kernels::OnednnConv(g, out, 1, false, a).forward(x.data(), w.data(), nullptr, y.data(), 4);
    return y;
  };
  const auto automatic = forward(fits, 64, kernels::ConvAlgorithm::automatic);
  if (winograd_available()) {
    EXPECT_EQ(automatic, forward(fits, 64, kernels::ConvAlgorithm::winograd));
    EXPECT_NE(automatic, forward(fits, 64, kernels::ConvAlgorithm::direct));
  } else {  // no Winograd on this CPU: auto is direct
    EXPECT_EQ(automatic, forward(fits, 64, kernels::ConvAlgorithm::direct));
  }
  EXPECT_EQ(forward(first_layer, 32, kernels::ConvAlgorithm::automatic),
            forward(first_layer, 32, kernels::ConvAlgorithm::direct));
}
#else
// Built without oneDNN (-DGRADNET_ONEDNN=OFF): conv2d uses im2col, and the class says it is absent.
TEST(OnednnConvKernel, AbsentWithoutOneDNN) {
  EXPECT_FALSE(kernels::OnednnConv::available());
  kernels::OnednnConv conv({1, 3, 3, 3, 1, 1, 1, 3, 3}, 1, 1, false);
  std::vector<float> x(9), w(9), y(9);
  EXPECT_THROW(conv.forward(x.data(), w.data(), nullptr, y.data(), 1), gradnet::Error);
}
#endif
