// BatchNormLayer<T>: batch normalization (Ioffe & Szegedy), PyTorch's BatchNorm1d / BatchNorm2d.
//   input [C] (1d: statistics over the batch) or [C, H, W] (2d: over the batch and H·W)
//   train: y = (x - μ_B) / sqrt(σ²_B + eps) · γ + β, σ²_B biased;
//          running_mean ← (1 - momentum)·running_mean + momentum·μ_B,
//          running_var  ← (1 - momentum)·running_var  + momentum·σ²_B·M/(M - 1)  (unbiased, M values)
//   eval:  the same formula with running_mean and running_var (a fixed affine map).
// Params weight γ (C, init 1) and bias β (C, init 0) when affine; buffers running_mean (0) and
// running_var (1), saved with the model as PyTorch's state_dict names them.
#pragma once

#include <vector>

#include "gradnet/layer.h"

namespace gradnet {

std::vector<KeySpec> batch_norm_keys();  // momentum, eps, affine, track_running_stats

template <typename T>
class BatchNormLayer final : public Layer<T> {
 public:
  explicit BatchNormLayer(const LayerSpec& spec);
  std::string_view type() const override { return "batch_norm"; }
  Shape setup(const Shape& in, Index max_batch) override;
  void init(Rng& rng) override;
  void forward(ConstView<T> x, View<T> y, const StepContext& ctx) override;
  void backward(ConstView<T> x, ConstView<T> y, ConstView<T> dy, View<T>* dx) override;
  std::span<Param<T>> params() override { return params_; }
  std::span<Buffer<T>> buffers() override { return buffers_; }
  Attributes describe() const override;
  // The running statistics' update rate; SWA's recompute_batch_norm sets 1/(k+1) per batch (a
  // cumulative mean, PyTorch's momentum = None).
  double momentum() const { return momentum_; }
  void set_momentum(double momentum) { momentum_ = momentum; }

 private:
  Index index_;
  double momentum_, eps_;
  bool affine_, track_;
  Index c_ = 0, hw_ = 1;        // channels; positions per channel per example (1 for 1d)
  bool image_ = false;          // [C, H, W] input (BatchNorm2d)
  std::vector<Param<T>> params_;    // [weight (C), bias (C)] when affine
  std::vector<Buffer<T>> buffers_;  // [running_mean (C), running_var (C)] when tracking
  std::vector<T> mean_, rstd_;      // (C) the statistics the last forward normalised with
  std::vector<double> batch_mean_, batch_var_;  // (C) this forward's μ, σ² in double (batch or running)
  bool used_batch_stats_ = true;    // the last forward normalised with batch statistics
  // Synchronised batch norm (StepContext::sync_ranks): the ranks of the last forward, and this
  // rank's share of the global batch's values per channel.
  Communicator* sync_ = nullptr;
  double sync_share_ = 1.0, sync_count_ = 0.0;
  std::vector<double> sync_sums_;   // (3·C) the all-reduced sums
  void sync_statistics(double local_count);
  void sync_backward(ConstView<T> x, ConstView<T> dy, View<T>* dx);
};

}  // namespace gradnet
