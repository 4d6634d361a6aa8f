// Losses over the net's output z (N, K) and integer labels, mean over the batch.
//   softmax_cross_entropy: L = (1/N) Σ_n [logsumexp(z_n) - z_n,label]     dz = (p - onehot) / N
//   mse (one-hot targets): L = (1/(N·K)) Σ_n,k (z_nk - t_nk)²             dz = 2 (z - t) / (N·K)
#include "gradnet/loss.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "gradnet/error.h"
#include "gradnet/value.h"

namespace gradnet {

template class Loss<float>;
template class Loss<double>;

namespace {

// The output must be a flat vector of K = classes entries (any shape of K elements is read flat).
void check_output(std::string_view loss, const Shape& in, Index classes) {
  GRADNET_CHECK(classes >= 1, data, "loss {}: the data has {} classes, expected at least 1", loss, classes);
  GRADNET_CHECK(numel(in) == classes, shape, "loss {}: the last layer gives {} outputs, the data has {} classes",
                loss, numel(in), classes);
}

// p = softmax(z) for one row, shifted by the row max so exp never overflows; returns
// log Σ exp(z - max) (the log-sum-exp without the max) and the max in *max_out.
template <typename T>
double softmax_row(const T* z, T* p, Index k, T* max_out = nullptr) {
  T zmax = z[0];
  for (Index j = 1; j < k; ++j) zmax = std::max(zmax, z[j]);
  T sum = T(0);
  for (Index j = 0; j < k; ++j) {
    p[j] = std::exp(z[j] - zmax);
    sum += p[j];
  }
  const T inv = T(1) / sum;  // sum >= 1 (the max term is e^0)
  for (Index j = 0; j < k; ++j) p[j] *= inv;
  if (max_out) *max_out = zmax;
  return std::log(static_cast<double>(sum));
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
  double forward(ConstView<T> z, const std::int32_t* labels) override {
    GRADNET_ASSERT(z.cols == k_ && z.size() <= static_cast<Index>(probs_.size()));
    double total = 0.0;
    for (Index n = 0; n < z.rows; ++n) {
      const T* zn = z.row(n);
      const std::int32_t c = labels[n];
      GRADNET_ASSERT(c >= 0 && c < k_);
      T zmax;
      const double lse = softmax_row(zn, probs_.data() + n * k_, k_, &zmax);
      // -log p_c = log Σ e^(z - max) - (z_c - max): exact even where p_c underflows to 0
      total += lse - static_cast<double>(zn[c] - zmax);
    }
    return z.rows > 0 ? total / static_cast<double>(z.rows) : 0.0;
  }

  // dz: (N, K) = (p - onehot) / N, from the p cached by forward()
  void backward(ConstView<T> z, const std::int32_t* labels, View<T> dz) override {
    const T inv_n = T(1) / static_cast<T>(z.rows);
    for (Index n = 0; n < z.rows; ++n) {
      const T* p = probs_.data() + n * k_;
      T* d = dz.row(n);
      for (Index j = 0; j < k_; ++j) d[j] = p[j] * inv_n;
      d[labels[n]] -= inv_n;
    }
  }

  void predict(ConstView<T> z, View<T> out) const override {
    for (Index n = 0; n < z.rows; ++n) softmax_row(z.row(n), out.row(n), k_);
  }

 private:
  Index k_ = 0;
  std::vector<T> probs_;  // (max_batch, K), sized once in setup()
};

template <typename T>
class MseLoss final : public Loss<T> {
 public:
  std::string_view type() const override { return "mse"; }

  void setup(const Shape& in, Index classes, Index /*max_batch*/) override {
    check_output(type(), in, classes);
    k_ = classes;
  }

  // z: (N, K)  t = onehot(labels)  -> Σ (z - t)² / (N·K)
  double forward(ConstView<T> z, const std::int32_t* labels) override {
    GRADNET_ASSERT(z.cols == k_);
    double total = 0.0;
    for (Index n = 0; n < z.rows; ++n) {
      const T* zn = z.row(n);
      GRADNET_ASSERT(labels[n] >= 0 && labels[n] < k_);
      for (Index j = 0; j < k_; ++j) {
        const double e = static_cast<double>(zn[j]) - (j == labels[n] ? 1.0 : 0.0);
        total += e * e;
      }
    }
    return z.rows > 0 ? total / static_cast<double>(z.rows * k_) : 0.0;
  }

  // dz: (N, K) = 2 (z - t) / (N·K)
  void backward(ConstView<T> z, const std::int32_t* labels, View<T> dz) override {
    const T scale = T(2) / static_cast<T>(z.rows * k_);
    for (Index n = 0; n < z.rows; ++n) {
      const T* zn = z.row(n);
      T* d = dz.row(n);
      for (Index j = 0; j < k_; ++j) d[j] = scale * zn[j];
      d[labels[n]] -= scale;
    }
  }

  void predict(ConstView<T> z, View<T> out) const override {
    std::copy(z.data, z.data + z.size(), out.data);
  }

 private:
  Index k_ = 0;
};

}  // namespace

std::vector<std::string> loss_types() { return enum_words<LossType>(); }

template <typename T>
std::unique_ptr<Loss<T>> make_loss(LossType type) {
  switch (type) {
    case LossType::softmax_cross_entropy: return std::make_unique<SoftmaxCrossEntropyLoss<T>>();
    case LossType::mse: return std::make_unique<MseLoss<T>>();
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
