// Losses over the net's output z (N, K) and integer labels or dense targets, mean over the batch.
//   softmax_cross_entropy: L = (1/N) Σ_n [logsumexp(z_n) - z_n,label]     dz = (p - onehot) / N
//   mse (one-hot or dense t): L = (1/(N·K)) Σ_n,k (z_nk - t_nk)²          dz = 2 (z - t) / (N·K)
//   bce_with_logits: L = (1/(N·K)) Σ max(z, 0) - z t + log1p(e^-|z|)      dz = (σ(z) - t) / (N·K)
// The arithmetic is in kernels (src/kernels/softmax.h, loss_targets.h); a loss checks shapes,
// labels and the kind of targets it was set up for.
#include "gradnet/loss.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "gradnet/error.h"
#include "gradnet/value.h"
#include "kernels/loss_targets.h"
#include "kernels/softmax.h"

namespace gradnet {

template <typename T>
void Loss<T>::setup_dense(const Shape& /*in*/, Index /*max_batch*/) {
  fail(ErrorKind::config, "model.loss = \"{}\" needs class labels; a reconstruction model (model.target = "
       "\"input\") takes mse or bce_with_logits", type());
}

template class Loss<float>;
template class Loss<double>;

namespace {

// The output must be a flat vector of K = classes entries (any shape of K elements is read flat).
void check_output(std::string_view loss, const Shape& in, Index classes) {
  GRADNET_CHECK(classes >= 1, data, "loss {}: the data has {} classes, expected at least 1", loss, classes);
  GRADNET_CHECK(numel(in) == classes, shape, "loss {}: the last layer gives {} outputs, the data has {} classes",
                loss, numel(in), classes);
}

// Labels must lie in [0, classes): the kernels index with them unchecked.
void check_labels(const std::int32_t* labels, Index n, Index classes) {
  for (Index i = 0; i < n; ++i) GRADNET_ASSERT(labels[i] >= 0 && labels[i] < classes);
}

template <typename T>
class SoftmaxCrossEntropyLoss final : public Loss<T> {
 public:
  std::string_view type() const override { return "softmax_cross_entropy"; }

  void setup(const Shape& in, Index classes, Index max_batch) override {
    check_output(type(), in, classes);
    k_ = classes;
    probs_.assign(static_cast<std::size_t>(max_batch * k_), T(0));
  }

  // z: (N, K)  labels: (N)  -> mean NLL; caches p (N, K) for backward
  double forward(ConstView<T> z, Targets<T> t) override {
    GRADNET_ASSERT(z.cols == k_ && z.size() <= static_cast<Index>(probs_.size()) && t.labels);
    check_labels(t.labels, z.rows, k_);
    return kernels::softmax_cross_entropy_forward(z.data, t.labels, probs_.data(), z.rows, k_);
  }

  // dz: (N, K) = (p - onehot) / N, from the p cached by forward()
  void backward(ConstView<T> z, Targets<T> t, View<T> dz) override {
    kernels::softmax_cross_entropy_backward(probs_.data(), t.labels, dz.data, z.rows, k_);
  }

  void predict(ConstView<T> z, View<T> out) const override { kernels::softmax_rows(z.data, out.data, z.rows, k_); }

 private:
  Index k_ = 0;
  std::vector<T> probs_;  // (max_batch, K), sized once in setup()
};

// A loss over each of an example's K outputs: K = the classes (labels, one-hot targets) or, for
// a reconstruction, the output's size (dense targets).
template <typename T>
class ElementwiseLoss : public Loss<T> {
 public:
  void setup(const Shape& in, Index classes, Index /*max_batch*/) override {
    check_output(this->type(), in, classes);
    k_ = classes;
    dense_ = false;
  }
  void setup_dense(const Shape& in, Index /*max_batch*/) override {
    k_ = numel(in);
    dense_ = true;
  }

 protected:
  Index k_ = 0;
  bool dense_ = false;
};

template <typename T>
class MseLoss final : public ElementwiseLoss<T> {
  using ElementwiseLoss<T>::k_;
  using ElementwiseLoss<T>::dense_;

 public:
  std::string_view type() const override { return "mse"; }

  // z: (N, K)  t = onehot(labels) or the dense rows  -> Σ (z - t)² / (N·K)
  double forward(ConstView<T> z, Targets<T> t) override {
    GRADNET_ASSERT(z.cols == k_ && dense_ == (t.values != nullptr));
    if (dense_) return kernels::mse_targets_forward(z.data, kernels::LossTargets<T>{t.values, nullptr}, z.rows, k_);
    check_labels(t.labels, z.rows, k_);
    return kernels::mse_forward(z.data, t.labels, z.rows, k_);
  }

  // dz: (N, K) = 2 (z - t) / (N·K)
  void backward(ConstView<T> z, Targets<T> t, View<T> dz) override {
    if (dense_) return kernels::mse_targets_backward(z.data, kernels::LossTargets<T>{t.values, nullptr}, dz.data, z.rows, k_);
    kernels::mse_backward(z.data, t.labels, dz.data, z.rows, k_);
  }

  void predict(ConstView<T> z, View<T> out) const override {
    std::copy(z.data, z.data + z.size(), out.data);
  }
};

template <typename T>
class BceWithLogitsLoss final : public ElementwiseLoss<T> {
  using ElementwiseLoss<T>::k_;
  using ElementwiseLoss<T>::dense_;

 public:
  std::string_view type() const override { return "bce_with_logits"; }

  double forward(ConstView<T> z, Targets<T> t) override {
    GRADNET_ASSERT(z.cols == k_ && dense_ == (t.values != nullptr));
    if (!dense_) check_labels(t.labels, z.rows, k_);  // dense targets: [0, 1] by the config's rule
    return kernels::bce_logits_forward(z.data, kernels::LossTargets<T>{t.values, t.labels}, z.rows, k_);
  }

  // dz: (N, K) = (σ(z) - t) / (N·K)
  void backward(ConstView<T> z, Targets<T> t, View<T> dz) override {
    kernels::bce_logits_backward(z.data, kernels::LossTargets<T>{t.values, t.labels}, dz.data, z.rows, k_);
  }

  void predict(ConstView<T> z, View<T> out) const override { kernels::sigmoid_rows(z.data, out.data, z.rows, k_); }

};

}  // namespace

std::vector<std::string> loss_types() { return enum_words<LossType>(); }

template <typename T>
std::unique_ptr<Loss<T>> make_loss(LossType type) {
  switch (type) {
    case LossType::softmax_cross_entropy: return std::make_unique<SoftmaxCrossEntropyLoss<T>>();
    case LossType::mse: return std::make_unique<MseLoss<T>>();
    case LossType::bce_with_logits: return std::make_unique<BceWithLogitsLoss<T>>();
  }
  GRADNET_ASSERT(false);
  return nullptr;
}

template <typename T>
std::unique_ptr<Loss<T>> make_loss(const std::string& type) {
  if (const std::optional<LossType> known = parse_enum<LossType>(type)) return make_loss<T>(*known);
  const auto hint = closest_match(type, loss_types());
  fail(ErrorKind::config, "model.loss: unknown loss '{}'{}; known: {}", type,
       hint ? " (did you mean '" + *hint + "'?)" : std::string(), fmt::join(loss_types(), ", "));
}

template std::unique_ptr<Loss<float>> make_loss<float>(LossType);
template std::unique_ptr<Loss<double>> make_loss<double>(LossType);
template std::unique_ptr<Loss<float>> make_loss<float>(const std::string&);
template std::unique_ptr<Loss<double>> make_loss<double>(const std::string&);

}  // namespace gradnet
