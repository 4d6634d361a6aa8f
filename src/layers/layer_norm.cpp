// NormLayer: the forward and backward shared by layer_norm, group_norm and instance_norm (the
// formulas are in norm.h), and layer_norm itself. An example's G·M features split into G groups of
// M consecutive values; the affine weight w and bias b hold one value per `inner` consecutive
// features (inner = 1: per feature, layer_norm; inner = H·W: per channel).
//   x, y, dy, dx: (N, G·M)   mean, rstd: (N, G)   w, b, dw, db: (G·M / inner)
// Sums run in double for float too (a 64x64 map is 4096 values; float sums would lose ~3 digits).
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

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
  // x, y: (N, G·M)   mean_, rstd_: (N, G)   w, b: (G·per), per = M / inner weights per group
  const Index n = x.rows, m = group_size_, per = m / inner_;
  const T* w = affine_ ? params_[0].value.data() : nullptr;
  const T* b = affine_ ? params_[1].value.data() : nullptr;
  for (Index i = 0; i < n; ++i) {
    for (Index g = 0; g < groups_; ++g) {
      const T* xg = x.row(i) + g * m;
      T* yg = y.row(i) + g * m;
      double sum = 0.0;
      for (Index j = 0; j < m; ++j) sum += xg[j];
      const double mu = sum / static_cast<double>(m);
      double sq = 0.0;  // two passes: no cancellation in E[x²] − μ²
      for (Index j = 0; j < m; ++j) sq += (xg[j] - mu) * (xg[j] - mu);
      const double var = sq / static_cast<double>(m);  // biased, as PyTorch normalises
      const T mean = static_cast<T>(mu), r = static_cast<T>(1.0 / std::sqrt(var + eps_));
      mean_[i * groups_ + g] = mean;
      rstd_[i * groups_ + g] = r;
      if (!affine_) {
        for (Index j = 0; j < m; ++j) yg[j] = (xg[j] - mean) * r;
        continue;
      }
      for (Index c = 0; c < per; ++c) {
        const T wc = w[g * per + c] * r, bc = b[g * per + c];
        const T* xc = xg + c * inner_;
        T* yc = yg + c * inner_;
        for (Index p = 0; p < inner_; ++p) yc[p] = (xc[p] - mean) * wc + bc;
      }
    }
  }
}

template <typename T>
void NormLayer<T>::backward(ConstView<T> x, ConstView<T> /*y*/, ConstView<T> dy, View<T>* dx) {
  // x, dy, dx: (N, G·M)   dw, db: (G·per) +=
  const Index n = x.rows, m = group_size_, per = m / inner_;
  const T* w = affine_ ? params_[0].value.data() : nullptr;
  T* dw = affine_ ? params_[0].grad.data() : nullptr;
  T* db = affine_ ? params_[1].grad.data() : nullptr;
  for (Index i = 0; i < n; ++i) {
    for (Index g = 0; g < groups_; ++g) {
      const T* xg = x.row(i) + g * m;
      const T* dyg = dy.row(i) + g * m;
      const T mean = mean_[i * groups_ + g], r = rstd_[i * groups_ + g];
      // Pass 1: s1 = Σ dy·w, s2 = Σ dy·w·x̂ over the group; dw, db per weight.
      double s1 = 0.0, s2 = 0.0;
      for (Index c = 0; c < per; ++c) {
        const T* xc = xg + c * inner_;
        const T* dyc = dyg + c * inner_;
        double dwc = 0.0, dbc = 0.0;
        for (Index p = 0; p < inner_; ++p) {
          const T xhat = (xc[p] - mean) * r;
          dwc += dyc[p] * xhat;
          dbc += dyc[p];
        }
        const double wc = affine_ ? w[g * per + c] : 1.0;
        s1 += wc * dbc;
        s2 += wc * dwc;
        if (affine_) {
          dw[g * per + c] += static_cast<T>(dwc);
          db[g * per + c] += static_cast<T>(dbc);
        }
      }
      if (!dx) continue;
      // Pass 2: dx = rstd·(dy·w − s1/M − x̂·s2/M).
      const T a = static_cast<T>(s1 / static_cast<double>(m)), bb = static_cast<T>(s2 / static_cast<double>(m));
      T* dxg = dx->row(i) + g * m;
      for (Index c = 0; c < per; ++c) {
        const T wc = affine_ ? w[g * per + c] : T(1);
        const T* xc = xg + c * inner_;
        const T* dyc = dyg + c * inner_;
        T* dxc = dxg + c * inner_;
        for (Index p = 0; p < inner_; ++p) dxc[p] = r * (dyc[p] * wc - a - (xc[p] - mean) * r * bb);
      }
    }
  }
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
