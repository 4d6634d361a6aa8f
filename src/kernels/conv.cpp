// im2col, col2im and conv2d's per-chunk loops (conv.h).
#include "conv.h"

#include <algorithm>

namespace gradnet::kernels {

// col rows are (c, ki, kj); each row holds P = Ho·Wo values of one example, ld apart between rows.
template <typename T>
void im2col(const WindowGeometry& g, const T* x, T* col, Index ld) {
  const Index k = g.k, stride = g.stride, pad = g.pad, dilation = g.dilation;
  for (Index c = 0; c < g.c; ++c) {
    const T* xc = x + c * g.h * g.w;
    for (Index ki = 0; ki < k; ++ki) {
      for (Index kj = 0; kj < k; ++kj) {
        T* row = col + ((c * k + ki) * k + kj) * ld;
        for (Index oh = 0; oh < g.ho; ++oh) {
          T* out = row + oh * g.wo;
          const Index ih = oh * stride - pad + ki * dilation;
          if (ih < 0 || ih >= g.h) {
            std::fill(out, out + g.wo, T(0));
            continue;
          }
          const T* xrow = xc + ih * g.w;
          const Index iw0 = kj * dilation - pad;  // iw = ow·stride + iw0
          if (stride == 1) {  // the common case: one contiguous run between two zero margins
            const Index lo = std::clamp<Index>(-iw0, 0, g.wo), hi = std::clamp<Index>(g.w - iw0, 0, g.wo);
            std::fill(out, out + lo, T(0));
            if (hi > lo) std::copy(xrow + lo + iw0, xrow + hi + iw0, out + lo);
            std::fill(out + std::max(lo, hi), out + g.wo, T(0));
          } else {
            for (Index ow = 0; ow < g.wo; ++ow) {
              const Index iw = ow * stride + iw0;
              out[ow] = iw >= 0 && iw < g.w ? xrow[iw] : T(0);
            }
          }
        }
      }
    }
  }
}

template <typename T>
void col2im(const WindowGeometry& g, const T* col, Index ld, T* dx) {
  const Index k = g.k, stride = g.stride, pad = g.pad, dilation = g.dilation;
  std::fill(dx, dx + g.c * g.h * g.w, T(0));
  for (Index c = 0; c < g.c; ++c) {
    T* dxc = dx + c * g.h * g.w;
    for (Index ki = 0; ki < k; ++ki) {
      for (Index kj = 0; kj < k; ++kj) {
        const T* row = col + ((c * k + ki) * k + kj) * ld;
        for (Index oh = 0; oh < g.ho; ++oh) {
          const Index ih = oh * stride - pad + ki * dilation;
          if (ih < 0 || ih >= g.h) continue;
          const T* in = row + oh * g.wo;
          T* dxrow = dxc + ih * g.w;
          const Index iw0 = kj * dilation - pad;
          if (stride == 1) {
            const Index lo = std::clamp<Index>(-iw0, 0, g.wo), hi = std::clamp<Index>(g.w - iw0, 0, g.wo);
            for (Index ow = lo; ow < hi; ++ow) dxrow[ow + iw0] += in[ow];
          } else {
            for (Index ow = 0; ow < g.wo; ++ow) {
              const Index iw = ow * stride + iw0;
              if (iw >= 0 && iw < g.w) dxrow[iw] += in[ow];
            }
          }
        }
      }
    }
  }
}

template <typename T>
void im2col_chunk(const WindowGeometry& g, const T* x, Index count, T* col) {
  const Index p_count = g.ho * g.wo, ld = count * p_count, x_size = g.c * g.h * g.w;
#pragma omp parallel for schedule(static)
  for (Index j = 0; j < count; ++j) im2col(g, x + j * x_size, col + j * p_count, ld);
}

template <typename T>
void col2im_chunk(const WindowGeometry& g, const T* col, Index count, T* dx) {
  const Index p_count = g.ho * g.wo, ld = count * p_count, x_size = g.c * g.h * g.w;
#pragma omp parallel for schedule(static)
  for (Index j = 0; j < count; ++j) col2im(g, col + j * p_count, ld, dx + j * x_size);
}

template <typename T>
void conv_bias_scatter(const T* t, const T* b, T* y, Index count, Index out, Index p_count) {
  const Index ld = count * p_count;
#pragma omp parallel for schedule(static)
  for (Index j = 0; j < count; ++j) {
    T* yj = y + j * out * p_count;
    for (Index o = 0; o < out; ++o) {
      const T* src = t + o * ld + j * p_count;
      T* dst = yj + o * p_count;
      const T bias = b ? b[o] : T(0);
      for (Index p = 0; p < p_count; ++p) dst[p] = src[p] + bias;
    }
  }
}

template <typename T>
void conv_gather(const T* dy, T* t, Index count, Index out, Index p_count) {
  const Index ld = count * p_count;
#pragma omp parallel for schedule(static)
  for (Index j = 0; j < count; ++j) {
    const T* dyj = dy + j * out * p_count;
    for (Index o = 0; o < out; ++o) std::copy(dyj + o * p_count, dyj + (o + 1) * p_count, t + o * ld + j * p_count);
  }
}

template <typename T>
void conv_bias_grad(const T* t, T* db, Index out, Index cols) {
  for (Index o = 0; o < out; ++o) {
    const T* to = t + o * cols;
    T s = T(0);
    for (Index p = 0; p < cols; ++p) s += to[p];
    db[o] += s;
  }
}

#define GRADNET_INSTANTIATE_CONV(T)                                                        \
  template void im2col<T>(const WindowGeometry&, const T*, T*, Index);                    \
  template void col2im<T>(const WindowGeometry&, const T*, Index, T*);                    \
  template void im2col_chunk<T>(const WindowGeometry&, const T*, Index, T*);              \
  template void col2im_chunk<T>(const WindowGeometry&, const T*, Index, T*);              \
  template void conv_bias_scatter<T>(const T*, const T*, T*, Index, Index, Index);        \
  template void conv_gather<T>(const T*, T*, Index, Index, Index);                        \
  template void conv_bias_grad<T>(const T*, T*, Index, Index)
GRADNET_INSTANTIATE_CONV(float);
GRADNET_INSTANTIATE_CONV(double);

}  // namespace gradnet::kernels
