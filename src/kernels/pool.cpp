// Max, average and global average pooling (pool.h).
#include "pool.h"

#include <algorithm>
#include <limits>
#include <type_traits>

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
// Relu: the pool of relu(x) from x (best starts at relu(a); NaN, which relu makes 0, never wins):
// the same values and argmax as pooling relu's output.
template <bool Relu, typename T>
void max_pool_row_2x2(const T* __restrict r0, const T* __restrict r1, Index wo, std::int32_t top, std::int32_t w,
                      T* __restrict y, std::int32_t* __restrict arg, const T* /*x_end*/, const T* /*y_end*/) {
#pragma omp simd
  for (Index j = 0; j < wo; ++j) {
    const std::int32_t at = top + 2 * static_cast<std::int32_t>(j);
    const T a = r0[2 * j], b = r0[2 * j + 1], c = r1[2 * j], d = r1[2 * j + 1];
    T best = Relu ? (a > T(0) ? a : T(0)) : a;
    std::int32_t where = at;
    const bool take_b = b > best || (!Relu && b != b);
    best = take_b ? b : best;
    where = take_b ? at + 1 : where;
    const bool take_c = c > best || (!Relu && c != c);
    best = take_c ? c : best;
    where = take_c ? at + w : where;
    const bool take_d = d > best || (!Relu && d != d);
    best = take_d ? d : best;
    where = take_d ? at + w + 1 : where;
    y[j] = best;
    arg[j] = where;
  }
}

#ifdef __AVX512F__
// The same row in float with AVX-512, 16 outputs at a time: W3's rows are 14 and 7 outputs long,
// which the compiler's vector loop never reaches. Same selects, same order: the same results to
// the bit. Loads and stores are plain where they stay in bounds (this CPU's masked loads made the
// whole pool 2.3x slower): the loads read whole 32-float windows up to x_end, and the stores write
// 16 lanes as long as they end inside this example's output (y_end); the lanes past the row land on
// the next row or plane of the same example, which is written after. Masked at the very end only.
template <bool Relu>
[[gnu::always_inline]] inline void max_pool_row_2x2(const float* r0, const float* r1, Index wo, std::int32_t top,
                                                    std::int32_t w, float* y, std::int32_t* arg, const float* x_end,
                                                    const float* y_end) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  for (Index j = 0; j < wo; j += 16) {
    const Index n = std::min<Index>(16, wo - j);
    const bool plain_loads = r1 + 2 * j + 32 <= x_end;  // r1 follows r0
    const __mmask16 lo = static_cast<__mmask16>(n >= 8 ? 0xFFFF : (1u << (2 * n)) - 1);
    const __mmask16 hi = static_cast<__mmask16>(n > 8 ? (1u << (2 * n - 16)) - 1 : 0);
    auto pairs = [&](const float* r, __m512& first, __m512& second) {
      const __m512 a = plain_loads ? _mm512_loadu_ps(r + 2 * j) : _mm512_maskz_loadu_ps(lo, r + 2 * j);
      const __m512 b = plain_loads ? _mm512_loadu_ps(r + 2 * j + 16) : _mm512_maskz_loadu_ps(hi, r + 2 * j + 16);
      first = _mm512_permutex2var_ps(a, even, b);
      second = _mm512_permutex2var_ps(a, odd, b);
    };
    __m512 a, b, c, d;
    pairs(r0, a, b);
    pairs(r1, c, d);
    const __m512i at = _mm512_add_epi32(_mm512_set1_epi32(top + 2 * static_cast<std::int32_t>(j)), even);
    __m512 best = Relu ? _mm512_max_ps(a, _mm512_setzero_ps()) : a;  // max_ps(NaN, 0) and max_ps(-0, 0) are +0
    __m512i where = at;
    auto take = [&](__m512 v, __m512i v_at) {  // v > best, or v is NaN (not after a relu)
      const __mmask16 t = Relu ? _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ)
                               : _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
      best = _mm512_mask_blend_ps(t, best, v);
      where = _mm512_mask_blend_epi32(t, where, v_at);
    };
    take(b, _mm512_add_epi32(at, _mm512_set1_epi32(1)));
    take(c, _mm512_add_epi32(at, _mm512_set1_epi32(w)));
    take(d, _mm512_add_epi32(at, _mm512_set1_epi32(w + 1)));
    if (y + j + 16 <= y_end) {
      _mm512_storeu_ps(y + j, best);
      _mm512_storeu_si512(arg + j, where);
    } else {
      const __mmask16 out = static_cast<__mmask16>((1u << n) - 1);
      _mm512_mask_storeu_ps(y + j, out, best);
      _mm512_mask_storeu_epi32(arg + j, out, where);
    }
  }
}

// max_pool_backward of one example for 2x2, stride 2, no padding, in float: each dx element is
// written once (dy where the window's argmax points at it, else 0) instead of zeroing the plane
// and scattering into it. Rows are written in address order, so the lanes a store writes past its
// row (zeros) are overwritten by the rows after; stores that would leave the example are masked.
void max_pool_backward_2x2(const WindowGeometry& g, const float* dy, const std::int32_t* arg, const float* gate,
                           float* dx, const float* dy_end) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i first_half = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i second_half = _mm512_add_epi32(first_half, _mm512_set1_epi32(8));
  const Index plane = g.h * g.w, out_plane = g.ho * g.wo;
  const float* dx_end = dx + g.c * plane;
  for (Index c = 0; c < g.c; ++c) {
    for (Index oh = 0; oh < g.ho; ++oh) {
      const float* dy_row = dy + c * out_plane + oh * g.wo;
      const std::int32_t* arg_row = arg + c * out_plane + oh * g.wo;
      const float* gate_row = gate ? gate + c * out_plane + oh * g.wo : nullptr;
      for (Index r = 0; r < 2; ++r) {
        float* row = dx + c * plane + (2 * oh + r) * g.w;
        const auto top = static_cast<std::int32_t>((2 * oh + r) * g.w);
        for (Index j = 0; j < g.wo; j += 16) {
          const Index n = std::min<Index>(16, g.wo - j);
          const auto valid = static_cast<__mmask16>((1u << n) - 1);
          const bool plain_loads = dy_row + j + 16 <= dy_end;
          __m512 d = plain_loads ? _mm512_loadu_ps(dy_row + j) : _mm512_maskz_loadu_ps(valid, dy_row + j);
          if (gate_row) {  // gate has dy's layout, so the same loads are in bounds
            const __m512 y = plain_loads ? _mm512_loadu_ps(gate_row + j) : _mm512_maskz_loadu_ps(valid, gate_row + j);
            d = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(y, _mm512_setzero_ps(), _CMP_GT_OQ), d);
          }
          const __m512i a = plain_loads ? _mm512_loadu_si512(arg_row + j) : _mm512_maskz_loadu_epi32(valid, arg_row + j);
          const __m512i at = _mm512_add_epi32(_mm512_set1_epi32(top + 2 * static_cast<std::int32_t>(j)), even);
          const __m512 left = _mm512_maskz_mov_ps(valid & _mm512_cmpeq_epi32_mask(a, at), d);
          const __m512 right =
              _mm512_maskz_mov_ps(valid & _mm512_cmpeq_epi32_mask(a, _mm512_add_epi32(at, _mm512_set1_epi32(1))), d);
          const __m512 lo = _mm512_permutex2var_ps(left, first_half, right);
          const __m512 hi = _mm512_permutex2var_ps(left, second_half, right);
          float* dst = row + 2 * j;
          if (dst + 32 <= dx_end) {
            _mm512_storeu_ps(dst, lo);
            _mm512_storeu_ps(dst + 16, hi);
          } else {  // the example's last row: its own columns only (to w, the odd last one included)
            const Index cols = std::min<Index>(32, g.w - 2 * j);
            _mm512_mask_storeu_ps(dst, static_cast<__mmask16>(cols >= 16 ? 0xFFFF : (1u << cols) - 1), lo);
            _mm512_mask_storeu_ps(dst + 16, static_cast<__mmask16>(cols > 16 ? (1u << (cols - 16)) - 1 : 0), hi);
          }
        }
        if (g.w % 2) row[g.w - 1] = 0.0f;  // floor mode: no window covers the last column...
      }
    }
    if (g.h % 2) {  // ...nor the last row (zeroed after the rows above have spilled into it)
      float* last = dx + c * plane + (g.h - 1) * g.w;
      std::fill(last, last + g.w, 0.0f);
    }
  }
}
#endif

// The max of each window of one example and the index (h·W + w) it came from.
// x_end: the end of the whole input (reads may run past this example's); y: this example's output.
template <bool Relu, typename T>
void max_pool_example(const WindowGeometry& g, const T* x, T* y, std::int32_t* arg, const T* x_end) {
  const Index k = g.k, stride = g.stride, pad = g.pad;
  if (k == 2 && stride == 2 && pad == 0) {  // the common 2x2 case
    for (Index c = 0; c < g.c; ++c) {
      const T* xc = x + c * g.h * g.w;
      for (Index oh = 0; oh < g.ho; ++oh) {
        const Index top = 2 * oh * g.w;
        const Index o = (c * g.ho + oh) * g.wo;
        max_pool_row_2x2<Relu>(xc + top, xc + top + g.w, g.wo, static_cast<std::int32_t>(top),
                         static_cast<std::int32_t>(g.w), y + o, arg + o, x_end, y + g.c * g.ho * g.wo);
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
        T best = Relu ? T(0) : -std::numeric_limits<T>::infinity();  // relu's outputs are >= 0
        Index where = h0 * g.w + w0;
        for (Index h = h0; h < h1; ++h)
          for (Index w = w0; w < w1; ++w)
            if (xc[h * g.w + w] > best || (!Relu && xc[h * g.w + w] != xc[h * g.w + w])) {  // NaN wins, as in PyTorch
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
void max_pool_forward(const WindowGeometry& g, const T* x, T* y, std::int32_t* argmax, Index n, bool relu_first) {
  const Index in_size = g.c * g.h * g.w, per = g.c * g.ho * g.wo;
  if (relu_first) {  // the pool of relu(x) read from x: no relu(x) written
#pragma omp parallel for schedule(static)
    for (Index i = 0; i < n; ++i)
      max_pool_example<true>(g, x + i * in_size, y + i * per, argmax + i * per, x + n * in_size);
    return;
  }
#pragma omp parallel for schedule(static)
  for (Index i = 0; i < n; ++i)
    max_pool_example<false>(g, x + i * in_size, y + i * per, argmax + i * per, x + n * in_size);
}

template <typename T>
void max_pool_backward(const WindowGeometry& g, const T* dy, const std::int32_t* argmax, T* dx, Index n,
                       const T* gate) {
  const Index per = g.c * g.ho * g.wo, plane = g.h * g.w, out_plane = g.ho * g.wo;
#ifdef __AVX512F__
  if constexpr (std::is_same_v<T, float>) {
    if (g.k == 2 && g.stride == 2 && g.pad == 0) {
#pragma omp parallel for schedule(static)
      for (Index i = 0; i < n; ++i)
        max_pool_backward_2x2(g, dy + i * per, argmax + i * per, gate ? gate + i * per : nullptr,
                              dx + i * g.c * plane, dy + n * per);
      return;
    }
  }
#endif
#pragma omp parallel for schedule(static)
  for (Index i = 0; i < n; ++i) {
    T* dxi = dx + i * g.c * plane;
    std::fill(dxi, dxi + g.c * plane, T(0));
    const T* dyi = dy + i * per;
    const std::int32_t* arg = argmax + i * per;
    const T* gi = gate ? gate + i * per : nullptr;
    for (Index c = 0; c < g.c; ++c)
      for (Index o = 0; o < out_plane; ++o) {
        const Index at = c * out_plane + o;
        dxi[c * plane + arg[at]] += gi && !(gi[at] > T(0)) ? T(0) : dyi[at];
      }
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
  template void max_pool_forward<T>(const WindowGeometry&, const T*, T*, std::int32_t*, Index, bool);         \
  template void max_pool_backward<T>(const WindowGeometry&, const T*, const std::int32_t*, T*, Index, const T*); \
  template void avg_pool_divisors<T>(const WindowGeometry&, bool, T*);                                  \
  template void avg_pool_forward<T>(const WindowGeometry&, const T*, const T*, T*, Index);              \
  template void avg_pool_backward<T>(const WindowGeometry&, const T*, const T*, T*, Index);             \
  template void global_avg_pool_forward<T>(const T*, T*, Index, Index, Index);                          \
  template void global_avg_pool_backward<T>(const T*, T*, Index, Index, Index)
GRADNET_INSTANTIATE_POOL(float);
GRADNET_INSTANTIATE_POOL(double);

}  // namespace gradnet::kernels
