// Batch normalization kernels (norm.h): statistics, running update, apply, backward, per channel.
#include <cmath>

#include "norm.h"

namespace gradnet::kernels {

template <typename T>
void batch_norm_statistics(const ChannelShape& sh, const T* x, double* mean_out, double* var_out) {
  const Index n = sh.n, hw = sh.hw, row = sh.c * sh.hw;
  const double m = static_cast<double>(n * hw);
#pragma omp parallel for schedule(static)
  for (Index c = 0; c < sh.c; ++c) {
    double s = 0.0;
    for (Index i = 0; i < n; ++i) {
      const T* xc = x + i * row + c * hw;
      for (Index p = 0; p < hw; ++p) s += xc[p];
    }
    const double mean = s / m;
    double q = 0.0;
    for (Index i = 0; i < n; ++i) {
      const T* xc = x + i * row + c * hw;
      for (Index p = 0; p < hw; ++p) q += (xc[p] - mean) * (xc[p] - mean);
    }
    mean_out[c] = mean;
    var_out[c] = q / m;
  }
}

template <typename T>
void batch_norm_update_running(Index channels, double m, double momentum, const double* mean_in,
                               const double* var_in, T* running_mean, T* running_var) {
  for (Index c = 0; c < channels; ++c) {
    const double mean = mean_in[c], var = var_in[c];
    T& rm = running_mean[c];
    T& rv = running_var[c];
    const double unbiased = m > 1.0 ? var * m / (m - 1.0) : var;
    rm = static_cast<T>((1.0 - momentum) * rm + momentum * mean);
    rv = static_cast<T>((1.0 - momentum) * rv + momentum * unbiased);
  }
}

template <typename T>
void batch_norm_apply(const ChannelShape& sh, const T* x, const double* mean_in, const double* var_in, double eps,
                      const T* gamma_in, const T* beta_in, T* y, T* saved_mean, T* saved_rstd) {
  const Index n = sh.n, hw = sh.hw, row = sh.c * sh.hw;
  const bool affine = gamma_in != nullptr;
#pragma omp parallel for schedule(static)
  for (Index c = 0; c < sh.c; ++c) {
    const double mean = mean_in[c], var = var_in[c];
    const double rstd = 1.0 / std::sqrt(var + eps);
    saved_mean[c] = static_cast<T>(mean);
    saved_rstd[c] = static_cast<T>(rstd);
    // y = x·scale + shift with scale = γ·r, shift = β - μ·γ·r: one multiply-add per element.
    const double gamma = affine ? static_cast<double>(gamma_in[c]) : 1.0;
    const double beta = affine ? static_cast<double>(beta_in[c]) : 0.0;
    const T scale = static_cast<T>(gamma * rstd), shift = static_cast<T>(beta - mean * gamma * rstd);
    for (Index i = 0; i < n; ++i) {
      const T* xc = x + i * row + c * hw;
      T* yc = y + i * row + c * hw;
      for (Index p = 0; p < hw; ++p) yc[p] = xc[p] * scale + shift;
    }
  }
}

namespace {

// Σ dy and Σ dy·x̂ over channel c.
template <typename T>
void channel_backward_sums(const ChannelShape& sh, Index c, const T* x, const T* dy, double mean, double rstd,
                           double& sum_dy, double& sum_dy_xhat) {
  const Index n = sh.n, hw = sh.hw, row = sh.c * sh.hw;
  sum_dy = 0.0;
  sum_dy_xhat = 0.0;
  for (Index i = 0; i < n; ++i) {
    const T* xc = x + i * row + c * hw;
    const T* dyc = dy + i * row + c * hw;
    for (Index p = 0; p < hw; ++p) {
      sum_dy += dyc[p];
      sum_dy_xhat += dyc[p] * (xc[p] - mean) * rstd;
    }
  }
}

// dx over channel c with batch statistics, from the means of dy and dy·x̂ over the batch.
template <typename T>
void channel_dx(const ChannelShape& sh, Index c, const T* x, const T* dy, double mean, double rstd, double gamma,
                double mean_dy, double mean_dy_xhat, T* dx) {
  const Index n = sh.n, hw = sh.hw, row = sh.c * sh.hw;
  // dx = γ·r·dy - γ·r/M·Σdy - x̂·γ·r/M·Σdy·x̂, written as dx = a·dy + b·x + k
  const double a = gamma * rstd;
  const T ta = static_cast<T>(a), tb = static_cast<T>(-a * mean_dy_xhat * rstd),
          tk = static_cast<T>(-a * mean_dy + a * mean_dy_xhat * rstd * mean);
  for (Index i = 0; i < n; ++i) {
    const T* xc = x + i * row + c * hw;
    const T* dyc = dy + i * row + c * hw;
    T* dxc = dx + i * row + c * hw;
    for (Index p = 0; p < hw; ++p) dxc[p] = ta * dyc[p] + tb * xc[p] + tk;
  }
}

}  // namespace

template <typename T>
void batch_norm_backward(const ChannelShape& sh, const T* x, const T* dy, const T* saved_mean, const T* saved_rstd,
                         const T* gamma_in, bool batch_stats, T* dgamma, T* dbeta, T* dx) {
  const Index n = sh.n, hw = sh.hw, row = sh.c * sh.hw;
  const double m = static_cast<double>(n * hw);
#pragma omp parallel for schedule(static)
  for (Index c = 0; c < sh.c; ++c) {
    const double mean = saved_mean[c], rstd = saved_rstd[c];
    double sum_dy = 0.0, sum_dy_xhat = 0.0;
    channel_backward_sums(sh, c, x, dy, mean, rstd, sum_dy, sum_dy_xhat);
    const double gamma = gamma_in ? static_cast<double>(gamma_in[c]) : 1.0;
    if (dgamma) {
      dgamma[c] += static_cast<T>(sum_dy_xhat);
      dbeta[c] += static_cast<T>(sum_dy);
    }
    if (!dx) continue;
    if (batch_stats) {
      channel_dx(sh, c, x, dy, mean, rstd, gamma, sum_dy / m, sum_dy_xhat / m, dx);
    } else {
      const T a = static_cast<T>(gamma * rstd);
      for (Index i = 0; i < n; ++i) {
        const T* dyc = dy + i * row + c * hw;
        T* dxc = dx + i * row + c * hw;
        for (Index p = 0; p < hw; ++p) dxc[p] = a * dyc[p];
      }
    }
  }
}

template <typename T>
void batch_norm_backward_sums(const ChannelShape& sh, const T* x, const T* dy, const T* saved_mean,
                              const T* saved_rstd, double* sum_dy, double* sum_dy_xhat) {
#pragma omp parallel for schedule(static)
  for (Index c = 0; c < sh.c; ++c)
    channel_backward_sums(sh, c, x, dy, static_cast<double>(saved_mean[c]), static_cast<double>(saved_rstd[c]),
                          sum_dy[c], sum_dy_xhat[c]);
}

template <typename T>
void batch_norm_backward_dx(const ChannelShape& sh, const T* x, const T* dy, const T* saved_mean, const T* saved_rstd,
                            const T* gamma, const double* mean_dy, const double* mean_dy_xhat, T* dx) {
#pragma omp parallel for schedule(static)
  for (Index c = 0; c < sh.c; ++c)
    channel_dx(sh, c, x, dy, static_cast<double>(saved_mean[c]), static_cast<double>(saved_rstd[c]),
               gamma ? static_cast<double>(gamma[c]) : 1.0, mean_dy[c], mean_dy_xhat[c], dx);
}

#define GRADNET_INSTANTIATE_BATCH_NORM(T)                                                                         \
  template void batch_norm_statistics<T>(const ChannelShape&, const T*, double*, double*);                       \
  template void batch_norm_update_running<T>(Index, double, double, const double*, const double*, T*, T*);       \
  template void batch_norm_apply<T>(const ChannelShape&, const T*, const double*, const double*, double, const T*, \
                                    const T*, T*, T*, T*);                                                        \
  template void batch_norm_backward<T>(const ChannelShape&, const T*, const T*, const T*, const T*, const T*,    \
                                       bool, T*, T*, T*);                                                  \
  template void batch_norm_backward_sums<T>(const ChannelShape&, const T*, const T*, const T*, const T*, double*, \
                                            double*);                                                            \
  template void batch_norm_backward_dx<T>(const ChannelShape&, const T*, const T*, const T*, const T*, const T*,  \
                                          const double*, const double*, T*)
GRADNET_INSTANTIATE_BATCH_NORM(float);
GRADNET_INSTANTIATE_BATCH_NORM(double);

}  // namespace gradnet::kernels
