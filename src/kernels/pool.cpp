// Max, average and global average pooling (pool.h).
#include "pool.h"

#include <algorithm>
#include <limits>

namespace gradnet::kernels {

namespace {

// The max of each window of one example and the index (h·W + w) it came from.
template <typename T>
void max_pool_example(const WindowGeometry& g, const T* x, T* y, std::int32_t* arg) {
  const Index k = g.k, stride = g.stride, pad = g.pad;
  if (k == 2 && stride == 2 && pad == 0) {  // the common 2x2 case: branch-free selects
    for (Index c = 0; c < g.c; ++c) {
      const T* xc = x + c * g.h * g.w;
      for (Index oh = 0; oh < g.ho; ++oh) {
        const Index top = 2 * oh * g.w;
        const T* r0 = xc + top;
        const T* r1 = r0 + g.w;
        T* yo = y + (c * g.ho + oh) * g.wo;
        std::int32_t* ao = arg + (c * g.ho + oh) * g.wo;
        for (Index ow = 0; ow < g.wo; ++ow) {
          T best = r0[2 * ow];
          Index where = top + 2 * ow;
          const T cand[3] = {r0[2 * ow + 1], r1[2 * ow], r1[2 * ow + 1]};
          const Index at[3] = {top + 2 * ow + 1, top + g.w + 2 * ow, top + g.w + 2 * ow + 1};
          for (int j = 0; j < 3; ++j) {
            const bool take = cand[j] > best || cand[j] != cand[j];  // NaN wins, as in PyTorch
            best = take ? cand[j] : best;
            where = take ? at[j] : where;
          }
          yo[ow] = best;
          ao[ow] = static_cast<std::int32_t>(where);
        }
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
