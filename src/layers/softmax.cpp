// softmax / log_softmax over the channel axis (see softmax.h). An example is (C, S): channel c,
// position p at c·S + p; the loops run over c outside and p inside, so every pass is contiguous.
//   x, y, dy, dx: (N, C·S)   max_, sum_: (S), reused for each example
#include "gradnet/layers/softmax.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "gradnet/error.h"

namespace gradnet {

std::vector<KeySpec> softmax_keys() {
  return {{"dim", ValueKind::string, Value(std::string("channel")),
           "channel: over C at each position of a [C, ...] input, PyTorch's dim=1 (over all of a [D] input); "
           "all: over every feature of the example (default channel)",
           {"channel", "all"}, {}, {}}};
}

template <typename T>
SoftmaxLayer<T>::SoftmaxLayer(const LayerSpec& spec) : SoftmaxLayer(spec, false) {}

template <typename T>
SoftmaxLayer<T>::SoftmaxLayer(const LayerSpec& spec, bool log)
    : log_(log), all_(spec.has("dim") && spec.get_string("dim") == "all"), index_(spec.index) {
  const std::string dim = spec.has("dim") ? spec.get_string("dim") : "channel";
  GRADNET_CHECK(dim == "channel" || dim == "all", config, "layers.{} ({}): dim = \"{}\": expected channel or all",
                index_, type(), dim);
}

template <typename T>
Shape SoftmaxLayer<T>::setup(const Shape& in, Index /*max_batch*/) {
  const Index d = numel(in);
  GRADNET_CHECK(d >= 1, shape, "layers.{} ({}): input shape {} has no elements", index_, type(), shape_str(in));
  const bool flat = all_ || in.size() <= 1;
  channels_ = flat ? d : in[0];
  inner_ = d / channels_;
  max_.assign(static_cast<std::size_t>(inner_), T(0));
  sum_.assign(max_.size(), T(0));
  return in;
}

template <typename T>
void SoftmaxLayer<T>::forward(ConstView<T> x, View<T> y, const StepContext& /*ctx*/) {
  const Index c_n = channels_, s_n = inner_;
  T* __restrict mx = max_.data();
  T* __restrict sm = sum_.data();
  for (Index i = 0; i < x.rows; ++i) {
    const T* __restrict xi = x.row(i);
    T* __restrict yi = y.row(i);
    std::copy(xi, xi + s_n, mx);
    for (Index c = 1; c < c_n; ++c)
      for (Index p = 0; p < s_n; ++p) mx[p] = std::max(mx[p], xi[c * s_n + p]);
    std::fill(sm, sm + s_n, T(0));
    for (Index c = 0; c < c_n; ++c) {
      for (Index p = 0; p < s_n; ++p) {
        const T e = std::exp(xi[c * s_n + p] - mx[p]);
        yi[c * s_n + p] = e;
        sm[p] += e;  // >= 1: the max's own term is e^0
      }
    }
    if (log_) {  // y = x − (m + log Σ)
      for (Index p = 0; p < s_n; ++p) sm[p] = mx[p] + std::log(sm[p]);
      for (Index c = 0; c < c_n; ++c)
        for (Index p = 0; p < s_n; ++p) yi[c * s_n + p] = xi[c * s_n + p] - sm[p];
    } else {  // y = e / Σ
      for (Index p = 0; p < s_n; ++p) sm[p] = T(1) / sm[p];
      for (Index c = 0; c < c_n; ++c)
        for (Index p = 0; p < s_n; ++p) yi[c * s_n + p] *= sm[p];
    }
  }
}

template <typename T>
void SoftmaxLayer<T>::backward(ConstView<T> /*x*/, ConstView<T> y, ConstView<T> dy, View<T>* dx) {
  if (!dx) return;
  const Index c_n = channels_, s_n = inner_;
  T* __restrict sm = sum_.data();
  for (Index i = 0; i < y.rows; ++i) {
    const T* __restrict yi = y.row(i);
    const T* __restrict gi = dy.row(i);
    T* __restrict di = dx->row(i);
    std::fill(sm, sm + s_n, T(0));
    if (log_) {  // dx = dy − e^y · Σ dy
      for (Index c = 0; c < c_n; ++c)
        for (Index p = 0; p < s_n; ++p) sm[p] += gi[c * s_n + p];
      for (Index c = 0; c < c_n; ++c)
        for (Index p = 0; p < s_n; ++p) di[c * s_n + p] = gi[c * s_n + p] - std::exp(yi[c * s_n + p]) * sm[p];
    } else {  // dx = y ⊙ (dy − Σ dy·y)
      for (Index c = 0; c < c_n; ++c)
        for (Index p = 0; p < s_n; ++p) sm[p] += gi[c * s_n + p] * yi[c * s_n + p];
      for (Index c = 0; c < c_n; ++c)
        for (Index p = 0; p < s_n; ++p) di[c * s_n + p] = yi[c * s_n + p] * (gi[c * s_n + p] - sm[p]);
    }
  }
}

template <typename T>
Attributes SoftmaxLayer<T>::describe() const {
  return {{"dim", all_ ? "all" : "channel"}};
}

template class SoftmaxLayer<float>;
template class SoftmaxLayer<double>;
template class LogSoftmaxLayer<float>;
template class LogSoftmaxLayer<double>;

}  // namespace gradnet
