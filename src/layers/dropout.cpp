// Inverted dropout and flatten.
//   dropout, train:  m = [u >= rate] / (1 - rate), u ~ U[0, 1) per element;  y = x ⊙ m;  dx = dy ⊙ m
//   dropout, eval:   y = x;  dx = dy
//   flatten:         y = x;  dx = dy   (shape [C, H, W] -> [C·H·W]; rows are already flat)
#include "gradnet/layers/dropout.h"

#include <algorithm>

#include "../kernels/activation.h"
#include "gradnet/error.h"

namespace gradnet {

std::vector<KeySpec> dropout_keys() {
  return {{"rate", ValueKind::number, Value(0.5),
           "probability of zeroing each element in training (default 0.5; PyTorch's p); eval keeps all", {}, 0.0,
           0.999999}};
}

template <typename T>
DropoutLayer<T>::DropoutLayer(const LayerSpec& spec)
    : index_(spec.index), rate_(spec.has("rate") ? spec.get_number("rate") : 0.5) {
  GRADNET_CHECK(rate_ >= 0.0 && rate_ < 1.0, config, "layers.{} (dropout): rate = {}: expected 0 <= rate < 1", index_,
                rate_);
}

template <typename T>
Shape DropoutLayer<T>::setup(const Shape& in, Index max_batch) {
  mask_.assign(static_cast<std::size_t>(max_batch * numel(in)), T(1));
  return in;
}

template <typename T>
void DropoutLayer<T>::forward(ConstView<T> x, View<T> y, const StepContext& ctx) {
  identity_ = ctx.mode == Mode::eval || rate_ == 0.0;
  const Index n = x.size();
  if (identity_) {
    std::copy(x.data, x.data + n, y.data);
    return;
  }
  GRADNET_ASSERT(ctx.rng != nullptr);  // the trainer gives every training step its stream
  // The mask draws stay here, in element order: they consume the step's stream (seeded, resumable).
  const T keep_scale = static_cast<T>(1.0 / (1.0 - rate_));
  const double rate = rate_;
  for (Index i = 0; i < n; ++i) mask_[i] = ctx.rng->uniform() >= rate ? keep_scale : T(0);
  kernels::apply_mask(x.data, mask_.data(), y.data, n);
}

template <typename T>
void DropoutLayer<T>::backward(ConstView<T> x, ConstView<T> /*y*/, ConstView<T> dy, View<T>* dx) {
  if (!dx) return;
  const Index n = x.size();
  if (identity_) {
    std::copy(dy.data, dy.data + n, dx->data);
    return;
  }
  kernels::apply_mask(dy.data, mask_.data(), dx->data, n);
}

template <typename T>
Attributes DropoutLayer<T>::describe() const {
  return {{"rate", std::to_string(rate_)}};
}

template <typename T>
void FlattenLayer<T>::forward(ConstView<T> x, View<T> y, const StepContext& /*ctx*/) {
  std::copy(x.data, x.data + x.size(), y.data);
}

template <typename T>
void FlattenLayer<T>::backward(ConstView<T> x, ConstView<T> /*y*/, ConstView<T> dy, View<T>* dx) {
  if (dx) std::copy(dy.data, dy.data + x.size(), dx->data);
}

template class DropoutLayer<float>;
template class DropoutLayer<double>;
template class FlattenLayer<float>;
template class FlattenLayer<double>;

}  // namespace gradnet
