// NormLayer: the forward and backward shared by layer_norm, group_norm and instance_norm (the
// formulas are in norm.h), and layer_norm itself. An example's G·M features split into G groups of
// M consecutive values; the affine weight w and bias b hold one value per `inner` consecutive
// features (inner = 1: per feature, layer_norm; inner = H·W: per channel).
//   x, y, dy, dx: (N, G·M)   mean, rstd: (N, G)   w, b, dw, db: (G·M / inner)
// Sums run in double for float too (a 64x64 map is 4096 values; float sums would lose ~3 digits).
// The loops are kernels::group_norm_* (src/kernels/norm.h); this file plans the buffers.
#include <fmt/format.h>

#include "../kernels/norm.h"
#include "gradnet/error.h"
#include "gradnet/layers/norm.h"

namespace gradnet {

namespace {

KeySpec eps_key() {
  return {"eps", ValueKind::number, Value(1e-5), "added to the variance before the square root (default 1e-5, >= 0)",
          {}, 0.0, {}};
}

KeySpec affine_key(bool default_affine) {
  return {"affine", ValueKind::boolean, Value(default_affine),
          fmt::format("learn a weight (init 1) and a bias (init 0) (default {})", default_affine), {}, {}, {}};
}

}  // namespace

std::vector<KeySpec> layer_norm_keys() { return {eps_key(), affine_key(true)}; }

std::vector<KeySpec> group_norm_keys() {
  return {{"groups", ValueKind::integer, std::nullopt, "channel groups (required, >= 1; must divide the channels)",
           {}, 1.0, {}},
          {"channels", ValueKind::integer, Value(std::int64_t{0}),
           "expected input channels, checked at setup (PyTorch's num_channels; default 0: any)", {}, 0.0, {}},
          eps_key(),
          affine_key(true)};
}

std::vector<KeySpec> instance_norm_keys() {
  return {{"channels", ValueKind::integer, Value(std::int64_t{0}),
           "expected input channels, checked at setup (PyTorch's num_features; default 0: any)", {}, 0.0, {}},
          eps_key(),
          affine_key(false)};
}

template <typename T>
NormLayer<T>::NormLayer(const LayerSpec& spec, bool default_affine)
    : index_(spec.index),
      eps_(spec.has("eps") ? spec.get_number("eps") : 1e-5),
      affine_(spec.has("affine") ? spec.get_bool("affine") : default_affine) {
  GRADNET_CHECK(eps_ >= 0.0, config, "layers.{} ({}): eps = {}: expected a number >= 0", index_, spec.type, eps_);
}

template <typename T>
void NormLayer<T>::plan(Index max_batch, Index groups, Index group_size, Index inner, const Shape& param_shape) {
  groups_ = groups;
  group_size_ = group_size;
  inner_ = inner;
  mean_.assign(static_cast<std::size_t>(max_batch * groups), T(0));
  rstd_.assign(mean_.size(), T(0));
  params_.clear();
  if (!affine_) return;
  params_.resize(2);
  params_[0].name = "weight";
  params_[0].resize(param_shape);
  params_[1].name = "bias";
  params_[1].resize(param_shape);
}

template <typename T>
void NormLayer<T>::init(Rng& /*rng*/) {
  if (!affine_) return;  // PyTorch's reset_parameters: ones and zeros
  params_[0].value.fill(T(1));
  params_[1].value.fill(T(0));
}

template <typename T>
void NormLayer<T>::forward(ConstView<T> x, View<T> y, const StepContext& /*ctx*/) {
  // x, y: (N, G·M)   mean_, rstd_: (N, G)   w, b: (G·M / inner)
  const T* w = affine_ ? params_[0].value.data() : nullptr;
  const T* b = affine_ ? params_[1].value.data() : nullptr;
  const kernels::GroupLayout l{groups_, group_size_, inner_};
  kernels::group_norm_forward(l, x.rows, x.data, eps_, w, b, y.data, mean_.data(), rstd_.data());
}

template <typename T>
void NormLayer<T>::backward(ConstView<T> x, ConstView<T> /*y*/, ConstView<T> dy, View<T>* dx) {
  // x, dy, dx: (N, G·M)   dw, db: (G·M / inner) +=
  const T* w = affine_ ? params_[0].value.data() : nullptr;
  T* dw = affine_ ? params_[0].grad.data() : nullptr;
  T* db = affine_ ? params_[1].grad.data() : nullptr;
  const kernels::GroupLayout l{groups_, group_size_, inner_};
  kernels::group_norm_backward(l, x.rows, x.data, dy.data, mean_.data(), rstd_.data(), w, dw, db,
                               dx ? dx->data : nullptr);
}

template <typename T>
Attributes NormLayer<T>::describe() const {
  return {{"eps", fmt::format("{}", eps_)}, {"affine", affine_ ? "true" : "false"}};
}

// ---- layer_norm: one group of all D = numel(in) features; weight, bias shaped like the input.
template <typename T>
LayerNormLayer<T>::LayerNormLayer(const LayerSpec& spec) : NormLayer<T>(spec, true) {}

template <typename T>
Shape LayerNormLayer<T>::setup(const Shape& in, Index max_batch) {
  const Index d = numel(in);
  GRADNET_CHECK(d >= 1, shape, "layers.{} (layer_norm): input shape {} has no elements", this->index_,
                shape_str(in));
  this->plan(max_batch, 1, d, 1, in);
  return in;
}

template class NormLayer<float>;
template class NormLayer<double>;
template class LayerNormLayer<float>;
template class LayerNormLayer<double>;

}  // namespace gradnet
