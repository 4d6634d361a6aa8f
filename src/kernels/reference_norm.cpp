// Reference normalization, softmax and loss kernels (reference.h): textbook formulas in double.
#include <algorithm>
#include <cmath>
#include <vector>

#include "reference.h"

namespace gradnet::kernels::reference {

template <typename T>
void batch_norm_statistics(const ChannelShape& s, const T* x, double* mean, double* var) {
  const double m = static_cast<double>(s.n * s.hw);
  for (Index c = 0; c < s.c; ++c) {
    long double sum = 0, sq = 0;
    for (Index i = 0; i < s.n; ++i)
      for (Index p = 0; p < s.hw; ++p) sum += x[(i * s.c + c) * s.hw + p];
    mean[c] = static_cast<double>(sum / m);
    for (Index i = 0; i < s.n; ++i)
      for (Index p = 0; p < s.hw; ++p) {
        const long double d = x[(i * s.c + c) * s.hw + p] - static_cast<long double>(sum / m);
        sq += d * d;
      }
    var[c] = static_cast<double>(sq / m);
  }
}

template <typename T>
void batch_norm_update_running(Index c, double count, double momentum, const double* mean, const double* var,
                               T* running_mean, T* running_var) {
  for (Index i = 0; i < c; ++i) {
    const double unbiased = count > 1.0 ? var[i] * count / (count - 1.0) : var[i];
    running_mean[i] = static_cast<T>(running_mean[i] + momentum * (mean[i] - running_mean[i]));
    running_var[i] = static_cast<T>(running_var[i] + momentum * (unbiased - running_var[i]));
  }
}

template <typename T>
void batch_norm_apply(const ChannelShape& s, const T* x, const double* mean, const double* var, double eps,
                      const T* gamma, const T* beta, T* y, T* saved_mean, T* saved_rstd) {
  for (Index c = 0; c < s.c; ++c) {
    const double r = 1.0 / std::sqrt(var[c] + eps), g = gamma ? gamma[c] : 1.0, b = beta ? beta[c] : 0.0;
    saved_mean[c] = static_cast<T>(mean[c]);
    saved_rstd[c] = static_cast<T>(r);
    for (Index i = 0; i < s.n; ++i)
      for (Index p = 0; p < s.hw; ++p) {
        const Index at = (i * s.c + c) * s.hw + p;
        y[at] = static_cast<T>((x[at] - mean[c]) * r * g + b);
      }
  }
}

template <typename T>
void batch_norm_backward(const ChannelShape& s, const T* x, const T* dy, const T* saved_mean, const T* saved_rstd,
                         const T* gamma, bool batch_stats, T* dgamma, T* dbeta, T* dx) {
  const double m = static_cast<double>(s.n * s.hw);
  for (Index c = 0; c < s.c; ++c) {
    const double mu = saved_mean[c], r = saved_rstd[c], g = gamma ? gamma[c] : 1.0;
    double sum_dy = 0.0, sum_dy_xhat = 0.0;
    for (Index i = 0; i < s.n; ++i)
      for (Index p = 0; p < s.hw; ++p) {
        const Index at = (i * s.c + c) * s.hw + p;
        sum_dy += dy[at];
        sum_dy_xhat += dy[at] * (x[at] - mu) * r;
      }
    if (dgamma) {
      dgamma[c] = static_cast<T>(dgamma[c] + sum_dy_xhat);
      dbeta[c] = static_cast<T>(dbeta[c] + sum_dy);
    }
    if (!dx) continue;
    for (Index i = 0; i < s.n; ++i)
      for (Index p = 0; p < s.hw; ++p) {
        const Index at = (i * s.c + c) * s.hw + p;
        const double xhat = (x[at] - mu) * r;
        dx[at] = static_cast<T>(batch_stats ? g * r / m * (m * dy[at] - sum_dy - xhat * sum_dy_xhat) : g * r * dy[at]);
      }
  }
}

template <typename T>
void group_norm_forward(const GroupLayout& l, Index n, const T* x, double eps, const T* w, const T* b, T* y, T* mean,
                        T* rstd) {
  const Index m = l.group_size;
  for (Index i = 0; i < n; ++i)
    for (Index g = 0; g < l.groups; ++g) {
      const Index first = (i * l.groups + g) * m;
      double sum = 0.0, sq = 0.0;
      for (Index j = 0; j < m; ++j) sum += x[first + j];
      const double mu = sum / static_cast<double>(m);
      for (Index j = 0; j < m; ++j) sq += (x[first + j] - mu) * (x[first + j] - mu);
      const double r = 1.0 / std::sqrt(sq / static_cast<double>(m) + eps);
      mean[i * l.groups + g] = static_cast<T>(mu);
      rstd[i * l.groups + g] = static_cast<T>(r);
      for (Index j = 0; j < m; ++j) {
        const Index feature = g * m + j, param = feature / l.inner;
        const double xhat = (x[first + j] - mu) * r;
        y[first + j] = static_cast<T>(w ? xhat * w[param] + b[param] : xhat);
      }
    }
}

template <typename T>
void group_norm_backward(const GroupLayout& l, Index n, const T* x, const T* dy, const T* mean, const T* rstd,
                         const T* w, T* dw, T* db, T* dx) {
  const Index m = l.group_size;
  std::vector<double> dw_sum(static_cast<std::size_t>(w ? l.groups * m / l.inner : 0), 0.0), db_sum(dw_sum);
  for (Index i = 0; i < n; ++i)
    for (Index g = 0; g < l.groups; ++g) {
      const Index first = (i * l.groups + g) * m;
      const double mu = mean[i * l.groups + g], r = rstd[i * l.groups + g];
      double mean_g = 0.0, mean_g_xhat = 0.0;  // g = dy·w
      for (Index j = 0; j < m; ++j) {
        const Index param = (g * m + j) / l.inner;
        const double xhat = (x[first + j] - mu) * r, gj = dy[first + j] * (w ? double(w[param]) : 1.0);
        mean_g += gj / static_cast<double>(m);
        mean_g_xhat += gj * xhat / static_cast<double>(m);
        if (w) {
          dw_sum[param] += dy[first + j] * xhat;
          db_sum[param] += dy[first + j];
        }
      }
      if (!dx) continue;
      for (Index j = 0; j < m; ++j) {
        const Index param = (g * m + j) / l.inner;
        const double xhat = (x[first + j] - mu) * r, gj = dy[first + j] * (w ? double(w[param]) : 1.0);
        dx[first + j] = static_cast<T>(r * (gj - mean_g - xhat * mean_g_xhat));
      }
    }
  for (std::size_t p = 0; p < dw_sum.size(); ++p) {
    dw[p] = static_cast<T>(dw[p] + dw_sum[p]);
    db[p] = static_cast<T>(db[p] + db_sum[p]);
  }
}

namespace {
template <typename T>
double norm2(const T* v, Index cols) {
  double s = 0.0;
  for (Index j = 0; j < cols; ++j) s += double(v[j]) * v[j];
  return std::sqrt(s);
}
}  // namespace

template <typename T>
void weight_norm_init_g(const T* v, T* g, Index rows, Index cols) {
  for (Index r = 0; r < rows; ++r) g[r] = static_cast<T>(norm2(v + r * cols, cols));
}

template <typename T>
void weight_norm_forward(const T* g, const T* v, T* w, T* norm, Index rows, Index cols) {
  for (Index r = 0; r < rows; ++r) {
    const double s = norm2(v + r * cols, cols);
    norm[r] = static_cast<T>(s);
    for (Index j = 0; j < cols; ++j) w[r * cols + j] = static_cast<T>(g[r] * (v[r * cols + j] / s));
  }
}

template <typename T>
void weight_norm_backward(const T* g, const T* v, const T* dw, const T* norm, T* dg, T* dv, Index rows, Index cols) {
  for (Index r = 0; r < rows; ++r) {
    const double s = norm[r];
    double dot = 0.0;
    for (Index j = 0; j < cols; ++j) dot += double(dw[r * cols + j]) * v[r * cols + j];
    const double c = dot / s;
    dg[r] = static_cast<T>(dg[r] + c);
    for (Index j = 0; j < cols; ++j)
      dv[r * cols + j] = static_cast<T>(dv[r * cols + j] + g[r] / s * (dw[r * cols + j] - c * v[r * cols + j] / s));
  }
}

template <typename T>
void softmax_forward(SoftmaxKind kind, const T* x, T* y, Index n, Index c, Index s) {
  for (Index i = 0; i < n; ++i)
    for (Index p = 0; p < s; ++p) {
      const T* xi = x + i * c * s + p;  // channel j at xi[j·s]
      double m = xi[0], sum = 0.0;
      for (Index j = 1; j < c; ++j) m = std::max(m, double(xi[j * s]));
      for (Index j = 0; j < c; ++j) sum += std::exp(xi[j * s] - m);
      for (Index j = 0; j < c; ++j)
        y[i * c * s + j * s + p] = static_cast<T>(kind == SoftmaxKind::log_softmax ? xi[j * s] - m - std::log(sum)
                                                                                   : std::exp(xi[j * s] - m) / sum);
    }
}

template <typename T>
void softmax_backward(SoftmaxKind kind, const T* y, const T* dy, T* dx, Index n, Index c, Index s) {
  for (Index i = 0; i < n; ++i)
    for (Index p = 0; p < s; ++p) {
      const Index first = i * c * s + p;
      const bool log = kind == SoftmaxKind::log_softmax;
      double sum = 0.0;  // Σ dy (log_softmax) or Σ dy·y (softmax)
      for (Index j = 0; j < c; ++j) sum += dy[first + j * s] * (log ? 1.0 : y[first + j * s]);
      for (Index j = 0; j < c; ++j) {
        const Index at = first + j * s;
        dx[at] = static_cast<T>(kind == SoftmaxKind::log_softmax ? dy[at] - std::exp(double(y[at])) * sum
                                                                 : y[at] * (dy[at] - sum));
      }
    }
}

template <typename T>
double softmax_cross_entropy_forward(const T* z, const std::int32_t* labels, T* probs, Index n, Index k) {
  double total = 0.0;
  softmax_rows(z, probs, n, k);
  for (Index i = 0; i < n; ++i) {
    const T* zi = z + i * k;
    const double m = *std::max_element(zi, zi + k);
    double sum = 0.0;
    for (Index j = 0; j < k; ++j) sum += std::exp(zi[j] - m);
    total += m + std::log(sum) - zi[labels[i]];  // logsumexp − z_label
  }
  return n > 0 ? total / static_cast<double>(n) : 0.0;
}

template <typename T>
void softmax_cross_entropy_backward(const T* probs, const std::int32_t* labels, T* dz, Index n, Index k) {
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < k; ++j)
      dz[i * k + j] = static_cast<T>((probs[i * k + j] - (j == labels[i] ? 1.0 : 0.0)) / static_cast<double>(n));
}

template <typename T>
void softmax_rows(const T* z, T* p, Index n, Index k) {
  softmax_forward(SoftmaxKind::softmax, z, p, n, k, Index{1});
}

template <typename T>
double mse_forward(const T* z, const std::int32_t* labels, Index n, Index k) {
  double total = 0.0;
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < k; ++j) total += std::pow(z[i * k + j] - (j == labels[i] ? 1.0 : 0.0), 2);
  return n > 0 ? total / static_cast<double>(n * k) : 0.0;
}

template <typename T>
void mse_backward(const T* z, const std::int32_t* labels, T* dz, Index n, Index k) {
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < k; ++j)
      dz[i * k + j] = static_cast<T>(2.0 * (z[i * k + j] - (j == labels[i] ? 1.0 : 0.0)) / static_cast<double>(n * k));
}

#define GRADNET_INSTANTIATE_REFERENCE_NORM(T)                                                                      \
  template void batch_norm_statistics<T>(const ChannelShape&, const T*, double*, double*);                        \
  template void batch_norm_update_running<T>(Index, double, double, const double*, const double*, T*, T*);        \
  template void batch_norm_apply<T>(const ChannelShape&, const T*, const double*, const double*, double, const T*, \
                                    const T*, T*, T*, T*);                                                         \
  template void batch_norm_backward<T>(const ChannelShape&, const T*, const T*, const T*, const T*, const T*, bool, \
                                       T*, T*, T*);                                                                \
  template void group_norm_forward<T>(const GroupLayout&, Index, const T*, double, const T*, const T*, T*, T*, T*); \
  template void group_norm_backward<T>(const GroupLayout&, Index, const T*, const T*, const T*, const T*, const T*, \
                                       T*, T*, T*);                                                                \
  template void weight_norm_init_g<T>(const T*, T*, Index, Index);                                                \
  template void weight_norm_forward<T>(const T*, const T*, T*, T*, Index, Index);                                 \
  template void weight_norm_backward<T>(const T*, const T*, const T*, const T*, T*, T*, Index, Index);            \
  template void softmax_forward<T>(SoftmaxKind, const T*, T*, Index, Index, Index);                               \
  template void softmax_backward<T>(SoftmaxKind, const T*, const T*, T*, Index, Index, Index);                    \
  template double softmax_cross_entropy_forward<T>(const T*, const std::int32_t*, T*, Index, Index);              \
  template void softmax_cross_entropy_backward<T>(const T*, const std::int32_t*, T*, Index, Index);               \
  template void softmax_rows<T>(const T*, T*, Index, Index);                                                      \
  template double mse_forward<T>(const T*, const std::int32_t*, Index, Index);                                    \
  template void mse_backward<T>(const T*, const std::int32_t*, T*, Index, Index)
GRADNET_INSTANTIATE_REFERENCE_NORM(float);
GRADNET_INSTANTIATE_REFERENCE_NORM(double);

}  // namespace gradnet::kernels::reference
