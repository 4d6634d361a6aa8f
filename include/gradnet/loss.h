// Loss<T>: maps the net's output (N x K logits) and integer labels to the mean loss over the
// batch, and back to dL/dlogits. Losses:
//   softmax_cross_entropy: fused log-softmax + NLL (numerically stable: shift by the row max)
//   mse: mean over the batch of sum_k (y_k - onehot_k)^2 / K (PyTorch's MSELoss, mean over N*K)
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gradnet/enum_names.h"
#include "gradnet/tensor.h"

namespace gradnet {

enum class LossType { softmax_cross_entropy, mse };

template <>
struct EnumNames<LossType> {
  static constexpr std::array<std::string_view, 2> words = {"softmax_cross_entropy", "mse"};
};

template <typename T>
class Loss {
 public:
  virtual ~Loss() = default;
  virtual std::string_view type() const = 0;
  // in: the net's per-example output shape; classes: labels lie in [0, classes).
  // Throws Error{shape} when the output does not fit (e.g. 16 outputs for 10 classes).
  virtual void setup(const Shape& in, Index classes, Index max_batch) = 0;
  virtual double forward(ConstView<T> logits, const std::int32_t* labels) = 0;
  // Overwrites dlogits with dL/dlogits for the same logits and labels as forward().
  virtual void backward(ConstView<T> logits, const std::int32_t* labels, View<T> dlogits) = 0;
  // What the model predicts: class probabilities (softmax) or the raw outputs (mse).
  virtual void predict(ConstView<T> logits, View<T> out) const = 0;
};

template <typename T>
std::unique_ptr<Loss<T>> make_loss(LossType type);
template <typename T>
std::unique_ptr<Loss<T>> make_loss(const std::string& type);  // by name; Error{config} if unknown
std::vector<std::string> loss_types();

extern template class Loss<float>;
extern template class Loss<double>;

}  // namespace gradnet
