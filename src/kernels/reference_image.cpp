// Reference im2col/col2im, conv2d chunk loops and pooling (reference.h): every window tap by its
// formula ih = oh·stride - pad + ki·dilation, iw = ow·stride - pad + kj·dilation, no fast paths.
#include <cmath>
#include <limits>

#include "reference.h"

namespace gradnet::kernels::reference {

namespace {
bool inside(const WindowGeometry& g, Index ih, Index iw) { return ih >= 0 && ih < g.h && iw >= 0 && iw < g.w; }
}  // namespace

template <typename T>
void im2col(const WindowGeometry& g, const T* x, T* col, Index ld) {
  for (Index c = 0; c < g.c; ++c)
    for (Index ki = 0; ki < g.k; ++ki)
      for (Index kj = 0; kj < g.k; ++kj)
        for (Index oh = 0; oh < g.ho; ++oh)
          for (Index ow = 0; ow < g.wo; ++ow) {
            const Index ih = oh * g.stride - g.pad + ki * g.dilation, iw = ow * g.stride - g.pad + kj * g.dilation;
            const Index row = (c * g.k + ki) * g.k + kj;
            col[row * ld + oh * g.wo + ow] = inside(g, ih, iw) ? x[(c * g.h + ih) * g.w + iw] : T(0);
          }
}

template <typename T>
void col2im(const WindowGeometry& g, const T* col, Index ld, T* dx) {
  for (Index i = 0; i < g.c * g.h * g.w; ++i) dx[i] = T(0);
  for (Index c = 0; c < g.c; ++c)
    for (Index ki = 0; ki < g.k; ++ki)
      for (Index kj = 0; kj < g.k; ++kj)
        for (Index oh = 0; oh < g.ho; ++oh)
          for (Index ow = 0; ow < g.wo; ++ow) {
            const Index ih = oh * g.stride - g.pad + ki * g.dilation, iw = ow * g.stride - g.pad + kj * g.dilation;
            const Index row = (c * g.k + ki) * g.k + kj;
            if (inside(g, ih, iw)) dx[(c * g.h + ih) * g.w + iw] += col[row * ld + oh * g.wo + ow];
          }
}

template <typename T>
void im2col_chunk(const WindowGeometry& g, const T* x, Index count, T* col) {
  const Index p = g.ho * g.wo;
  for (Index j = 0; j < count; ++j) im2col(g, x + j * g.c * g.h * g.w, col + j * p, count * p);
}

template <typename T>
void col2im_chunk(const WindowGeometry& g, const T* col, Index count, T* dx) {
  const Index p = g.ho * g.wo;
  for (Index j = 0; j < count; ++j) col2im(g, col + j * p, count * p, dx + j * g.c * g.h * g.w);
}

template <typename T>
void conv_bias_scatter(const T* t, const T* b, T* y, Index count, Index out, Index p_count) {
  for (Index j = 0; j < count; ++j)
    for (Index o = 0; o < out; ++o)
      for (Index p = 0; p < p_count; ++p)
        y[(j * out + o) * p_count + p] = t[o * count * p_count + j * p_count + p] + (b ? b[o] : T(0));
}

template <typename T>
void conv_gather(const T* dy, T* t, Index count, Index out, Index p_count) {
  for (Index j = 0; j < count; ++j)
    for (Index o = 0; o < out; ++o)
      for (Index p = 0; p < p_count; ++p) t[o * count * p_count + j * p_count + p] = dy[(j * out + o) * p_count + p];
}

template <typename T>
void conv_bias_grad(const T* t, T* db, Index out, Index cols) {
  for (Index o = 0; o < out; ++o) {
    long double s = 0;
    for (Index q = 0; q < cols; ++q) s += t[o * cols + q];
    db[o] = static_cast<T>(db[o] + s);
  }
}

// Max pooling: the window's max (a NaN if it holds one: the last NaN), argmax = the first index
// holding it; padding taps are -inf and never chosen.
template <typename T>
void max_pool_forward(const WindowGeometry& g, const T* x, T* y, std::int32_t* argmax, Index n) {
  for (Index i = 0; i < n; ++i)
    for (Index c = 0; c < g.c; ++c)
      for (Index oh = 0; oh < g.ho; ++oh)
        for (Index ow = 0; ow < g.wo; ++ow) {
          const T* plane = x + (i * g.c + c) * g.h * g.w;
          T best = -std::numeric_limits<T>::infinity();
          Index best_at = -1, nan_at = -1;
          for (Index ki = 0; ki < g.k; ++ki)
            for (Index kj = 0; kj < g.k; ++kj) {
              const Index ih = oh * g.stride - g.pad + ki, iw = ow * g.stride - g.pad + kj;
              if (!inside(g, ih, iw)) continue;
              const T v = plane[ih * g.w + iw];
              if (std::isnan(v)) nan_at = ih * g.w + iw;
              else if (best_at < 0 || v > best) best = v, best_at = ih * g.w + iw;
            }
          const Index o = ((i * g.c + c) * g.ho + oh) * g.wo + ow;
          y[o] = nan_at >= 0 ? plane[nan_at] : best;
          argmax[o] = static_cast<std::int32_t>(nan_at >= 0 ? nan_at : best_at);
        }
}

template <typename T>
void max_pool_backward(const WindowGeometry& g, const T* dy, const std::int32_t* argmax, T* dx, Index n) {
  for (Index i = 0; i < n * g.c * g.h * g.w; ++i) dx[i] = T(0);
  for (Index i = 0; i < n; ++i)
    for (Index c = 0; c < g.c; ++c)
      for (Index o = 0; o < g.ho * g.wo; ++o) {
        const Index at = ((i * g.c + c) * g.ho * g.wo) + o;
        dx[(i * g.c + c) * g.h * g.w + argmax[at]] += dy[at];
      }
}

namespace {
// Taps of window (oh, ow) inside the padded input (count_include_pad) or the input itself.
Index divisor(const WindowGeometry& g, bool count_include_pad, Index oh, Index ow) {
  Index count = 0;
  for (Index ki = 0; ki < g.k; ++ki)
    for (Index kj = 0; kj < g.k; ++kj) {
      const Index ih = oh * g.stride - g.pad + ki, iw = ow * g.stride - g.pad + kj;
      const bool in_padded = ih < g.h + g.pad && iw < g.w + g.pad;  // ih, iw >= -pad always
      count += count_include_pad ? in_padded : inside(g, ih, iw);
    }
  return count;
}
}  // namespace

template <typename T>
void avg_pool_forward(const WindowGeometry& g, bool count_include_pad, const T* x, T* y, Index n) {
  for (Index i = 0; i < n; ++i)
    for (Index c = 0; c < g.c; ++c)
      for (Index oh = 0; oh < g.ho; ++oh)
        for (Index ow = 0; ow < g.wo; ++ow) {
          const T* plane = x + (i * g.c + c) * g.h * g.w;
          double s = 0.0;
          for (Index ki = 0; ki < g.k; ++ki)
            for (Index kj = 0; kj < g.k; ++kj) {
              const Index ih = oh * g.stride - g.pad + ki, iw = ow * g.stride - g.pad + kj;
              if (inside(g, ih, iw)) s += plane[ih * g.w + iw];
            }
          y[((i * g.c + c) * g.ho + oh) * g.wo + ow] = static_cast<T>(s / divisor(g, count_include_pad, oh, ow));
        }
}

template <typename T>
void avg_pool_backward(const WindowGeometry& g, bool count_include_pad, const T* dy, T* dx, Index n) {
  for (Index i = 0; i < n * g.c * g.h * g.w; ++i) dx[i] = T(0);
  for (Index i = 0; i < n; ++i)
    for (Index c = 0; c < g.c; ++c)
      for (Index oh = 0; oh < g.ho; ++oh)
        for (Index ow = 0; ow < g.wo; ++ow) {
          const double d = dy[((i * g.c + c) * g.ho + oh) * g.wo + ow] /
                           static_cast<double>(divisor(g, count_include_pad, oh, ow));
          for (Index ki = 0; ki < g.k; ++ki)
            for (Index kj = 0; kj < g.k; ++kj) {
              const Index ih = oh * g.stride - g.pad + ki, iw = ow * g.stride - g.pad + kj;
              if (inside(g, ih, iw)) dx[(i * g.c + c) * g.h * g.w + ih * g.w + iw] += static_cast<T>(d);
            }
        }
}

template <typename T>
void global_avg_pool_forward(const T* x, T* y, Index n, Index c, Index hw) {
  for (Index i = 0; i < n * c; ++i) {
    double s = 0.0;
    for (Index p = 0; p < hw; ++p) s += x[i * hw + p];
    y[i] = static_cast<T>(s / static_cast<double>(hw));
  }
}

template <typename T>
void global_avg_pool_backward(const T* dy, T* dx, Index n, Index c, Index hw) {
  for (Index i = 0; i < n * c; ++i)
    for (Index p = 0; p < hw; ++p) dx[i * hw + p] = static_cast<T>(dy[i] / static_cast<double>(hw));
}

#define GRADNET_INSTANTIATE_REFERENCE_IMAGE(T)                                                         \
  template void im2col<T>(const WindowGeometry&, const T*, T*, Index);                                \
  template void col2im<T>(const WindowGeometry&, const T*, Index, T*);                                \
  template void im2col_chunk<T>(const WindowGeometry&, const T*, Index, T*);                          \
  template void col2im_chunk<T>(const WindowGeometry&, const T*, Index, T*);                          \
  template void conv_bias_scatter<T>(const T*, const T*, T*, Index, Index, Index);                    \
  template void conv_gather<T>(const T*, T*, Index, Index, Index);                                    \
  template void conv_bias_grad<T>(const T*, T*, Index, Index);                                        \
  template void max_pool_forward<T>(const WindowGeometry&, const T*, T*, std::int32_t*, Index);       \
  template void max_pool_backward<T>(const WindowGeometry&, const T*, const std::int32_t*, T*, Index); \
  template void avg_pool_forward<T>(const WindowGeometry&, bool, const T*, T*, Index);                \
  template void avg_pool_backward<T>(const WindowGeometry&, bool, const T*, T*, Index);               \
  template void global_avg_pool_forward<T>(const T*, T*, Index, Index, Index);                        \
  template void global_avg_pool_backward<T>(const T*, T*, Index, Index, Index)
GRADNET_INSTANTIATE_REFERENCE_IMAGE(float);
GRADNET_INSTANTIATE_REFERENCE_IMAGE(double);

}  // namespace gradnet::kernels::reference
