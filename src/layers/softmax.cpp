// softmax / log_softmax over the channel axis (see softmax.h). An example is (C, S): channel c,
// position p at c·S + p; the loops are kernels (src/kernels/softmax.h).
//   x, y, dy, dx: (N, C·S)   max_, sum_: (S), the kernels' work rows, reused for each example
#include "gradnet/layers/softmax.h"

#include <fmt/format.h>

#include "../kernels/softmax.h"
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

static kernels::SoftmaxKind kind(bool log) {
  return log ? kernels::SoftmaxKind::log_softmax : kernels::SoftmaxKind::softmax;
}

template <typename T>
void SoftmaxLayer<T>::forward(ConstView<T> x, View<T> y, const StepContext& /*ctx*/) {
  kernels::softmax_forward(kind(log_), x.data, y.data, x.rows, channels_, inner_, max_.data(), sum_.data());
}

template <typename T>
void SoftmaxLayer<T>::backward(ConstView<T> /*x*/, ConstView<T> y, ConstView<T> dy, View<T>* dx) {
  if (dx) kernels::softmax_backward(kind(log_), y.data, dy.data, dx->data, y.rows, channels_, inner_, sum_.data());
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
