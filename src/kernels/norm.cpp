// Group normalization (layer, group and instance norm) and weight normalization kernels (norm.h).
#include <cmath>

#include "norm.h"

namespace gradnet::kernels {

template <typename T>
void group_norm_forward(const GroupLayout& l, Index n, const T* x, double eps, const T* w, const T* b, T* y,
                        T* mean_out, T* rstd_out) {
  // x, y: (n, G·M)   mean, rstd: (n, G)   w, b: (G·per), per = M / inner weights per group
  const Index groups = l.groups, m = l.group_size, inner = l.inner, per = m / inner, row = groups * m;
  const bool affine = w != nullptr;
  for (Index i = 0; i < n; ++i) {
    for (Index g = 0; g < groups; ++g) {
      const T* xg = x + i * row + g * m;
      T* yg = y + i * row + g * m;
      double sum = 0.0;
      for (Index j = 0; j < m; ++j) sum += xg[j];
      const double mu = sum / static_cast<double>(m);
      double sq = 0.0;  // two passes: no cancellation in E[x²] − μ²
      for (Index j = 0; j < m; ++j) sq += (xg[j] - mu) * (xg[j] - mu);
      const double var = sq / static_cast<double>(m);  // biased, as PyTorch normalises
      const T mean = static_cast<T>(mu), r = static_cast<T>(1.0 / std::sqrt(var + eps));
      mean_out[i * groups + g] = mean;
      rstd_out[i * groups + g] = r;
      if (!affine) {
        for (Index j = 0; j < m; ++j) yg[j] = (xg[j] - mean) * r;
        continue;
      }
      for (Index c = 0; c < per; ++c) {
        const T wc = w[g * per + c] * r, bc = b[g * per + c];
        const T* xc = xg + c * inner;
        T* yc = yg + c * inner;
        for (Index p = 0; p < inner; ++p) yc[p] = (xc[p] - mean) * wc + bc;
      }
    }
  }
}

template <typename T>
void group_norm_backward(const GroupLayout& l, Index n, const T* x, const T* dy, const T* mean_in, const T* rstd_in,
                         const T* w, T* dw, T* db, T* dx) {
  // x, dy, dx: (n, G·M)   dw, db: (G·per) +=
  const Index groups = l.groups, m = l.group_size, inner = l.inner, per = m / inner, row = groups * m;
  const bool affine = w != nullptr;
  for (Index i = 0; i < n; ++i) {
    for (Index g = 0; g < groups; ++g) {
      const T* xg = x + i * row + g * m;
      const T* dyg = dy + i * row + g * m;
      const T mean = mean_in[i * groups + g], r = rstd_in[i * groups + g];
      // Pass 1: s1 = Σ dy·w, s2 = Σ dy·w·x̂ over the group; dw, db per weight.
      double s1 = 0.0, s2 = 0.0;
      for (Index c = 0; c < per; ++c) {
        const T* xc = xg + c * inner;
        const T* dyc = dyg + c * inner;
        double dwc = 0.0, dbc = 0.0;
        for (Index p = 0; p < inner; ++p) {
          const T xhat = (xc[p] - mean) * r;
          dwc += dyc[p] * xhat;
          dbc += dyc[p];
        }
        const double wc = affine ? w[g * per + c] : 1.0;
        s1 += wc * dbc;
        s2 += wc * dwc;
        if (affine) {
          dw[g * per + c] += static_cast<T>(dwc);
          db[g * per + c] += static_cast<T>(dbc);
        }
      }
      if (!dx) continue;
      // Pass 2: dx = rstd·(dy·w − s1/M − x̂·s2/M).
      const T a = static_cast<T>(s1 / static_cast<double>(m)), bb = static_cast<T>(s2 / static_cast<double>(m));
      T* dxg = dx + i * row + g * m;
      for (Index c = 0; c < per; ++c) {
        const T wc = affine ? w[g * per + c] : T(1);
        const T* xc = xg + c * inner;
        const T* dyc = dyg + c * inner;
        T* dxc = dxg + c * inner;
        for (Index p = 0; p < inner; ++p) dxc[p] = r * (dyc[p] * wc - a - (xc[p] - mean) * r * bb);
      }
    }
  }
}

namespace {

// ‖v‖ of one row, summed in double (float rows of a few thousand values would lose digits).
template <typename T>
double row_norm(const T* v, Index cols) {
  double s = 0.0;
  for (Index j = 0; j < cols; ++j) s += static_cast<double>(v[j]) * static_cast<double>(v[j]);
  return std::sqrt(s);
}

}  // namespace

template <typename T>
void weight_norm_init_g(const T* v, T* g, Index rows, Index cols) {
  for (Index r = 0; r < rows; ++r) g[r] = static_cast<T>(row_norm(v + r * cols, cols));
}

template <typename T>
void weight_norm_forward(const T* g, const T* v, T* w, T* norm, Index rows, Index cols) {
  for (Index r = 0; r < rows; ++r) {
    const T* vr = v + r * cols;
    T* wr = w + r * cols;
    const double s = row_norm(vr, cols);
    norm[r] = static_cast<T>(s);
    const T scale = static_cast<T>(g[r] / s);
    for (Index j = 0; j < cols; ++j) wr[j] = scale * vr[j];
  }
}

template <typename T>
void weight_norm_backward(const T* g, const T* v, const T* dw, const T* norm, T* dg, T* dv, Index rows, Index cols) {
  for (Index r = 0; r < rows; ++r) {
    const T* vr = v + r * cols;
    const T* dwr = dw + r * cols;
    T* dvr = dv + r * cols;
    const double s = norm[r];
    double dot = 0.0;  // Σ dW·v
    for (Index j = 0; j < cols; ++j) dot += static_cast<double>(dwr[j]) * static_cast<double>(vr[j]);
    const double c = dot / s;
    dg[r] += static_cast<T>(c);
    const T a = static_cast<T>(g[r] / s), b = static_cast<T>(c / s);
    for (Index j = 0; j < cols; ++j) dvr[j] += a * (dwr[j] - b * vr[j]);
  }
}

#define GRADNET_INSTANTIATE_NORM(T)                                                                               \
  template void group_norm_forward<T>(const GroupLayout&, Index, const T*, double, const T*, const T*, T*, T*, T*); \
  template void group_norm_backward<T>(const GroupLayout&, Index, const T*, const T*, const T*, const T*,          \
                                       const T*, T*, T*, T*);                                                       \
  template void weight_norm_init_g<T>(const T*, T*, Index, Index);                                                 \
  template void weight_norm_forward<T>(const T*, const T*, T*, T*, Index, Index);                                 \
  template void weight_norm_backward<T>(const T*, const T*, const T*, const T*, T*, T*, Index, Index)
GRADNET_INSTANTIATE_NORM(float);
GRADNET_INSTANTIATE_NORM(double);

}  // namespace gradnet::kernels
