// 2-D convolution (cross-correlation, as PyTorch), im2col + GEMM per example.
//   x (N, C·H·W)  W (O, C/G, k, k)  b (O)  y (N, O·Ho·Wo), P = Ho·Wo, Kg = (C/G)·k·k, Og = O/G
// The batch goes through in chunks of B examples whose columns sit side by side, so that each
// GEMM is wide (B·P columns) whatever the image size:
//   forward, each chunk and group g:
//     col (C·k·k, B·P) = [im2col(x_1) … im2col(x_B)]
//     t[g] (Og, B·P)   = W[g] (Og, Kg) · col[g] (Kg, B·P);   y_b = t[:, b·P : (b+1)·P] + b
//   backward:
//     t (O, B·P)        = [dy_1 … dy_B]
//     dW[g] (Og, Kg)   += t[g] · col[g]ᵀ;   db += Σ over B·P of t
//     dcol[g] (Kg, B·P) = W[g]ᵀ · t[g];      dx_b = col2im(dcol[:, b·P : (b+1)·P])   (overwritten)
// col is recomputed in backward rather than kept for the batch (N·C·k·k·P values: 150 MB for one
// CIFAR layer at batch 128); the recomputation is a copy, the GEMMs dominate. OpenBLAS splits each
// GEMM over train.threads (by rows and columns, never the sum: deterministic per thread count).
// The loops are kernels (src/kernels/conv.h, gemm.h); this file plans the buffers and calls them.
#include "gradnet/layers/conv2d.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "../kernels/conv.h"
#include "../kernels/conv_onednn.h"
#include "../kernels/conv_one_channel.h"
#include "../kernels/gemm.h"
#include "../kernels/row_dots.h"
#include "gradnet/error.h"

namespace gradnet {

std::vector<KeySpec> conv2d_keys() {
  std::vector<KeySpec> keys;
  keys.push_back({"out", ValueKind::integer, std::nullopt, "output channels (required, >= 1)", {}, 1.0, {}});
  keys.push_back({"kernel", ValueKind::integer, std::nullopt, "square kernel size k (required, >= 1)", {}, 1.0, {}});
  keys.push_back({"stride", ValueKind::integer, Value(std::int64_t{1}), "step between windows (default 1)", {}, 1.0, {}});
  keys.push_back({"padding", ValueKind::integer, Value(std::int64_t{0}),
                  "zeros added on every side (default 0; (k-1)/2 keeps the size at stride 1)", {}, 0.0, {}});
  keys.push_back({"dilation", ValueKind::integer, Value(std::int64_t{1}),
                  "spacing between kernel taps (default 1; the kernel spans dilation·(k-1)+1)", {}, 1.0, {}});
  keys.push_back({"groups", ValueKind::integer, Value(std::int64_t{1}),
                  "channel groups: in and out channels must both divide by it (default 1; = in: depthwise)", {},
                  1.0, {}});
  keys.push_back({"bias", ValueKind::boolean, Value(true), "add a learned bias per output channel (default true)", {},
                  {}, {}});
  keys.push_back({"algorithm", ValueKind::string, Value(std::string("auto")),
                  "how float convolutions are computed: \"auto\" (oneDNN's Winograd for 3x3, stride 1, one group, "
                  "channels in and out multiples of 16, else oneDNN's direct), \"direct\", \"winograd\" (an error "
                  "where it does not fit), \"im2col\" (gradnet's own im2col + GEMM), \"bf16\" (oneDNN's direct "
                  "on bfloat16 copies of x, W and dy, summed and written in float; needs AVX512-BF16); double "
                  "always uses im2col (default \"auto\")",
                  {"auto", "direct", "winograd", "im2col", "bf16"}, {}, {}});
  for (KeySpec& k : init_keys("kaiming_normal")) keys.push_back(std::move(k));
  keys.push_back({"weight_norm", ValueKind::boolean, Value(false),
                  "learn W = g·v/‖v‖ per output channel (Salimans & Kingma; params weight_g (out, 1, 1, 1), "
                  "weight_v (out, C/groups, k, k)); init fills v and sets g = ‖v‖ (default false)",
                  {}, {}, {}});
  return keys;
}

ConvGeometry conv_geometry(const Shape& in, Index k, Index stride, Index pad, Index dilation, Index layer_index,
                           const char* type) {
  GRADNET_CHECK(in.size() == 3, shape,
                "layers.{} ({}): input shape {} is not an image [C, H, W]; set model.input = [C, H, W] (e.g. [1, 28, "
                "28]) or put the layer before any flattening layer",
                layer_index, type, shape_str(in));
  ConvGeometry g;
  g.c = in[0];
  g.h = in[1];
  g.w = in[2];
  g.k = k;
  g.stride = stride;
  g.pad = pad;
  g.dilation = dilation;
  const Index span = dilation * (k - 1) + 1;
  GRADNET_CHECK(span <= g.h + 2 * pad && span <= g.w + 2 * pad, shape,
                "layers.{} ({}): kernel {} (spanning {} with dilation {}) is larger than its input {} padded by {}",
                layer_index, type, k, span, dilation, shape_str(in), pad);
  g.ho = (g.h + 2 * pad - span) / stride + 1;
  g.wo = (g.w + 2 * pad - span) / stride + 1;
  return g;
}

template <typename T>
Conv2dLayer<T>::Conv2dLayer(const LayerSpec& spec)
    : index_(spec.index),
      out_(spec.get_int("out")),
      k_(spec.get_int("kernel")),
      stride_(spec.has("stride") ? spec.get_int("stride") : 1),
      pad_(spec.has("padding") ? spec.get_int("padding") : 0),
      dilation_(spec.has("dilation") ? spec.get_int("dilation") : 1),
      groups_(spec.has("groups") ? spec.get_int("groups") : 1),
      has_bias_(spec.has("bias") ? spec.get_bool("bias") : true),
      weight_norm_(spec.has("weight_norm") && spec.get_bool("weight_norm")),
      algorithm_(spec.has("algorithm") ? spec.get_string("algorithm") : "auto"),
      init_(init_spec_from(spec)) {
  GRADNET_CHECK(out_ >= 1 && k_ >= 1 && stride_ >= 1 && pad_ >= 0 && dilation_ >= 1 && groups_ >= 1, config,
                "layers.{} (conv2d): out {}, kernel {}, stride {}, dilation {}, groups {} must be >= 1 and padding "
                "{} >= 0",
                index_, out_, k_, stride_, dilation_, groups_, pad_);
}

template <typename T>
Conv2dLayer<T>::~Conv2dLayer() = default;

// The layer's geometry as the kernels take it.
static kernels::WindowGeometry windows(const ConvGeometry& g) {
  return {g.c, g.h, g.w, g.k, g.stride, g.pad, g.dilation, g.ho, g.wo};
}

template <typename T>
Shape Conv2dLayer<T>::setup(const Shape& in, Index max_batch) {
  g_ = conv_geometry(in, k_, stride_, pad_, dilation_, index_, "conv2d");
  GRADNET_CHECK(g_.c % groups_ == 0 && out_ % groups_ == 0, shape,
                "layers.{} (conv2d): groups = {} must divide both the input channels ({}) and out ({})", index_,
                groups_, g_.c, out_);
  params_.clear();
  if (weight_norm_) {  // PyTorch's names and shapes: weight_g (out, 1, 1, 1), weight_v like weight
    params_.resize(has_bias_ ? 3 : 2);
    params_[0].name = "weight_g";
    params_[0].resize({out_, 1, 1, 1});
    params_[1].name = "weight_v";
    params_[1].resize({out_, g_.c / groups_, k_, k_});
    wn_.setup(out_, g_.c / groups_ * k_ * k_);
  } else {
    params_.resize(has_bias_ ? 2 : 1);
    params_[0].name = "weight";
    params_[0].resize({out_, g_.c / groups_, k_, k_});
  }
  if (has_bias_) {
    params_.back().name = "bias";
    params_.back().resize({out_});
  }
  direct_.reset();
  col_.clear();
  t_.clear();
  if constexpr (std::is_same_v<T, float>) {
    GRADNET_CHECK(algorithm_ != "winograd" || kernels::OnednnConv::winograd_fits(windows(g_), out_, groups_), config,
                  "layers.{} (conv2d): algorithm = \"winograd\" needs kernel 3, stride 1, dilation 1, groups 1 and "
                  "in and out channels that divide by 16 (here kernel {}, stride {}, dilation {}, groups {}, {} -> {} "
                  "channels); use \"auto\"",
                  index_, k_, stride_, dilation_, groups_, g_.c, out_);
    GRADNET_CHECK(algorithm_ == "auto" || algorithm_ == "im2col" || kernels::OnednnConv::available(), config,
                  "layers.{} (conv2d): algorithm = \"{}\" needs oneDNN, which this build of gradnet lacks (built "
                  "with -DGRADNET_ONEDNN=OFF); use \"auto\" or \"im2col\"",
                  index_, algorithm_);
    GRADNET_CHECK(algorithm_ != "bf16" || !kernels::OnednnConv::available() || kernels::OnednnConv::bf16_available(),
                  config, "layers.{} (conv2d): algorithm = \"bf16\" needs a CPU with AVX512-BF16, which this one "
                  "lacks; use \"auto\"", index_);
    bf16_ = algorithm_ == "bf16";
    if (kernels::OnednnConv::available() && algorithm_ != "im2col") {
      const auto algorithm = algorithm_ == "direct"     ? kernels::ConvAlgorithm::direct
                             : algorithm_ == "winograd" ? kernels::ConvAlgorithm::winograd
                             : algorithm_ == "bf16"     ? kernels::ConvAlgorithm::bf16
                                                        : kernels::ConvAlgorithm::automatic;
      direct_ = std::make_unique<kernels::OnednnConv>(windows(g_), out_, groups_, has_bias_, algorithm);
      return {out_, g_.ho, g_.wo};
    }
  }
  // Chunk: enough examples for wide GEMMs, few enough that col stays around 16 MB of floats.
  const Index rows = g_.c * k_ * k_, p_count = g_.ho * g_.wo;
  chunk_ = std::clamp<Index>((Index{4} << 20) / std::max<Index>(rows * p_count, 1), 1, max_batch);
  col_.assign(static_cast<std::size_t>(rows * chunk_ * p_count), T(0));
  t_.assign(static_cast<std::size_t>(out_ * chunk_ * p_count), T(0));
  return {out_, g_.ho, g_.wo};
}

template <typename T>
void Conv2dLayer<T>::init(Rng& rng) {
  // PyTorch's fans for (out, in/groups, k, k): fan_in = in/groups·k·k, fan_out = out·k·k.
  const Index receptive = k_ * k_;
  if (weight_norm_) {  // v gets the init, g = ‖v‖ per channel: W starts equal to the plain init
    init_tensor(params_[1].value, init_, g_.c / groups_ * receptive, out_ * receptive, rng);
    wn_.init_g(params_[1].value.data(), params_[0].value.data());
  } else {
    init_tensor(params_[0].value, init_, g_.c / groups_ * receptive, out_ * receptive, rng);
  }
  if (has_bias_) params_.back().value.fill(T(0));
}

template <typename T>
void Conv2dLayer<T>::forward(ConstView<T> x, View<T> y, const StepContext& /*ctx*/) {
  const Index n = x.rows, p_count = g_.ho * g_.wo;
  const Index og = out_ / groups_, kg = g_.c / groups_ * k_ * k_;
  const kernels::WindowGeometry g = windows(g_);
  const T* w = params_[0].value.data();
  if (weight_norm_) {  // W = g·v/‖v‖ from this step's params; backward reuses it
    wn_.forward(params_[0].value.data(), params_[1].value.data());
    w = wn_.w();
  }
  const T* b = has_bias_ ? params_.back().value.data() : nullptr;
  if constexpr (std::is_same_v<T, float>) {
    if (one_channel_plain()) {
      if (n > 0) kernels::one_channel_conv_forward(g, out_, x.data, w, b, y.data, n);
      return;
    }
    if (direct_) {
      if (n > 0) direct_->forward(x.data, w, b, y.data, n);
      return;
    }
  }
  for (Index first = 0; first < n; first += chunk_) {
    const Index count = std::min(chunk_, n - first), ld = count * p_count;
    kernels::im2col_chunk(g, x.row(first), count, col_.data());
    for (Index gi = 0; gi < groups_; ++gi)
      kernels::gemm<T>(false, false, og, ld, kg, T(1), w + gi * og * kg, kg, col_.data() + gi * kg * ld, ld, T(0),
                       t_.data() + gi * og * ld, ld);
    kernels::conv_bias_scatter(t_.data(), b, y.row(first), count, out_, p_count);
  }
}

template <typename T>
void Conv2dLayer<T>::backward(ConstView<T> x, ConstView<T> /*y*/, ConstView<T> dy, View<T>* dx) {
  const Index n = x.rows, p_count = g_.ho * g_.wo;
  const Index og = out_ / groups_, kg = g_.c / groups_ * k_ * k_;
  const kernels::WindowGeometry g = windows(g_);
  const T* w = weight_norm_ ? wn_.w() : params_[0].value.data();
  T* gw = params_[0].grad.data();
  if (weight_norm_) {  // dW collects in the scratch, then turns into dg and dv
    gw = wn_.dw();
    std::fill(gw, gw + out_ * kg, T(0));
  }
  if constexpr (std::is_same_v<T, float>) {
    T* gb = has_bias_ ? params_.back().grad.data() : nullptr;
    if (direct_ && n > 0 && g_.c == 1 && groups_ == 1 && !dx && !bf16_)
      one_channel_weight_grad(x.data, dy.data, gw, gb, n);
    else if (direct_ && n > 0)
      direct_->backward(x.data, dy.data, w, gw, gb, dx ? dx->data : nullptr, n);
  }
  for (Index first = 0; !direct_ && first < n; first += chunk_) {
    const Index count = std::min(chunk_, n - first), ld = count * p_count;
    kernels::im2col_chunk(g, x.row(first), count, col_.data());
    kernels::conv_gather(dy.row(first), t_.data(), count, out_, p_count);
    if (has_bias_) kernels::conv_bias_grad(t_.data(), params_.back().grad.data(), out_, ld);
    for (Index gi = 0; gi < groups_; ++gi)
      kernels::gemm<T>(false, true, og, kg, ld, T(1), t_.data() + gi * og * ld, ld, col_.data() + gi * kg * ld, ld,
                       T(1), gw + gi * og * kg, kg);
    if (!dx) continue;
    for (Index gi = 0; gi < groups_; ++gi)  // col is free again: dW has used it
      kernels::gemm<T>(true, false, kg, ld, og, T(1), w + gi * og * kg, kg, t_.data() + gi * og * ld, ld, T(0),
                       col_.data() + gi * kg * ld, ld);
    kernels::col2im_chunk(g, col_.data(), count, dx->row(first));
  }
  if (weight_norm_)
    wn_.backward(params_[0].value.data(), params_[1].value.data(), params_[0].grad.data(), params_[1].grad.data());
}

template <typename T>
bool Conv2dLayer<T>::one_channel_plain() const {
  return std::is_same_v<T, float> && direct_ && groups_ == 1 && !weight_norm_ && !bf16_ &&
         kernels::one_channel_conv_fits(windows(g_));
}

// A one-channel layer whose dx nobody wants (a first layer): oneDNN's blocked backward reordered
// the whole dy to its channel-blocked layout first (W3's first layer: 1.7 of its 2.2 ms per step);
// here each example's dot products read dy as it is:
//   [dW | db] (O, k·k + 1) += dy_n (O, P) · [im2col(x_n); 1]ᵀ (P, k·k + 1)
// in example order (deterministic), the row of ones giving the bias' gradient in the same pass.
template <typename T>
void Conv2dLayer<T>::one_channel_weight_grad(const T* x, const T* dy, T* gw, T* gb, Index n) {
  one_channel_grad_begin();
  one_channel_grad_add(x, dy, n);
  one_channel_grad_end(gw, gb);
}

template <typename T>
void Conv2dLayer<T>::one_channel_grad_begin() {
  const Index cols = k_ * k_ + 1, p_count = g_.ho * g_.wo;
  if (one_col_.empty()) {
    one_col_.assign(static_cast<std::size_t>(cols * p_count), T(1));  // the last row stays 1
    one_dwb_.resize(static_cast<std::size_t>(out_ * cols * 16));
  }
  std::fill(one_dwb_.begin(), one_dwb_.end(), T(0));
}

template <typename T>
void Conv2dLayer<T>::one_channel_grad_add(const T* x, const T* dy, Index n) {
  if constexpr (std::is_same_v<T, float>) {
    const Index p_count = g_.ho * g_.wo, cols = k_ * k_ + 1;
    const kernels::WindowGeometry g = windows(g_);
    for (Index i = 0; i < n; ++i) {
      kernels::im2col(g, x + i * g_.h * g_.w, one_col_.data(), p_count);
      kernels::row_dots_accumulate(dy + i * out_ * p_count, out_, one_col_.data(), cols, p_count, one_dwb_.data());
    }
  } else {
    fail(ErrorKind::internal, "internal error: conv2d's one-channel weight gradient is for float");
  }
}

template <typename T>
void Conv2dLayer<T>::one_channel_grad_end(T* gw, T* gb) {
  if constexpr (std::is_same_v<T, float>) {
    const Index kk = k_ * k_, cols = kk + 1;
    std::vector<float> dwb(static_cast<std::size_t>(out_ * cols), 0.0f);
    kernels::row_dots_finish(one_dwb_.data(), out_ * cols, dwb.data());
    for (Index o = 0; o < out_; ++o) {
      for (Index j = 0; j < kk; ++j) gw[o * kk + j] += dwb[static_cast<std::size_t>(o * cols + j)];
      if (gb) gb[o] += dwb[static_cast<std::size_t>(o * cols + kk)];
    }
  } else {
    fail(ErrorKind::internal, "internal error: conv2d's one-channel weight gradient is for float");
  }
}

template <typename T>
void Conv2dLayer<T>::one_channel_grad_end() {
  one_channel_grad_end(params_[0].grad.data(), has_bias_ ? params_.back().grad.data() : nullptr);
}

template <typename T>
bool Conv2dLayer<T>::blocked_fits(Index n) {
  if constexpr (std::is_same_v<T, float>)
    return direct_ && !weight_norm_ && !one_channel_plain() && direct_->blocked_fits(n);
  return false;
}

template <typename T>
const T* Conv2dLayer<T>::forward_blocked(ConstView<T> x) {
  if constexpr (std::is_same_v<T, float>) {
    return direct_->forward_blocked(x.data, params_[0].value.data(), has_bias_ ? params_.back().value.data() : nullptr,
                                    x.rows);
  }
  fail(ErrorKind::internal, "internal error: conv2d's blocked handoff is for float");
}

template <typename T>
void Conv2dLayer<T>::blocked_output_to_plain(View<T> y) {
  if constexpr (std::is_same_v<T, float>) {
    direct_->blocked_output_to_plain(y.data);
    return;
  }
  fail(ErrorKind::internal, "internal error: conv2d's blocked handoff is for float");
}

template <typename T>
T* Conv2dLayer<T>::blocked_dy(Index n) {
  if constexpr (std::is_same_v<T, float>) return direct_->blocked_dy(n);
  fail(ErrorKind::internal, "internal error: conv2d's blocked handoff is for float");
}

template <typename T>
void Conv2dLayer<T>::backward_blocked(ConstView<T> x, View<T>* dx) {
  if constexpr (std::is_same_v<T, float>) {
    direct_->backward_blocked(x.data, params_[0].value.data(), params_[0].grad.data(),
                              has_bias_ ? params_.back().grad.data() : nullptr, dx ? dx->data : nullptr, x.rows);
    return;
  }
  fail(ErrorKind::internal, "internal error: conv2d's blocked handoff is for float");
}

template <typename T>
Attributes Conv2dLayer<T>::describe() const {
  return {{"in", shape_str({g_.c, g_.h, g_.w})},
          {"out", shape_str({out_, g_.ho, g_.wo})},
          {"kernel", std::to_string(k_)},
          {"stride", std::to_string(stride_)},
          {"padding", std::to_string(pad_)},
          {"dilation", std::to_string(dilation_)},
          {"groups", std::to_string(groups_)},
          {"bias", has_bias_ ? "true" : "false"},
          {"weight_norm", weight_norm_ ? "true" : "false"},
          {"init", std::string(name_of(init_.method))}};
}

template class Conv2dLayer<float>;
template class Conv2dLayer<double>;

}  // namespace gradnet
