// Batch normalization over channel c, with M = N·H·W values per channel (N for 1d):
//   forward (train):  μ = Σ x / M,  σ² = Σ (x - μ)² / M,  r = 1/sqrt(σ² + eps),  x̂ = (x - μ)·r,  y = γ·x̂ + β
//   forward (eval):   μ, σ² = the running statistics (or the batch's without track_running_stats)
//   backward (train): dβ += Σ dy,  dγ += Σ dy·x̂,
//                     dx = γ·r / M · (M·dy - Σ dy - x̂·Σ dy·x̂)   (μ and σ² depend on every x)
//   backward (eval):  dx = γ·r·dy                                   (μ and σ² are constants)
// Synchronised (mpirun, train.sync_batch_norm): M, Σ x and Σ x² are summed over the ranks before μ
// and σ², and Σ dy, Σ dy·x̂ (each rank's scaled by its share of the global batch) before dx, so
// every rank normalises with the global batch's statistics, as one process would.
// Sums run in double for float nets: a channel of a CIFAR batch holds 131,072 values. The loops are
// kernels (src/kernels/norm.h); this file plans the buffers and calls them.
#include "gradnet/layers/batch_norm.h"

#include <algorithm>

#include "../kernels/norm.h"
#include "gradnet/dist.h"
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
  batch_mean_.assign(static_cast<std::size_t>(c_), 0.0);
  batch_var_.assign(static_cast<std::size_t>(c_), 1.0);
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
  const kernels::ChannelShape s{x.rows, c_, hw_};
  // Frozen (fine-tuning): the running statistics, as in eval, and left as they are.
  const bool training = ctx.mode == Mode::train && !this->frozen_;
  used_batch_stats_ = training || !track_;
  sync_ = training ? ctx.sync_ranks : nullptr;
  if (used_batch_stats_) {
    kernels::batch_norm_statistics(s, x.data, batch_mean_.data(), batch_var_.data());
    double count = static_cast<double>(s.n * s.hw);
    if (sync_) {
      sync_statistics(count);
      count = sync_count_;
    }
    if (training && track_)
      kernels::batch_norm_update_running(c_, count, momentum_, batch_mean_.data(),
                                         batch_var_.data(), buffers_[0].value.data(), buffers_[1].value.data());
  } else {  // eval with running statistics
    std::copy(buffers_[0].value.data(), buffers_[0].value.data() + c_, batch_mean_.data());
    std::copy(buffers_[1].value.data(), buffers_[1].value.data() + c_, batch_var_.data());
  }
  const T* gamma = affine_ ? params_[0].value.data() : nullptr;
  const T* beta = affine_ ? params_[1].value.data() : nullptr;
  kernels::batch_norm_apply(s, x.data, batch_mean_.data(), batch_var_.data(), eps_, gamma, beta, y.data, mean_.data(),
                            rstd_.data());
}

// This rank's μ, σ² (over local_count values per channel) become the global batch's: the ranks
// sum M, M·μ and M·(σ² + μ²) per channel (doubles, a fixed order: the same bits on every rank).
template <typename T>
void BatchNormLayer<T>::sync_statistics(double local_count) {
  const std::size_t c = static_cast<std::size_t>(c_);
  sync_sums_.assign(3 * c, 0.0);
  for (std::size_t i = 0; i < c; ++i) {
    sync_sums_[i] = local_count;
    sync_sums_[c + i] = local_count * batch_mean_[i];
    sync_sums_[2 * c + i] = local_count * (batch_var_[i] + batch_mean_[i] * batch_mean_[i]);
  }
  sync_->allreduce_sum(sync_sums_.data(), sync_sums_.size());
  sync_count_ = sync_sums_[0];
  sync_share_ = local_count / sync_count_;
  for (std::size_t i = 0; i < c; ++i) {
    const double mean = sync_sums_[c + i] / sync_count_;
    batch_mean_[i] = mean;
    batch_var_[i] = std::max(0.0, sync_sums_[2 * c + i] / sync_count_ - mean * mean);
  }
}

// Each rank's loss is the mean over its own rows (the step scales the grads by the share after),
// so its dy is the global dy divided by its share: dx = γ·r·(dy - (S1 + x̂·S2) / (share·M)) with
// S1 = Σ_ranks share·Σ dy and S2 = Σ_ranks share·Σ dy·x̂ over the global batch's M values.
template <typename T>
void BatchNormLayer<T>::sync_backward(ConstView<T> x, ConstView<T> dy, View<T>* dx) {
  const kernels::ChannelShape s{x.rows, c_, hw_};
  const std::size_t c = static_cast<std::size_t>(c_);
  std::vector<double>& sums = sync_sums_;  // [Σ dy (C), Σ dy·x̂ (C)], then the global S1, S2
  sums.assign(2 * c, 0.0);
  kernels::batch_norm_backward_sums(s, x.data, dy.data, mean_.data(), rstd_.data(), sums.data(), sums.data() + c);
  if (affine_)
    for (std::size_t i = 0; i < c; ++i) {
      params_[0].grad.data()[i] += static_cast<T>(sums[c + i]);
      params_[1].grad.data()[i] += static_cast<T>(sums[i]);
    }
  for (double& v : sums) v *= sync_share_;
  sync_->allreduce_sum(sums.data(), sums.size());
  if (!dx) return;
  for (double& v : sums) v /= sync_share_ * sync_count_;  // the means the local formula takes
  kernels::batch_norm_backward_dx(s, x.data, dy.data, mean_.data(), rstd_.data(), affine_ ? params_[0].value.data() : nullptr,
                                  sums.data(), sums.data() + c, dx->data);
}

template <typename T>
void BatchNormLayer<T>::backward(ConstView<T> x, ConstView<T> /*y*/, ConstView<T> dy, View<T>* dx) {
  if (sync_ && used_batch_stats_) return sync_backward(x, dy, dx);
  const T* gamma = affine_ ? params_[0].value.data() : nullptr;
  T* dgamma = affine_ ? params_[0].grad.data() : nullptr;
  T* dbeta = affine_ ? params_[1].grad.data() : nullptr;
  kernels::batch_norm_backward(kernels::ChannelShape{x.rows, c_, hw_}, x.data, dy.data, mean_.data(), rstd_.data(),
                               gamma, used_batch_stats_, dgamma, dbeta, dx ? dx->data : nullptr);
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
