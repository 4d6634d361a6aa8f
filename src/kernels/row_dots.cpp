// row_dots.h: AVX-512 with two rows of A against up to 10 rows of B per pass (20 accumulators in
// registers, each B load feeding two FMAs); plain loops with the same lane split elsewhere.
#include "row_dots.h"

#include <algorithm>

#ifdef __AVX512F__
#include <immintrin.h>
#endif

namespace gradnet::kernels {

namespace {

#ifdef __AVX512F__
// Rows a0 and a1 (a1 only counted when both) against J rows of B from b, k terms.
template <int J>
void pass(const float* a0, const float* a1, bool both, const float* b, Index k, float* lanes0, float* lanes1) {
  __m512 acc0[J], acc1[J];
  for (int j = 0; j < J; ++j) {
    acc0[j] = _mm512_loadu_ps(lanes0 + 16 * j);
    acc1[j] = both ? _mm512_loadu_ps(lanes1 + 16 * j) : _mm512_setzero_ps();
  }
  Index t = 0;
  for (; t + 16 <= k; t += 16) {
    const __m512 x0 = _mm512_loadu_ps(a0 + t), x1 = _mm512_loadu_ps(a1 + t);
    for (int j = 0; j < J; ++j) {
      const __m512 y = _mm512_loadu_ps(b + j * k + t);
      acc0[j] = _mm512_fmadd_ps(x0, y, acc0[j]);
      acc1[j] = _mm512_fmadd_ps(x1, y, acc1[j]);
    }
  }
  if (t < k) {
    const auto m = static_cast<__mmask16>((1u << (k - t)) - 1);
    const __m512 x0 = _mm512_maskz_loadu_ps(m, a0 + t), x1 = _mm512_maskz_loadu_ps(m, a1 + t);
    for (int j = 0; j < J; ++j) {
      const __m512 y = _mm512_maskz_loadu_ps(m, b + j * k + t);
      acc0[j] = _mm512_fmadd_ps(x0, y, acc0[j]);
      acc1[j] = _mm512_fmadd_ps(x1, y, acc1[j]);
    }
  }
  for (int j = 0; j < J; ++j) {
    _mm512_storeu_ps(lanes0 + 16 * j, acc0[j]);
    if (both) _mm512_storeu_ps(lanes1 + 16 * j, acc1[j]);
  }
}

using Pass = void (*)(const float*, const float*, bool, const float*, Index, float*, float*);
constexpr Pass kPasses[] = {pass<1>, pass<2>, pass<3>, pass<4>, pass<5>, pass<6>, pass<7>, pass<8>, pass<9>, pass<10>};
constexpr Index kMaxJ = 10;
#endif

}  // namespace

void row_dots_accumulate(const float* a, Index m, const float* b, Index nb, Index k, float* lanes) {
#ifdef __AVX512F__
  for (Index i = 0; i < m; i += 2) {
    const bool both = i + 1 < m;
    const float* a1 = both ? a + (i + 1) * k : a + i * k;
    for (Index j0 = 0; j0 < nb; j0 += kMaxJ) {
      const Index count = std::min(kMaxJ, nb - j0);
      kPasses[count - 1](a + i * k, a1, both, b + j0 * k, k, lanes + (i * nb + j0) * 16,
                         lanes + ((i + 1) * nb + j0) * 16);
    }
  }
#else
  for (Index i = 0; i < m; ++i)
    for (Index j = 0; j < nb; ++j)
      for (Index t = 0; t < k; ++t) lanes[(i * nb + j) * 16 + t % 16] += a[i * k + t] * b[j * k + t];
#endif
}

void row_dots_finish(const float* lanes, Index count, float* out) {
  for (Index e = 0; e < count; ++e) {
    float s = 0.0f;
    for (Index l = 0; l < 16; ++l) s += lanes[e * 16 + l];
    out[e] += s;
  }
}

}  // namespace gradnet::kernels
