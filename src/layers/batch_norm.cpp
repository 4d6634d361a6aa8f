// Batch normalization over channel c, with M = N·H·W values per channel (N for 1d):
//   forward (train):  μ = Σ x / M,  σ² = Σ (x - μ)² / M,  r = 1/sqrt(σ² + eps),  x̂ = (x - μ)·r,  y = γ·x̂ + β
//   forward (eval):   μ, σ² = the running statistics (or the batch's without track_running_stats)
//   backward (train): dβ += Σ dy,  dγ += Σ dy·x̂,
//                     dx = γ·r / M · (M·dy - Σ dy - x̂·Σ dy·x̂)   (μ and σ² depend on every x)
//   backward (eval):  dx = γ·r·dy                                   (μ and σ² are constants)
// Sums run in double for float nets: a channel of a CIFAR batch holds 131,072 values.
#include "gradnet/layers/batch_norm.h"

#include <cmath>

#include "gradnet/error.h"

namespace gradnet {

std::vector<KeySpec> batch_norm_keys() {
  return {{"momentum", ValueKind::number, Value(0.1),
           "running statistics update: running = (1 - momentum)·running + momentum·batch (PyTorch's, default 0.1)",
           {}, 0.0, 1.0},
          {"eps", ValueKind::number, Value(1e-5), "added to the variance (default 1e-5)", {}, 0.0, {}},
          {"affine", ValueKind::boolean, Value(true), "learn a scale γ (weight) and shift β (bias) (default true)", {},
           {}, {}},
          {"track_running_stats", ValueKind::boolean, Value(true),
           "keep running mean/var for eval (default true); false: eval uses the batch's statistics", {}, {}, {}}};
}

template <typename T>
BatchNormLayer<T>::BatchNormLayer(const LayerSpec& spec)
    : index_(spec.index),
      momentum_(spec.has("momentum") ? spec.get_number("momentum") : 0.1),
      eps_(spec.has("eps") ? spec.get_number("eps") : 1e-5),
      affine_(spec.has("affine") ? spec.get_bool("affine") : true),
      track_(spec.has("track_running_stats") ? spec.get_bool("track_running_stats") : true) {
  GRADNET_CHECK(momentum_ >= 0.0 && momentum_ <= 1.0 && eps_ >= 0.0, config,
                "layers.{} (batch_norm): momentum = {} must lie in [0, 1] and eps = {} be >= 0", index_, momentum_, eps_);
}

template <typename T>
Shape BatchNormLayer<T>::setup(const Shape& in, Index /*max_batch*/) {
  GRADNET_CHECK(in.size() == 1 || in.size() == 3, shape,
                "layers.{} (batch_norm): input shape {} is neither [C] (features) nor [C, H, W] (images)", index_,
                shape_str(in));
  c_ = in[0];
  image_ = in.size() == 3;
  hw_ = image_ ? in[1] * in[2] : 1;
  params_.clear();
  if (affine_) {
    params_.resize(2);
    params_[0].name = "weight";
    params_[0].resize({c_});
    params_[1].name = "bias";
    params_[1].resize({c_});
  }
  buffers_.clear();
  if (track_) {
    buffers_.resize(2);
    buffers_[0] = {"running_mean", Tensor<T>({c_}, T(0))};
    buffers_[1] = {"running_var", Tensor<T>({c_}, T(1))};
  }
  mean_.assign(static_cast<std::size_t>(c_), T(0));
  rstd_.assign(static_cast<std::size_t>(c_), T(1));
  return in;
}

template <typename T>
void BatchNormLayer<T>::init(Rng& /*rng*/) {
  if (affine_) {
    params_[0].value.fill(T(1));
    params_[1].value.fill(T(0));
  }
  if (track_) {
    buffers_[0].value.fill(T(0));
    buffers_[1].value.fill(T(1));
  }
}

template <typename T>
void BatchNormLayer<T>::forward(ConstView<T> x, View<T> y, const StepContext& ctx) {
  const Index n = x.rows;
  used_batch_stats_ = ctx.mode == Mode::train || !track_;
  const double m = static_cast<double>(n * hw_);
#pragma omp parallel for schedule(static)
  for (Index c = 0; c < c_; ++c) {
    double mean, var;
    if (used_batch_stats_) {
      double s = 0.0;
      for (Index i = 0; i < n; ++i) {
        const T* xc = x.row(i) + c * hw_;
        for (Index p = 0; p < hw_; ++p) s += xc[p];
      }
      mean = s / m;
      double q = 0.0;
      for (Index i = 0; i < n; ++i) {
        const T* xc = x.row(i) + c * hw_;
        for (Index p = 0; p < hw_; ++p) q += (xc[p] - mean) * (xc[p] - mean);
      }
      var = q / m;
      if (ctx.mode == Mode::train && track_) {
        T& rm = buffers_[0].value[c];
        T& rv = buffers_[1].value[c];
        const double unbiased = m > 1.0 ? var * m / (m - 1.0) : var;
        rm = static_cast<T>((1.0 - momentum_) * rm + momentum_ * mean);
        rv = static_cast<T>((1.0 - momentum_) * rv + momentum_ * unbiased);
      }
    } else {
      mean = buffers_[0].value[c];
      var = buffers_[1].value[c];
    }
    const double rstd = 1.0 / std::sqrt(var + eps_);
    mean_[c] = static_cast<T>(mean);
    rstd_[c] = static_cast<T>(rstd);
    // y = x·scale + shift with scale = γ·r, shift = β - μ·γ·r: one multiply-add per element.
    const double gamma = affine_ ? static_cast<double>(params_[0].value[c]) : 1.0;
    const double beta = affine_ ? static_cast<double>(params_[1].value[c]) : 0.0;
    const T scale = static_cast<T>(gamma * rstd), shift = static_cast<T>(beta - mean * gamma * rstd);
    for (Index i = 0; i < n; ++i) {
      const T* xc = x.row(i) + c * hw_;
      T* yc = y.row(i) + c * hw_;
      for (Index p = 0; p < hw_; ++p) yc[p] = xc[p] * scale + shift;
    }
  }
}

template <typename T>
void BatchNormLayer<T>::backward(ConstView<T> x, ConstView<T> /*y*/, ConstView<T> dy, View<T>* dx) {
  const Index n = x.rows;
  const double m = static_cast<double>(n * hw_);
#pragma omp parallel for schedule(static)
  for (Index c = 0; c < c_; ++c) {
    const double mean = mean_[c], rstd = rstd_[c];
    double sum_dy = 0.0, sum_dy_xhat = 0.0;
    for (Index i = 0; i < n; ++i) {
      const T* xc = x.row(i) + c * hw_;
      const T* dyc = dy.row(i) + c * hw_;
      for (Index p = 0; p < hw_; ++p) {
        sum_dy += dyc[p];
        sum_dy_xhat += dyc[p] * (xc[p] - mean) * rstd;
      }
    }
    const double gamma = affine_ ? static_cast<double>(params_[0].value[c]) : 1.0;
    if (affine_) {
      params_[0].grad[c] += static_cast<T>(sum_dy_xhat);
      params_[1].grad[c] += static_cast<T>(sum_dy);
    }
    if (!dx) continue;
    if (used_batch_stats_) {
      // dx = γ·r·dy - γ·r/M·Σdy - x̂·γ·r/M·Σdy·x̂, written as dx = a·dy + b·x + k
      const double a = gamma * rstd, mean_dy = sum_dy / m, mean_dy_xhat = sum_dy_xhat / m;
      const T ta = static_cast<T>(a), tb = static_cast<T>(-a * mean_dy_xhat * rstd),
              tk = static_cast<T>(-a * mean_dy + a * mean_dy_xhat * rstd * mean);
      for (Index i = 0; i < n; ++i) {
        const T* xc = x.row(i) + c * hw_;
        const T* dyc = dy.row(i) + c * hw_;
        T* dxc = dx->row(i) + c * hw_;
        for (Index p = 0; p < hw_; ++p) dxc[p] = ta * dyc[p] + tb * xc[p] + tk;
      }
    } else {
      const T a = static_cast<T>(gamma * rstd);
      for (Index i = 0; i < n; ++i) {
        const T* dyc = dy.row(i) + c * hw_;
        T* dxc = dx->row(i) + c * hw_;
        for (Index p = 0; p < hw_; ++p) dxc[p] = a * dyc[p];
      }
    }
  }
}

template <typename T>
Attributes BatchNormLayer<T>::describe() const {
  return {{"channels", std::to_string(c_)},
          {"kind", image_ ? "2d" : "1d"},
          {"momentum", std::to_string(momentum_)},
          {"eps", std::to_string(eps_)},
          {"affine", affine_ ? "true" : "false"}};
}

template class BatchNormLayer<float>;
template class BatchNormLayer<double>;

}  // namespace gradnet
