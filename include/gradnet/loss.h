// Loss<T>: maps the net's output (N x K logits) and its targets to the mean loss over the batch,
// and back to dL/dlogits. The targets are integer labels (a classifier) or dense rows of K values
// (a reconstruction model, model.target = "input": the clean input itself). Losses:
//   softmax_cross_entropy: fused log-softmax + NLL (numerically stable: shift by the row max); labels only
//   mse: mean over N*K of (y - t)^2, t one-hot or dense (PyTorch's MSELoss)
//   bce_with_logits: mean over N*K of BCE(sigmoid(y), t), t one-hot or dense in [0, 1], in the
//     stable form max(y, 0) - y t + log1p(e^-|y|) (PyTorch's BCEWithLogitsLoss)
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gradnet/enum_names.h"
#include "gradnet/tensor.h"

namespace gradnet {

enum class LossType { softmax_cross_entropy, mse, bce_with_logits };

template <>
struct EnumNames<LossType> {
  static constexpr std::array<std::string_view, 3> words = {"softmax_cross_entropy", "mse", "bce_with_logits"};
};

// What the net's output is compared with (model.target): the class labels, or the input itself
// (an autoencoder: the output must have as many values as the input).
enum class TargetKind { labels, input };

template <>
struct EnumNames<TargetKind> {
  static constexpr std::array<std::string_view, 2> words = {"labels", "input"};
};

// A batch's targets: labels (N) or, when values is set, dense rows (N, K). Built implicitly from a
// label pointer, so a classifier's call sites pass their labels as they are.
template <typename T>
struct Targets {
  const std::int32_t* labels = nullptr;
  const T* values = nullptr;
  Targets(const std::int32_t* class_labels) : labels(class_labels) {}  // NOLINT: implicit on purpose
  static Targets dense(const T* rows) {
    Targets t(nullptr);
    t.values = rows;
    return t;
  }
};

template <typename T>
class Loss {
 public:
  virtual ~Loss() = default;
  virtual std::string_view type() const = 0;
  // in: the net's per-example output shape; classes: labels lie in [0, classes).
  // Throws Error{shape} when the output does not fit (e.g. 16 outputs for 10 classes).
  virtual void setup(const Shape& in, Index classes, Index max_batch) = 0;
  // Dense targets of numel(in) values per example instead of labels. Error{config} for a loss
  // that needs labels (softmax_cross_entropy).
  virtual void setup_dense(const Shape& in, Index max_batch);
  virtual double forward(ConstView<T> logits, Targets<T> targets) = 0;
  // Overwrites dlogits with dL/dlogits for the same logits and targets as forward().
  virtual void backward(ConstView<T> logits, Targets<T> targets, View<T> dlogits) = 0;
  // What the model predicts: class probabilities (softmax), the raw outputs (mse) or sigmoid(y)
  // (bce_with_logits: per-output probabilities, an autoencoder's reconstruction).
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
