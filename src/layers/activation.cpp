// Elementwise activations: options, checks and descriptions here; each pass is one kernel call
// over the N·D values (src/kernels/activation.h has the loops and the float fast paths).
//   x, y, dy, dx: (N, D), any per-example shape flattened.
#include "gradnet/layers/activation.h"

#include <algorithm>

#include "../kernels/activation.h"
#include "gradnet/error.h"

namespace gradnet {

std::vector<KeySpec> leaky_relu_keys() {
  return {{"slope", ValueKind::number, Value(0.01), "y = slope·x for x <= 0 (default 0.01, >= 0)", {}, 0.0, {}}};
}

std::vector<KeySpec> elu_keys() {
  return {{"alpha", ValueKind::number, Value(1.0), "y = alpha·(e^x - 1) for x <= 0 (default 1, >= 0)", {}, 0.0, {}}};
}

std::vector<KeySpec> gelu_keys() {
  return {{"approximate", ValueKind::string, Value(std::string("none")),
           "none: exact x·Φ(x) with erf (PyTorch's default); tanh: the tanh approximation (default none)",
           {"none", "tanh"}, {}, {}}};
}

// ---- sigmoid: y = σ(x), dx = dy·y(1-y)
template <typename T>
void SigmoidLayer<T>::forward(ConstView<T> x, View<T> y, const StepContext&) {
  kernels::sigmoid_forward(x.data, y.data, x.size());
}

template <typename T>
void SigmoidLayer<T>::backward(ConstView<T>, ConstView<T> y, ConstView<T> dy, View<T>* dx) {
  if (dx) kernels::sigmoid_backward(y.data, dy.data, dx->data, y.size());
}

// ---- tanh: y = tanh x, dx = dy·(1 - y²)
template <typename T>
void TanhLayer<T>::forward(ConstView<T> x, View<T> y, const StepContext&) {
  kernels::tanh_forward(x.data, y.data, x.size());
}

template <typename T>
void TanhLayer<T>::backward(ConstView<T>, ConstView<T> y, ConstView<T> dy, View<T>* dx) {
  if (dx) kernels::tanh_backward(y.data, dy.data, dx->data, y.size());
}

// ---- relu: y = max(x, 0), dx = dy·[x > 0] (0 at x = 0, as PyTorch)
template <typename T>
void ReluLayer<T>::forward(ConstView<T> x, View<T> y, const StepContext&) {
  kernels::relu_forward(x.data, y.data, x.size());
}

template <typename T>
void ReluLayer<T>::backward(ConstView<T> x, ConstView<T>, ConstView<T> dy, View<T>* dx) {
  if (dx) kernels::relu_backward(x.data, dy.data, dx->data, x.size());
}

// ---- leaky_relu: y = x > 0 ? x : slope·x, dx = dy·(x > 0 ? 1 : slope)
static double checked_slope(const LayerSpec& spec) {
  const double slope = spec.has("slope") ? spec.get_number("slope") : 0.01;
  GRADNET_CHECK(slope >= 0.0, config, "layers.{} (leaky_relu): slope = {}: expected a number >= 0", spec.index,
                slope);
  return slope;
}

template <typename T>
LeakyReluLayer<T>::LeakyReluLayer(const LayerSpec& spec) : LeakyReluLayer(checked_slope(spec)) {}

template <typename T>
void LeakyReluLayer<T>::forward(ConstView<T> x, View<T> y, const StepContext&) {
  kernels::leaky_relu_forward(x.data, y.data, x.size(), slope_);
}

template <typename T>
void LeakyReluLayer<T>::backward(ConstView<T> x, ConstView<T>, ConstView<T> dy, View<T>* dx) {
  if (dx) kernels::leaky_relu_backward(x.data, dy.data, dx->data, x.size(), slope_);
}

template <typename T>
Attributes LeakyReluLayer<T>::describe() const {
  return {{"slope", fmt::format("{}", static_cast<double>(slope_))}};
}

// ---- identity: y = x, dx = dy (a placeholder layer, e.g. to switch an activation off by config)
template <typename T>
void IdentityLayer<T>::forward(ConstView<T> x, View<T> y, const StepContext&) {
  std::copy(x.data, x.data + x.size(), y.data);
}

template <typename T>
void IdentityLayer<T>::backward(ConstView<T>, ConstView<T>, ConstView<T> dy, View<T>* dx) {
  if (dx) std::copy(dy.data, dy.data + dy.size(), dx->data);
}

// ---- elu: y = x > 0 ? x : α(e^x - 1), dx = dy·(x > 0 ? 1 : α·e^x) (α at x = 0, as PyTorch).
// dx from x, not as y + α: for x << 0, y + α cancels (x = -30: 4 digits lost).
static double checked_alpha(const LayerSpec& spec) {
  const double alpha = spec.has("alpha") ? spec.get_number("alpha") : 1.0;
  GRADNET_CHECK(alpha >= 0.0, config, "layers.{} (elu): alpha = {}: expected a number >= 0", spec.index, alpha);
  return alpha;
}

template <typename T>
EluLayer<T>::EluLayer(const LayerSpec& spec) : alpha_(static_cast<T>(checked_alpha(spec))) {}

template <typename T>
void EluLayer<T>::forward(ConstView<T> x, View<T> y, const StepContext&) {
  kernels::elu_forward(x.data, y.data, x.size(), alpha_);
}

template <typename T>
void EluLayer<T>::backward(ConstView<T> x, ConstView<T>, ConstView<T> dy, View<T>* dx) {
  if (dx) kernels::elu_backward(x.data, dy.data, dx->data, x.size(), alpha_);
}

template <typename T>
Attributes EluLayer<T>::describe() const {
  return {{"alpha", fmt::format("{}", static_cast<double>(alpha_))}};
}

// ---- gelu: y = x·Φ(x), Φ(x) = (1 + erf(x/√2))/2, dx = dy·(Φ(x) + x·φ(x)), φ(x) = e^(-x²/2)/√(2π).
// approximate = "tanh": y = x/2·(1 + tanh u), u = √(2/π)·(x + κx³), κ = 0.044715,
//   dx = dy·((1 + tanh u)/2 + x/2·(1 - tanh² u)·√(2/π)·(1 + 3κx²)).  PyTorch's formulas, term for term.
template <typename T>
GeluLayer<T>::GeluLayer(const LayerSpec& spec)
    : tanh_(spec.has("approximate") && spec.get_string("approximate") == "tanh") {
  const std::string a = spec.has("approximate") ? spec.get_string("approximate") : "none";
  GRADNET_CHECK(a == "none" || a == "tanh", config, "layers.{} (gelu): approximate = \"{}\": expected none or tanh",
                spec.index, a);
}

static kernels::GeluApproximation approximation(bool tanh) {
  return tanh ? kernels::GeluApproximation::tanh : kernels::GeluApproximation::none;
}

template <typename T>
void GeluLayer<T>::forward(ConstView<T> x, View<T> y, const StepContext&) {
  kernels::gelu_forward(x.data, y.data, x.size(), approximation(tanh_));
}

template <typename T>
void GeluLayer<T>::backward(ConstView<T> x, ConstView<T>, ConstView<T> dy, View<T>* dx) {
  if (dx) kernels::gelu_backward(x.data, dy.data, dx->data, x.size(), approximation(tanh_));
}

template <typename T>
Attributes GeluLayer<T>::describe() const {
  return {{"approximate", tanh_ ? "tanh" : "none"}};
}

// ---- silu (swish): y = x·σ(x), dx = dy·σ(x)·(1 + x(1 - σ(x))); σ recomputed from x in backward
template <typename T>
void SiluLayer<T>::forward(ConstView<T> x, View<T> y, const StepContext&) {
  kernels::silu_forward(x.data, y.data, x.size());
}

template <typename T>
void SiluLayer<T>::backward(ConstView<T> x, ConstView<T>, ConstView<T> dy, View<T>* dx) {
  if (dx) kernels::silu_backward(x.data, dy.data, dx->data, x.size());
}

template class SigmoidLayer<float>;
template class SigmoidLayer<double>;
template class TanhLayer<float>;
template class TanhLayer<double>;
template class ReluLayer<float>;
template class ReluLayer<double>;
template class LeakyReluLayer<float>;
template class LeakyReluLayer<double>;
template class IdentityLayer<float>;
template class IdentityLayer<double>;
template class EluLayer<float>;
template class EluLayer<double>;
template class GeluLayer<float>;
template class GeluLayer<double>;
template class SiluLayer<float>;
template class SiluLayer<double>;

}  // namespace gradnet
