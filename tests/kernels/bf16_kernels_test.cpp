// kernels/bf16.h: the rounding to bfloat16 (32 floats an instruction, then one at a time for the
// tail) against the rule written out here, ties included; the products against a double sum of
// the rounded operands over the four transpose cases and row strides wider than the matrices.
#include "kernels/bf16.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "gradnet/rng.h"

namespace gradnet {
namespace {

std::uint16_t rule(float v) {  // to nearest, ties to even: the upper half of the rounded float
  std::uint32_t bits = 0;
  std::memcpy(&bits, &v, sizeof bits);
  const std::uint32_t lower = bits & 0xFFFFu, upper = bits >> 16;
  if (lower > 0x8000u || (lower == 0x8000u && (upper & 1u))) return static_cast<std::uint16_t>(upper + 1);
  return static_cast<std::uint16_t>(upper);
}

float widen(std::uint16_t h) {
  const std::uint32_t bits = static_cast<std::uint32_t>(h) << 16;
  float v = 0;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

TEST(Bf16Kernel, RoundsToNearestTiesToEvenAtEveryLength) {
  Rng rng(7);
  for (Index n = 0; n <= 100; ++n) {
    std::vector<float> x(static_cast<std::size_t>(n));
    for (Index i = 0; i < n; ++i) {
      float v = static_cast<float>(rng.uniform(-4, 4));
      std::uint32_t bits = 0;
      std::memcpy(&bits, &v, sizeof bits);
      if (i % 3 == 0) bits = (bits & 0xFFFF0000u) | 0x8000u;  // an exact tie: to even
      std::memcpy(&v, &bits, sizeof v);
      x[static_cast<std::size_t>(i)] = v;
    }
    std::vector<std::uint16_t> got(x.size(), 0xDEAD);
    kernels::to_bf16(x.data(), n, got.data());
    for (Index i = 0; i < n; ++i)
      ASSERT_EQ(got[static_cast<std::size_t>(i)], rule(x[static_cast<std::size_t>(i)])) << "n " << n << " at " << i;
  }
}

TEST(Bf16Kernel, ProductsAreTheRoundedOperandsSummedInFloat) {
  if (!kernels::bf16_available()) {  // then only because the CPU lacks it, or the environment says so
    const char* off = std::getenv("GRADNET_NO_BF16");
    EXPECT_TRUE(!__builtin_cpu_supports("avx512bf16") || (off != nullptr && *off != '\0'));
    return;  // and the layers refuse bf16 (Linear.Bf16ConfigErrors, BadInput.Bf16ConvolutionWhereTheCpuHasNone)
  }
  const Index m = 19, n = 23, k = 41, pad = 3;  // stored with row strides 3 wider than needed
  Rng rng(8);
  for (int trans_a = 0; trans_a < 2; ++trans_a)
    for (int trans_b = 0; trans_b < 2; ++trans_b)
      for (float beta : {0.0f, 1.0f}) {
        const Index a_rows = trans_a ? k : m, a_cols = (trans_a ? m : k) + pad;
        const Index b_rows = trans_b ? n : k, b_cols = (trans_b ? k : n) + pad;
        std::vector<float> af(static_cast<std::size_t>(a_rows * a_cols)), bf(static_cast<std::size_t>(b_rows * b_cols));
        for (float& v : af) v = static_cast<float>(rng.uniform(-1, 1));
        for (float& v : bf) v = static_cast<float>(rng.uniform(-1, 1));
        std::vector<std::uint16_t> a(af.size()), b(bf.size());
        kernels::to_bf16(af.data(), static_cast<Index>(af.size()), a.data());
        kernels::to_bf16(bf.data(), static_cast<Index>(bf.size()), b.data());
        std::vector<float> c(static_cast<std::size_t>(m * n), 0.25f);
        kernels::gemm_bf16(trans_a, trans_b, m, n, k, a.data(), a_cols, b.data(), b_cols, beta, c.data(), n);
        for (Index i = 0; i < m; ++i)
          for (Index j = 0; j < n; ++j) {
            double want = beta * 0.25, size = std::abs(want);
            for (Index p = 0; p < k; ++p) {
              const double ap = widen(a[static_cast<std::size_t>(trans_a ? p * a_cols + i : i * a_cols + p)]);
              const double bp = widen(b[static_cast<std::size_t>(trans_b ? j * b_cols + p : p * b_cols + j)]);
              want += ap * bp;
              size += std::abs(ap * bp);
            }
            ASSERT_NEAR(c[static_cast<std::size_t>(i * n + j)], want, 1e-6 + 2e-6 * size)
                << "trans_a " << trans_a << " trans_b " << trans_b << " beta " << beta << " at " << i << ", " << j;
          }
      }
}

}  // namespace
}  // namespace gradnet
