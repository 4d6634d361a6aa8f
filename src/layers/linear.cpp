// Fully connected layer: y = x·Wᵀ + b, W (out, in) as in PyTorch, through OpenBLAS gemm.
//   forward:  y  (N, out) = x (N, in) · Wᵀ (in, out) + b
//   backward: dW (out, in) += dyᵀ (out, N) · x (N, in)      (beta 1: grads accumulate)
//             db (out)     += Σ_n dy[n, :]
//             dx (N, in)    = dy (N, out) · W (out, in)      (beta 0: dx is overwritten)
#include "gradnet/layers/linear.h"

#include <algorithm>
#include <cmath>

#include "../blas.h"
#include "gradnet/error.h"

namespace gradnet {

std::vector<KeySpec> linear_keys() {
  std::vector<KeySpec> keys;
  keys.push_back({"out", ValueKind::integer, std::nullopt, "output features (required, >= 1)", {}, 1.0, {}});
  keys.push_back({"bias", ValueKind::boolean, Value(true), "add a learned bias b (default true)", {}, {}, {}});
  for (KeySpec& k : init_keys("xavier_uniform")) keys.push_back(std::move(k));
  keys.push_back({"bias_init", ValueKind::string, Value(std::string("zeros")),
                  "bias initialiser: zeros, constant (bias_value) or fan_in_uniform = PyTorch's "
                  "U(-1/sqrt(in), 1/sqrt(in)) (default zeros)",
                  {"zeros", "constant", "fan_in_uniform"}, {}, {}});
  keys.push_back({"bias_value", ValueKind::number, Value(0.0), "bias_init = constant: the value (default 0)", {}, {},
                  {}});
  return keys;
}

template <typename T>
LinearLayer<T>::LinearLayer(const LayerSpec& spec)
    : index_(spec.index),
      out_(spec.get_int("out")),
      has_bias_(spec.has("bias") ? spec.get_bool("bias") : true),
      init_(init_spec_from(spec)),
      bias_init_(spec.has("bias_init") ? spec.get_string("bias_init") : "zeros"),
      bias_value_(spec.has("bias_value") ? spec.get_number("bias_value") : 0.0) {
  GRADNET_CHECK(out_ >= 1, config, "layers.{} (linear): out = {}: expected an integer >= 1", index_, out_);
  GRADNET_CHECK(bias_init_ == "zeros" || bias_init_ == "constant" || bias_init_ == "fan_in_uniform", config,
                "layers.{} (linear): bias_init = \"{}\": expected zeros, constant or fan_in_uniform", index_,
                bias_init_);
}

template <typename T>
Shape LinearLayer<T>::setup(const Shape& in, Index max_batch) {
  in_ = numel(in);
  GRADNET_CHECK(in_ >= 1, shape, "layers.{} (linear): input shape {} has no elements", index_, shape_str(in));
  params_.clear();
  params_.resize(has_bias_ ? 2 : 1);
  params_[0].name = "weight";
  params_[0].resize({out_, in_});
  if (has_bias_) {
    params_[1].name = "bias";
    params_[1].resize({out_});
  }
  return {out_};
}

template <typename T>
void LinearLayer<T>::init(Rng& rng) {
  // PyTorch's fans for a (out, in) weight: fan_in = in, fan_out = out.
  init_tensor(params_[0].value, init_, in_, out_, rng);
  if (!has_bias_) return;
  Tensor<T>& b = params_[1].value;
  if (bias_init_ == "zeros") {
    b.fill(T(0));
  } else if (bias_init_ == "constant") {
    b.fill(static_cast<T>(bias_value_));
  } else {  // fan_in_uniform: nn.Linear.reset_parameters
    const double bound = 1.0 / std::sqrt(static_cast<double>(in_));
    for (Index i = 0; i < b.size(); ++i) b[i] = static_cast<T>(rng.uniform(-bound, bound));
  }
}

template <typename T>
void LinearLayer<T>::forward(ConstView<T> x, View<T> y, const StepContext& /*ctx*/) {
  // x: (N, in)  y: (N, out)
  const Index n = x.rows;
  if (n == 0) return;
  const T* w = params_[0].value.data();
  T beta = T(0);
  if (has_bias_) {  // y = b broadcast, then gemm adds x·Wᵀ on top (beta 1): one pass over y
    const T* b = params_[1].value.data();
    for (Index i = 0; i < n; ++i) std::copy(b, b + out_, y.row(i));
    beta = T(1);
  }
  gemm<T>(false, true, n, out_, in_, T(1), x.data, in_, w, in_, beta, y.data, out_);
}

template <typename T>
void LinearLayer<T>::backward(ConstView<T> x, ConstView<T> /*y*/, ConstView<T> dy, View<T>* dx) {
  // x: (N, in)  dy: (N, out)  dW: (out, in)  db: (out)  dx: (N, in)
  const Index n = x.rows;
  if (n == 0) return;
  T* dw = params_[0].grad.data();
  gemm<T>(true, false, out_, in_, n, T(1), dy.data, out_, x.data, in_, T(1), dw, in_);
  if (has_bias_) {
    T* db = params_[1].grad.data();
    for (Index i = 0; i < n; ++i) {
      const T* dyi = dy.row(i);
      for (Index j = 0; j < out_; ++j) db[j] += dyi[j];
    }
  }
  if (dx) gemm<T>(false, false, n, in_, out_, T(1), dy.data, out_, params_[0].value.data(), in_, T(0), dx->data, in_);
}

template <typename T>
Attributes LinearLayer<T>::describe() const {
  return {{"in", std::to_string(in_)},
          {"out", std::to_string(out_)},
          {"bias", has_bias_ ? "true" : "false"},
          {"init", init_.method},
          {"bias_init", bias_init_}};
}

template class LinearLayer<float>;
template class LinearLayer<double>;

}  // namespace gradnet
