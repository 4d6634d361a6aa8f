// pool_c16.h.
#include "pool_c16.h"

#include <algorithm>
#include <vector>

#include "gradnet/error.h"

#ifdef __AVX512F__
#include <immintrin.h>
#endif

namespace gradnet::kernels {

namespace {

// f(i, cb, tmp) for every example i and channel block cb, examples over the OpenMP team; tmp: a
// block's worth (Ho·Wo x 16 floats) of scratch per thread.
template <typename F>
void each_block(const WindowGeometry& g, Index n, F&& f) {
#pragma omp parallel
  {
    std::vector<float> tmp(static_cast<std::size_t>(g.ho * g.wo * 16));
#pragma omp for schedule(static)
    for (Index i = 0; i < n; ++i)
      for (Index cb = 0; cb < g.c / 16; ++cb) f(i, cb, tmp.data());
  }
}

}  // namespace

bool pool_c16_fits(const WindowGeometry& g) {
#ifdef __AVX512F__
  return g.k == 2 && g.stride == 2 && g.pad == 0 && g.dilation == 1 && g.c % 16 == 0 && g.c > 0;
#else
  (void)g;
  return false;
#endif
}

void max_pool_c16_relu_forward(const WindowGeometry& g, const float* x, float* y, std::int32_t* arg, Index n) {
  GRADNET_ASSERT(pool_c16_fits(g));
#ifdef __AVX512F__
  const Index blocks = g.c / 16, out_plane = g.ho * g.wo;
  const __m512 zero = _mm512_setzero_ps();
  each_block(g, n, [&](Index i, Index cb, float* tmp) {  // tmp: the block's y, blocked
    const float* xb = x + (i * blocks + cb) * g.h * g.w * 16;
    float* yb = y + (i * g.c + cb * 16) * out_plane;
    std::int32_t* ab = arg + (i * blocks + cb) * out_plane * 16;
    for (Index oh = 0; oh < g.ho; ++oh)
      for (Index ow = 0; ow < g.wo; ++ow) {
        const Index top = 2 * oh * g.w + 2 * ow;
        // In max_pool_forward's order: a, b (the top row), c, d; the first of equal values.
        __m512 best = _mm512_max_ps(_mm512_loadu_ps(xb + top * 16), zero);  // relu: NaN and -0 -> +0
        __m512i where = _mm512_set1_epi32(static_cast<int>(top));
        for (const Index at : {top + 1, top + g.w, top + g.w + 1}) {
          const __m512 v = _mm512_loadu_ps(xb + at * 16);
          const __mmask16 t = _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ);
          best = _mm512_mask_blend_ps(t, best, v);
          where = _mm512_mask_blend_epi32(t, where, _mm512_set1_epi32(static_cast<int>(at)));
        }
        const __mmask16 closed = _mm512_cmp_ps_mask(best, zero, _CMP_LE_OQ);  // y = 0: no gradient passes
        _mm512_storeu_si512(ab + (oh * g.wo + ow) * 16, _mm512_mask_blend_epi32(closed, where, _mm512_set1_epi32(-1)));
        _mm512_storeu_ps(tmp + (oh * g.wo + ow) * 16, best);
      }
    for (Index l = 0; l < 16; ++l)  // to the plain layout (scatters were 2x slower on AMD Zen)
      for (Index o = 0; o < out_plane; ++o) yb[l * out_plane + o] = tmp[o * 16 + l];
  });
#else
  (void)g, (void)x, (void)y, (void)arg, (void)n;
#endif
}

void max_pool_c16_backward(const WindowGeometry& g, const float* dy, const std::int32_t* arg, float* dx, Index n) {
  GRADNET_ASSERT(pool_c16_fits(g));
#ifdef __AVX512F__
  const Index blocks = g.c / 16, out_plane = g.ho * g.wo;
  const __m512 zero = _mm512_setzero_ps();
  each_block(g, n, [&](Index i, Index cb, float* tmp) {  // tmp: the block's dy, blocked
    float* db = dx + (i * blocks + cb) * g.h * g.w * 16;
    const float* dyb = dy + (i * g.c + cb * 16) * out_plane;
    const std::int32_t* ab = arg + (i * blocks + cb) * out_plane * 16;
    for (Index l = 0; l < 16; ++l)
      for (Index o = 0; o < out_plane; ++o) tmp[o * 16 + l] = dyb[l * out_plane + o];
    for (Index oh = 0; oh < g.ho; ++oh)
      for (Index ow = 0; ow < g.wo; ++ow) {
        const Index top = 2 * oh * g.w + 2 * ow;
        const __m512 d = _mm512_loadu_ps(tmp + (oh * g.wo + ow) * 16);
        const __m512i where = _mm512_loadu_si512(ab + (oh * g.wo + ow) * 16);
        for (const Index at : {top, top + 1, top + g.w, top + g.w + 1})
          _mm512_storeu_ps(
              db + at * 16,
              _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(where, _mm512_set1_epi32(static_cast<int>(at))), d));
      }
    // floor mode: no window covers an odd last column or row
    if (g.w % 2)
      for (Index h = 0; h < g.h; ++h) _mm512_storeu_ps(db + (h * g.w + g.w - 1) * 16, zero);
    if (g.h % 2)
      for (Index w = 0; w < g.w; ++w) _mm512_storeu_ps(db + ((g.h - 1) * g.w + w) * 16, zero);
  });
#else
  (void)g, (void)dy, (void)arg, (void)dx, (void)n;
#endif
}

}  // namespace gradnet::kernels
