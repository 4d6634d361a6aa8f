// conv_one_channel.h.
#include "conv_one_channel.h"

#include <algorithm>
#include <vector>

#include "gradnet/error.h"

#ifdef __AVX512F__
#include <immintrin.h>
#endif

namespace gradnet::kernels {

namespace {

#ifdef __AVX512F__
// One example: pad is the zero-padded plane, ldp floats a row, with 16 + k columns of slack.
template <int K>
void example(const WindowGeometry& g, Index out, const float* pad, Index ldp, const float* w, const float* b,
             float* y) {
  constexpr int kTaps = K * K;
  const Index plane = g.ho * g.wo;
  for (Index oh = 0; oh < g.ho; ++oh)
    for (Index j = 0; j < g.wo; j += 16) {
      const Index lanes = std::min<Index>(16, g.wo - j);
      const auto mask = static_cast<__mmask16>((1u << lanes) - 1);
      __m512 x[kTaps];
      for (int kh = 0; kh < K; ++kh)
        for (int kw = 0; kw < K; ++kw) x[kh * K + kw] = _mm512_loadu_ps(pad + (oh + kh) * ldp + j + kw);
      float* row = y + oh * g.wo + j;
      for (Index o = 0; o < out; ++o) {
        const float* wo = w + o * kTaps;
        __m512 acc = b ? _mm512_set1_ps(b[o]) : _mm512_setzero_ps();
        for (int t = 0; t < kTaps; ++t) acc = _mm512_fmadd_ps(_mm512_set1_ps(wo[t]), x[t], acc);
        if (lanes == 16)
          _mm512_storeu_ps(row + o * plane, acc);
        else
          _mm512_mask_storeu_ps(row + o * plane, mask, acc);
      }
    }
}
#endif

}  // namespace

bool one_channel_conv_fits(const WindowGeometry& g) {
#ifdef __AVX512F__
  return g.c == 1 && g.stride == 1 && g.dilation == 1 && (g.k == 1 || g.k == 3 || g.k == 5);
#else
  (void)g;
  return false;
#endif
}

void one_channel_conv_forward(const WindowGeometry& g, Index out, const float* x, const float* w, const float* b,
                              float* y, Index n) {
  GRADNET_ASSERT(one_channel_conv_fits(g));
#ifdef __AVX512F__
  const Index ldp = g.w + 2 * g.pad + 16 + g.k, rows = g.h + 2 * g.pad;
#pragma omp parallel
  {
    std::vector<float> pad(static_cast<std::size_t>(rows * ldp), 0.0f);  // borders stay 0
#pragma omp for schedule(static)
    for (Index i = 0; i < n; ++i) {
      const float* xi = x + i * g.h * g.w;
      for (Index h = 0; h < g.h; ++h) std::copy(xi + h * g.w, xi + (h + 1) * g.w, pad.data() + (h + g.pad) * ldp + g.pad);
      float* yi = y + i * out * g.ho * g.wo;
      if (g.k == 1) example<1>(g, out, pad.data(), ldp, w, b, yi);
      else if (g.k == 3) example<3>(g, out, pad.data(), ldp, w, b, yi);
      else example<5>(g, out, pad.data(), ldp, w, b, yi);
    }
  }
#else
  (void)g, (void)out, (void)x, (void)w, (void)b, (void)y, (void)n;
#endif
}

}  // namespace gradnet::kernels
