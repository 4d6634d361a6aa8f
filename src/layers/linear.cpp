// Fully connected layer: y = x·Wᵀ + b, W (out, in) as in PyTorch; kernels::gemm and the bias kernels.
//   forward:  y  (N, out) = x (N, in) · Wᵀ (in, out) + b
//   backward: dW (out, in) += dyᵀ (out, N) · x (N, in)      (beta 1: grads accumulate)
//             db (out)     += Σ_n dy[n, :]
//             dx (N, in)    = dy (N, out) · W (out, in)      (beta 0: dx is overwritten)
// weight_norm: W = g·v/‖v‖ is computed by forward into a planned buffer; backward writes dW there
// (beta 0) and WeightNorm::backward accumulates dg, dv from it (weight_norm.h).
// tied_to = "layers.j": W = W_jᵀ with W_j (in, out) owned by layer j, so
//   forward:  y  = x · W_j + b;   backward: dW_j (in, out) += xᵀ · dy,  dx = dy · W_jᵀ.
// precision = "bf16" (float): the same products on bf16 copies (kernels/bf16.h): x and W rounded
// by forward, dy by backward, which reuses forward's copies of x and W.
#include "gradnet/layers/linear.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <type_traits>

#include "../kernels/dense.h"
#include "../kernels/bf16.h"
#include "../kernels/gemm.h"
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
                  enum_words<BiasInit>(), {}, {}});
  keys.push_back({"bias_value", ValueKind::number, Value(0.0), "bias_init = constant: the value (default 0)", {}, {},
                  {}});
  keys.push_back({"weight_norm", ValueKind::boolean, Value(false),
                  "learn W = g·v/‖v‖ per output row (Salimans & Kingma; params weight_g (out, 1), weight_v (out, in)); "
                  "init fills v and sets g = ‖v‖ (default false)",
                  {}, {}, {}});
  keys.push_back({"tied_to", ValueKind::string, Value(std::string()),
                  "\"layers.j\": use the transpose of linear layer j's weight (an earlier layer with out = this "
                  "layer's input size) instead of a weight of its own, as a tied autoencoder decoder; the bias "
                  "stays this layer's (default \"\": untied)",
                  {}, {}, {}});
  keys.push_back({"precision", ValueKind::string, Value(std::string("float")),
                  "float products' inputs: \"float\", or \"bf16\" (x, W and dy rounded to bfloat16, summed and "
                  "written in float, W itself kept float; needs AVX512-BF16; not with tied_to or weight_norm); "
                  "double is never rounded (default \"float\")",
                  {"float", "bf16"}, {}, {}});
  return keys;
}

namespace {

// "layers.12" -> 12; -1 for "" (untied). Error{config} naming the layer and key otherwise.
Index parse_tied_to(const LayerSpec& spec) {
  if (!spec.has("tied_to")) return -1;
  const std::string& v = spec.get_string("tied_to");
  if (v.empty()) return -1;
  const std::string prefix = "layers.";
  const std::string digits = v.rfind(prefix, 0) == 0 ? v.substr(prefix.size()) : std::string();
  const bool ok = !digits.empty() && digits.size() <= 9 &&
                  std::all_of(digits.begin(), digits.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
  GRADNET_CHECK(ok, config, "layers.{} (linear): tied_to = \"{}\": expected \"layers.<index>\" of an earlier linear layer",
                spec.index, v);
  const Index j = static_cast<Index>(std::stoll(digits));
  GRADNET_CHECK(j < spec.index, config,
                "layers.{} (linear): tied_to = \"{}\": expected an earlier layer, layers.0 to layers.{}", spec.index, v,
                spec.index - 1);
  return j;
}

}  // namespace

template <typename T>
LinearLayer<T>::LinearLayer(const LayerSpec& spec)
    : index_(spec.index),
      out_(spec.get_int("out")),
      has_bias_(spec.has("bias") ? spec.get_bool("bias") : true),
      init_(init_spec_from(spec)),
      bias_init_(BiasInit::zeros),
      bias_value_(spec.has("bias_value") ? spec.get_number("bias_value") : 0.0),
      weight_norm_(spec.has("weight_norm") && spec.get_bool("weight_norm")),
      tied_to_(parse_tied_to(spec)),
      bf16_(spec.has("precision") && spec.get_string("precision") == "bf16") {
  GRADNET_CHECK(out_ >= 1, config, "layers.{} (linear): out = {}: expected an integer >= 1", index_, out_);
  const std::string bias_init = spec.has("bias_init") ? spec.get_string("bias_init") : "zeros";
  const std::optional<BiasInit> parsed = parse_enum<BiasInit>(bias_init);
  GRADNET_CHECK(parsed.has_value(), config,
                "layers.{} (linear): bias_init = \"{}\": expected zeros, constant or fan_in_uniform", index_,
                bias_init);
  bias_init_ = *parsed;
  GRADNET_CHECK(tied_to_ < 0 || !weight_norm_, config,
                "layers.{} (linear): tied_to and weight_norm = true exclude each other: a tied layer has no weight "
                "of its own to normalise", index_);
  GRADNET_CHECK(!bf16_ || (tied_to_ < 0 && !weight_norm_), config,
                "layers.{} (linear): precision = \"bf16\" does not go with tied_to or weight_norm = true; use "
                "\"float\"", index_);
}

template <typename T>
Shape LinearLayer<T>::setup(const Shape& in, Index max_batch) {
  in_ = numel(in);
  GRADNET_CHECK(in_ >= 1, shape, "layers.{} (linear): input shape {} has no elements", index_, shape_str(in));
  if (std::is_same_v<T, float> && bf16_) {
    GRADNET_CHECK(kernels::bf16_available(), config,
                  "layers.{} (linear): precision = \"bf16\" needs a CPU with AVX512-BF16 (and a build with oneDNN), "
                  "which this one lacks; use \"float\"", index_);
    x16_.assign(static_cast<std::size_t>(max_batch * in_), 0);
    w16_.assign(static_cast<std::size_t>(out_ * in_), 0);
    dy16_.assign(static_cast<std::size_t>(max_batch * out_), 0);
  }
  // forward computes x·Wᵀ as x·(Wᵀ), W transposed into wt_ first (8x8 blocks, a few µs in cache):
  // oneDNN's sgemm took 146 µs for W1's first layer (128 x 784 by 784 x 64) as (N, T) and 123 + 6
  // as transpose + (N, N); W2's 512 x 256 layer 200 → 180, W3's 3136 x 128 628 → 575, the same
  // bits. Not for a large out (W2's 784 x 512: the transpose of 1.6 MB out of cache costs more).
  wt_.clear();
  if (std::is_same_v<T, float> && !bf16_ && tied_to_ < 0 && out_ <= 256 && out_ * in_ <= (Index{1} << 19))
    wt_.assign(static_cast<std::size_t>(out_ * in_), T(0));
  params_.clear();
  if (weight_norm_) {
    params_.resize(has_bias_ ? 3 : 2);
    params_[0].name = "weight_g";
    params_[0].resize({out_, 1});
    params_[1].name = "weight_v";
    params_[1].resize({out_, in_});
    wn_.setup(out_, in_);
  } else if (tied_to_ >= 0) {
    params_.resize(has_bias_ ? 1 : 0);
  } else {
    params_.resize(has_bias_ ? 2 : 1);
    params_[0].name = "weight";
    params_[0].resize({out_, in_});
  }
  if (has_bias_) {
    params_.back().name = "bias";
    params_.back().resize({out_});
  }
  return {out_};
}

template <typename T>
void LinearLayer<T>::init(Rng& rng) {
  // PyTorch's fans for a (out, in) weight: fan_in = in, fan_out = out. weight_norm: v gets the
  // init (the same draws), g = ‖v‖ per row, so W starts equal to the plain init.
  if (weight_norm_) {
    init_tensor(params_[1].value, init_, in_, out_, rng);
    wn_.init_g(params_[1].value.data(), params_[0].value.data());
  } else if (tied_to_ < 0) {  // a tied weight is its source's, initialised there
    init_tensor(params_[0].value, init_, in_, out_, rng);
  }
  if (!has_bias_) return;
  Tensor<T>& b = params_.back().value;
  if (bias_init_ == BiasInit::zeros) {
    b.fill(T(0));
  } else if (bias_init_ == BiasInit::constant) {
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
  GRADNET_ASSERT(tied_to_ < 0 || tied_);
  const T* w = tied_ ? nullptr : params_[0].value.data();
  if (weight_norm_) {  // W = g·v/‖v‖ from this step's params; backward reuses it
    wn_.forward(params_[0].value.data(), params_[1].value.data());
    w = wn_.w();
  }
  const T* b = has_bias_ ? params_.back().value.data() : nullptr;
  if constexpr (std::is_same_v<T, float>) {
    if (!wt_.empty() && kernels::dense_forward_fits(out_)) {  // few outputs: b starts the sums, no pass of its own
      kernels::transpose(w, out_, in_, wt_.data());
      kernels::dense_forward(x.data, n, in_, wt_.data(), out_, b, y.data);
      return;
    }
  }
  T beta = T(0);
  if (b) {  // y = b broadcast, then gemm adds x·Wᵀ on top (beta 1): one pass over y
    kernels::bias_broadcast(b, y.data, n, out_);
    beta = T(1);
  }
  if constexpr (std::is_same_v<T, float>) {
    if (bf16_) {  // x and W rounded once; backward reuses both
      GRADNET_ASSERT(n * in_ <= static_cast<Index>(x16_.size()));
      kernels::to_bf16(x.data, n * in_, x16_.data());
      kernels::to_bf16(w, out_ * in_, w16_.data());
      kernels::gemm_bf16(false, true, n, out_, in_, x16_.data(), in_, w16_.data(), in_, beta, y.data, out_);
      return;
    }
  }
  if (tied_) {  // y += x · W_j, W_j (in, out)
    kernels::gemm<T>(false, false, n, out_, in_, T(1), x.data, in_, tied_->value.data(), out_, beta, y.data, out_);
    return;
  }
  if (!wt_.empty()) {
    kernels::transpose(w, out_, in_, wt_.data());
    kernels::gemm<T>(false, false, n, out_, in_, T(1), x.data, in_, wt_.data(), out_, beta, y.data, out_);
    return;
  }
  kernels::gemm<T>(false, true, n, out_, in_, T(1), x.data, in_, w, in_, beta, y.data, out_);
}

template <typename T>
void LinearLayer<T>::backward(ConstView<T> x, ConstView<T> /*y*/, ConstView<T> dy, View<T>* dx) {
  // x: (N, in)  dy: (N, out)  dW: (out, in)  db: (out)  dx: (N, in)
  const Index n = x.rows;
  if (n == 0) return;
  if (tied_) {  // dW_j (in, out) += xᵀ · dy;  dx = dy · W_jᵀ
    kernels::gemm<T>(true, false, in_, out_, n, T(1), x.data, in_, dy.data, out_, T(1), tied_->grad.data(), out_);
    if (has_bias_) kernels::bias_grad(dy.data, params_.back().grad.data(), n, out_);
    if (dx)
      kernels::gemm<T>(false, true, n, in_, out_, T(1), dy.data, out_, tied_->value.data(), out_, T(0), dx->data, in_);
    return;
  }
  if constexpr (std::is_same_v<T, float>) {
    if (bf16_) {  // x16_, w16_: the last forward's (layer.h: backward follows its forward)
      GRADNET_ASSERT(n * out_ <= static_cast<Index>(dy16_.size()));
      kernels::to_bf16(dy.data, n * out_, dy16_.data());
      kernels::gemm_bf16(true, false, out_, in_, n, dy16_.data(), out_, x16_.data(), in_, 1.0f,
                         params_[0].grad.data(), in_);
      if (has_bias_) kernels::bias_grad(dy.data, params_.back().grad.data(), n, out_);
      if (dx) kernels::gemm_bf16(false, false, n, in_, out_, dy16_.data(), out_, w16_.data(), in_, 0.0f, dx->data, in_);
      return;
    }
  }
  if (weight_norm_) {  // dW (scratch) = dyᵀ·x, then dg, dv += from it
    kernels::gemm<T>(true, false, out_, in_, n, T(1), dy.data, out_, x.data, in_, T(0), wn_.dw(), in_);
    wn_.backward(params_[0].value.data(), params_[1].value.data(), params_[0].grad.data(), params_[1].grad.data());
  } else if (defer_) {  // thread shards: dW over every shard's rows at once (take_deferred_weight_grad)
    if (dy_kept_.size() < static_cast<std::size_t>(n * out_)) dy_kept_.resize(static_cast<std::size_t>(n * out_));
    for (Index i = 0; i < n * out_; ++i) dy_kept_[static_cast<std::size_t>(i)] = share_ * dy.data[i];
    x_kept_ = x.data;
    rows_kept_ = n;
  } else {
    kernels::gemm<T>(true, false, out_, in_, n, T(1), dy.data, out_, x.data, in_, T(1), params_[0].grad.data(), in_);
  }
  if (has_bias_) kernels::bias_grad(dy.data, params_.back().grad.data(), n, out_);
  const T* w = weight_norm_ ? wn_.w() : params_[0].value.data();
  if (dx) kernels::gemm<T>(false, false, n, in_, out_, T(1), dy.data, out_, w, in_, T(0), dx->data, in_);
}

// A plain weight of its own: tied, weight-normed and bf16 layers take their products their own way,
// and a frozen layer keeps its grads as they were (per shard, then summed).
template <typename T>
Param<T>* LinearLayer<T>::deferrable_weight() {
  if (bf16_ || weight_norm_ || tied_to_ >= 0 || this->frozen() || params_.empty()) return nullptr;
  return &params_[0];
}

template <typename T>
void LinearLayer<T>::defer_weight_grad(bool on, T share) {
  defer_ = on && deferrable_weight() != nullptr;
  share_ = share;
  rows_kept_ = 0;
}

// dW[first:last] = Σ over shards (share·dy)[:, first:last]ᵀ · x, each shard's rows in turn: the
// first product overwrites (the step zeroes no deferred grad), the others add.
template <typename T>
void LinearLayer<T>::take_deferred_weight_grad(std::span<Layer<T>* const> shards, int part, int parts) {
  const Index first = out_ * part / parts, last = out_ * (part + 1) / parts;
  if (first == last) return;
  T* g = params_[0].grad.data() + first * in_;
  T beta = T(0);
  for (Layer<T>* layer : shards) {
    const auto& s = static_cast<const LinearLayer<T>&>(*layer);
    GRADNET_ASSERT(s.defer_ && s.out_ == out_ && s.in_ == in_);
    if (s.rows_kept_ == 0) continue;
    kernels::gemm<T>(true, false, last - first, in_, s.rows_kept_, T(1), s.dy_kept_.data() + first, out_, s.x_kept_,
                     in_, beta, g, in_);
    beta = T(1);
  }
  if (beta == T(0)) std::fill(g, g + (last - first) * in_, T(0));  // no shard had rows
}

template <typename T>
Attributes LinearLayer<T>::describe() const {
  Attributes a = {{"in", std::to_string(in_)},
                  {"out", std::to_string(out_)},
                  {"bias", has_bias_ ? "true" : "false"},
                  {"init", std::string(name_of(init_.method))},
                  {"bias_init", std::string(name_of(bias_init_))}};
  if (weight_norm_) a.push_back({"weight_norm", "true"});
  if (tied_to_ >= 0) a.push_back({"tied_to", "layers." + std::to_string(tied_to_)});
  return a;
}

template class LinearLayer<float>;
template class LinearLayer<double>;

}  // namespace gradnet
