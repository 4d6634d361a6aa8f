// Max, average and global average pooling (pool.h).
#include "pool.h"

#include <algorithm>
#include <limits>

#ifdef __AVX512F__
#include <immintrin.h>
#endif

namespace gradnet::kernels {

namespace {

// One output row of a 2x2, stride-2 max pool over input rows r0 and r1 (r0 starts at index top of
// its plane, rows are w apart): the max of r0[2j], r0[2j+1], r1[2j], r1[2j+1] taken in that order
// (the first of equal values; NaN wins, as in PyTorch) and where it came from. Written as selects
// on 32-bit indices so that the compiler vectorises it (the stride-2 loads become permutes): this
// loop was a quarter of `gradnet eval`'s time on W3 as a scalar loop.
template <typename T>
void max_pool_row_2x2(const T* __restrict r0, const T* __restrict r1, Index wo, std::int32_t top, std::int32_t w,
                      T* __restrict y, std::int32_t* __restrict arg) {
#pragma omp simd
  for (Index j = 0; j < wo; ++j) {
    const std::int32_t at = top + 2 * static_cast<std::int32_t>(j);
    const T a = r0[2 * j], b = r0[2 * j + 1], c = r1[2 * j], d = r1[2 * j + 1];
    T best = a;
    std::int32_t where = at;
    const bool take_b = b > best || b != b;
    best = take_b ? b : best;
    where = take_b ? at + 1 : where;
    const bool take_c = c > best || c != c;
    best = take_c ? c : best;
    where = take_c ? at + w : where;
    const bool take_d = d > best || d != d;
    best = take_d ? d : best;
    where = take_d ? at + w + 1 : where;
    y[j] = best;
    arg[j] = where;
  }
}

#ifdef __AVX512F__
// The same row in float with AVX-512, 16 outputs at a time and a masked tail: W3's rows are 14
// and 7 outputs long, which the compiler's vector loop never reaches (its scalar epilogue, with
// branches on the data, took a quarter of `gradnet eval`'s time). Same selects, same order: the
// same results to the bit.
void max_pool_row_2x2(const float* r0, const float* r1, Index wo, std::int32_t top, std::int32_t w, float* y,
                      std::int32_t* arg) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const __m512i step = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  for (Index j = 0; j < wo; j += 16) {
    const Index n = std::min<Index>(16, wo - j);
    const __mmask16 out = static_cast<__mmask16>((1u << n) - 1);
    const __mmask16 lo = static_cast<__mmask16>(n >= 8 ? 0xFFFF : (1u << (2 * n)) - 1);
    const __mmask16 hi = static_cast<__mmask16>(n > 8 ? (1u << (2 * n - 16)) - 1 : 0);
    auto pairs = [&](const float* r, __m512& first, __m512& second) {
      const __m512 a = _mm512_maskz_loadu_ps(lo, r + 2 * j), b = _mm512_maskz_loadu_ps(hi, r + 2 * j + 16);
      first = _mm512_permutex2var_ps(a, even, b);
      second = _mm512_permutex2var_ps(a, odd, b);
    };
    __m512 a, b, c, d;
    pairs(r0, a, b);
    pairs(r1, c, d);
    const __m512i at = _mm512_add_epi32(_mm512_set1_epi32(top + 2 * static_cast<std::int32_t>(j)), step);
    __m512 best = a;
    __m512i where = at;
    auto take = [&](__m512 v, __m512i v_at) {  // v > best, or v is NaN
      const __mmask16 t = _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
      best = _mm512_mask_blend_ps(t, best, v);
      where = _mm512_mask_blend_epi32(t, where, v_at);
    };
    take(b, _mm512_add_epi32(at, _mm512_set1_epi32(1)));
    take(c, _mm512_add_epi32(at, _mm512_set1_epi32(w)));
    take(d, _mm512_add_epi32(at, _mm512_set1_epi32(w + 1)));
    _mm512_mask_storeu_ps(y + j, out, best);
    _mm512_mask_storeu_epi32(arg + j, out, where);
  }
}
#endif

// The max of each window of one example and the index (h·W + w) it came from.
template <typename T>
void max_pool_example(const WindowGeometry& g, const T* x, T* y, std::int32_t* arg) {
  const Index k = g.k, stride = g.stride, pad = g.pad;
  if (k == 2 && stride == 2 && pad == 0) {  // the common 2x2 case
    for (Index c = 0; c < g.c; ++c) {
      const T* xc = x + c * g.h * g.w;
      for (Index oh = 0; oh < g.ho; ++oh) {
        const Index top = 2 * oh * g.w;
        const Index o = (c * g.ho + oh) * g.wo;
        max_pool_row_2x2(xc + top, xc + top + g.w, g.wo, static_cast<std::int32_t>(top),
                         static_cast<std::int32_t>(g.w), y + o, arg + o);
      }
    }
    return;
  }
  for (Index c = 0; c < g.c; ++c) {
    const T* xc = x + c * g.h * g.w;
    for (Index oh = 0; oh < g.ho; ++oh) {
      const Index h0 = std::max<Index>(oh * stride - pad, 0), h1 = std::min(oh * stride - pad + k, g.h);
      for (Index ow = 0; ow < g.wo; ++ow) {
        const Index w0 = std::max<Index>(ow * stride - pad, 0), w1 = std::min(ow * stride - pad + k, g.w);
        T best = -std::numeric_limits<T>::infinity();
        Index where = h0 * g.w + w0;
        for (Index h = h0; h < h1; ++h)
          for (Index w = w0; w < w1; ++w)
            if (xc[h * g.w + w] > best || (xc[h * g.w + w] != xc[h * g.w + w])) {  // NaN wins, as in PyTorch
              best = xc[h * g.w + w];
              where = h * g.w + w;
            }
        const Index o = (c * g.ho + oh) * g.wo + ow;
        y[o] = best;
        arg[o] = static_cast<std::int32_t>(where);
      }
    }
  }
}

}  // namespace

template <typename T>
void max_pool_forward(const WindowGeometry& g, const T* x, T* y, std::int32_t* argmax, Index n) {
  const Index in_size = g.c * g.h * g.w, per = g.c * g.ho * g.wo;
#pragma omp parallel for schedule(static)
  for (Index i = 0; i < n; ++i) max_pool_example(g, x + i * in_size, y + i * per, argmax + i * per);
}

template <typename T>
void max_pool_backward(const WindowGeometry& g, const T* dy, const std::int32_t* argmax, T* dx, Index n) {
  const Index per = g.c * g.ho * g.wo, plane = g.h * g.w, out_plane = g.ho * g.wo;
#pragma omp parallel for schedule(static)
  for (Index i = 0; i < n; ++i) {
    T* dxi = dx + i * g.c * plane;
    std::fill(dxi, dxi + g.c * plane, T(0));
    const T* dyi = dy + i * per;
    const std::int32_t* arg = argmax + i * per;
    for (Index c = 0; c < g.c; ++c)
      for (Index o = 0; o < out_plane; ++o) dxi[c * plane + arg[c * out_plane + o]] += dyi[c * out_plane + o];
  }
}

template <typename T>
void avg_pool_divisors(const WindowGeometry& g, bool count_include_pad, T* inv_count) {
  const Index k = g.k, stride = g.stride, pad = g.pad;
  for (Index oh = 0; oh < g.ho; ++oh)
    for (Index ow = 0; ow < g.wo; ++ow) {
      // PyTorch: the window clipped to the padded input, or to the input itself without count_include_pad.
      const Index hs = oh * stride - pad, ws = ow * stride - pad;
      Index rows = std::min(hs + k, g.h + pad) - hs, cols = std::min(ws + k, g.w + pad) - ws;
      if (!count_include_pad) {
        rows = std::min(hs + k, g.h) - std::max<Index>(hs, 0);
        cols = std::min(ws + k, g.w) - std::max<Index>(ws, 0);
      }
      inv_count[oh * g.wo + ow] = T(1) / static_cast<T>(rows * cols);
    }
}

template <typename T>
void avg_pool_forward(const WindowGeometry& g, const T* inv_count, const T* x, T* y, Index n) {
  const Index k = g.k, stride = g.stride, pad = g.pad;
#pragma omp parallel for schedule(static)
  for (Index i = 0; i < n; ++i) {
    const T* xi = x + i * g.c * g.h * g.w;
    T* yi = y + i * g.c * g.ho * g.wo;
    for (Index c = 0; c < g.c; ++c) {
      const T* xc = xi + c * g.h * g.w;
      for (Index oh = 0; oh < g.ho; ++oh) {
        const Index h0 = std::max<Index>(oh * stride - pad, 0), h1 = std::min(oh * stride - pad + k, g.h);
        for (Index ow = 0; ow < g.wo; ++ow) {
          const Index w0 = std::max<Index>(ow * stride - pad, 0), w1 = std::min(ow * stride - pad + k, g.w);
          T s = T(0);
          for (Index h = h0; h < h1; ++h)
            for (Index w = w0; w < w1; ++w) s += xc[h * g.w + w];
          yi[(c * g.ho + oh) * g.wo + ow] = s * inv_count[oh * g.wo + ow];
        }
      }
    }
  }
}

template <typename T>
void avg_pool_backward(const WindowGeometry& g, const T* inv_count, const T* dy, T* dx, Index n) {
  const Index k = g.k, stride = g.stride, pad = g.pad;
#pragma omp parallel for schedule(static)
  for (Index i = 0; i < n; ++i) {
    T* dxi = dx + i * g.c * g.h * g.w;
    std::fill(dxi, dxi + g.c * g.h * g.w, T(0));
    const T* dyi = dy + i * g.c * g.ho * g.wo;
    for (Index c = 0; c < g.c; ++c) {
      T* dxc = dxi + c * g.h * g.w;
      for (Index oh = 0; oh < g.ho; ++oh) {
        const Index h0 = std::max<Index>(oh * stride - pad, 0), h1 = std::min(oh * stride - pad + k, g.h);
        for (Index ow = 0; ow < g.wo; ++ow) {
          const Index w0 = std::max<Index>(ow * stride - pad, 0), w1 = std::min(ow * stride - pad + k, g.w);
          const T d = dyi[(c * g.ho + oh) * g.wo + ow] * inv_count[oh * g.wo + ow];
          for (Index h = h0; h < h1; ++h)
            for (Index w = w0; w < w1; ++w) dxc[h * g.w + w] += d;
        }
      }
    }
  }
}

template <typename T>
void global_avg_pool_forward(const T* x, T* y, Index n, Index c_n, Index hw) {
  const T inv = T(1) / static_cast<T>(hw);
  for (Index i = 0; i < n; ++i)
    for (Index c = 0; c < c_n; ++c) {
      const T* xc = x + i * c_n * hw + c * hw;
      T s = T(0);
      for (Index p = 0; p < hw; ++p) s += xc[p];
      y[i * c_n + c] = s * inv;
    }
}

template <typename T>
void global_avg_pool_backward(const T* dy, T* dx, Index n, Index c_n, Index hw) {
  const T inv = T(1) / static_cast<T>(hw);
  for (Index i = 0; i < n; ++i)
    for (Index c = 0; c < c_n; ++c) {
      T* dxc = dx + i * c_n * hw + c * hw;
      std::fill(dxc, dxc + hw, dy[i * c_n + c] * inv);
    }
}

#define GRADNET_INSTANTIATE_POOL(T)                                                                      \
  template void max_pool_forward<T>(const WindowGeometry&, const T*, T*, std::int32_t*, Index);         \
  template void max_pool_backward<T>(const WindowGeometry&, const T*, const std::int32_t*, T*, Index);  \
  template void avg_pool_divisors<T>(const WindowGeometry&, bool, T*);                                  \
  template void avg_pool_forward<T>(const WindowGeometry&, const T*, const T*, T*, Index);              \
  template void avg_pool_backward<T>(const WindowGeometry&, const T*, const T*, T*, Index);             \
  template void global_avg_pool_forward<T>(const T*, T*, Index, Index, Index);                          \
  template void global_avg_pool_backward<T>(const T*, T*, Index, Index, Index)
GRADNET_INSTANTIATE_POOL(float);
GRADNET_INSTANTIATE_POOL(double);

}  // namespace gradnet::kernels
