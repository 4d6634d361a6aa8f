// Max, average and global average pooling.
//   x (N, C·H·W) -> y (N, C·Ho·Wo), Ho = (H + 2·pad - k) / stride + 1 (floor, as PyTorch)
//   max:  y = max_{window} x, argmax kept;           dx = 0, dx[argmax] += dy
//   avg:  y = Σ_{window} x / count;                   dx[window] += dy / count
//   gap:  y (N, C) = mean over H·W of each channel;   dx = dy / (H·W) broadcast
// The loops are kernels (src/kernels/pool.h); this file plans the buffers and calls them.
#include "gradnet/layers/pool.h"

#include <type_traits>

#include "../kernels/pool.h"
#include "../kernels/pool_c16.h"
#include "gradnet/error.h"

namespace gradnet {

namespace {

std::vector<KeySpec> pool_keys() {
  std::vector<KeySpec> keys;
  keys.push_back({"kernel", ValueKind::integer, std::nullopt, "square window size k (required, >= 1)", {}, 1.0, {}});
  keys.push_back({"stride", ValueKind::integer, Value(std::int64_t{0}),
                  "step between windows (default 0 = kernel: non-overlapping windows)", {}, 0.0, {}});
  keys.push_back({"padding", ValueKind::integer, Value(std::int64_t{0}),
                  "implicit padding on every side, at most kernel/2 (default 0)", {}, 0.0, {}});
  return keys;
}

// Reads kernel/stride/padding; PyTorch's rule: padding <= kernel / 2.
void read_pool(const LayerSpec& spec, const char* type, Index& k, Index& stride, Index& pad) {
  k = spec.get_int("kernel");
  stride = spec.has("stride") ? spec.get_int("stride") : 0;
  if (stride == 0) stride = k;
  pad = spec.has("padding") ? spec.get_int("padding") : 0;
  GRADNET_CHECK(k >= 1 && stride >= 1 && pad >= 0, config, "layers.{} ({}): kernel {}, stride {} must be >= 1, padding {} >= 0",
                spec.index, type, k, stride, pad);
  GRADNET_CHECK(2 * pad <= k, config, "layers.{} ({}): padding {} is more than half the kernel {}", spec.index, type,
                pad, k);
}

}  // namespace

std::vector<KeySpec> max_pool_keys() { return pool_keys(); }

std::vector<KeySpec> avg_pool_keys() {
  std::vector<KeySpec> keys = pool_keys();
  keys.push_back({"count_include_pad", ValueKind::boolean, Value(true),
                  "divide by k·k including padded zeros (PyTorch's default true) or by the taps inside the input", {},
                  {}, {}});
  return keys;
}

// ---- max pooling ----

template <typename T>
MaxPool2dLayer<T>::MaxPool2dLayer(const LayerSpec& spec) : index_(spec.index) {
  read_pool(spec, "max_pool2d", k_, stride_, pad_);
}

template <typename T>
Shape MaxPool2dLayer<T>::setup(const Shape& in, Index max_batch) {
  g_ = conv_geometry(in, k_, stride_, pad_, 1, index_, "max_pool2d");
  argmax_.assign(static_cast<std::size_t>(max_batch * g_.c * g_.ho * g_.wo), 0);
  return {g_.c, g_.ho, g_.wo};
}

// The layer's geometry as the kernels take it.
static kernels::WindowGeometry windows(const ConvGeometry& g) {
  return {g.c, g.h, g.w, g.k, g.stride, g.pad, g.dilation, g.ho, g.wo};
}

template <typename T>
void MaxPool2dLayer<T>::forward(ConstView<T> x, View<T> y, const StepContext& /*ctx*/) {
  kernels::max_pool_forward(windows(g_), x.data, y.data, argmax_.data(), x.rows);
}

template <typename T>
void MaxPool2dLayer<T>::backward(ConstView<T> x, ConstView<T> /*y*/, ConstView<T> dy, View<T>* dx) {
  if (dx) kernels::max_pool_backward(windows(g_), dy.data, argmax_.data(), dx->data, x.rows);
}

template <typename T>
void MaxPool2dLayer<T>::forward_after_relu(ConstView<T> relu_x, View<T> y, Index first_row) {
  kernels::max_pool_forward(windows(g_), relu_x.data, y.data, argmax_.data() + first_row * y.cols, relu_x.rows, true);
}

template <typename T>
void MaxPool2dLayer<T>::backward_through_relu(ConstView<T> y, ConstView<T> dy, View<T> dx, Index first_row) {
  kernels::max_pool_backward(windows(g_), dy.data, argmax_.data() + first_row * y.cols, dx.data, dy.rows, y.data);
}

template <typename T>
bool MaxPool2dLayer<T>::blocked_fits() const {
  return std::is_same_v<T, float> && kernels::pool_c16_fits(windows(g_));
}

template <typename T>
void MaxPool2dLayer<T>::forward_blocked_after_relu(const T* relu_xb, View<T> y) {
  if constexpr (std::is_same_v<T, float>) {
    kernels::max_pool_c16_relu_forward(windows(g_), relu_xb, y.data, argmax_.data(), y.rows);
    return;
  }
  fail(ErrorKind::internal, "internal error: max_pool2d's blocked handoff is for float");
}

template <typename T>
void MaxPool2dLayer<T>::backward_blocked_through_relu(ConstView<T> dy, T* dxb) {
  if constexpr (std::is_same_v<T, float>) {
    kernels::max_pool_c16_backward(windows(g_), dy.data, argmax_.data(), dxb, dy.rows);
    return;
  }
  fail(ErrorKind::internal, "internal error: max_pool2d's blocked handoff is for float");
}

template <typename T>
std::vector<std::int32_t> MaxPool2dLayer<T>::kink_state(ConstView<T> x) const {
  const Index per = g_.c * g_.ho * g_.wo;
  std::vector<std::int32_t> state(static_cast<std::size_t>(x.rows * per));
  std::vector<T> y(state.size());
  kernels::max_pool_forward(windows(g_), x.data, y.data(), state.data(), x.rows);
  return state;
}

template <typename T>
Attributes MaxPool2dLayer<T>::describe() const {
  return {{"kernel", std::to_string(k_)}, {"stride", std::to_string(stride_)}, {"padding", std::to_string(pad_)}};
}

// ---- average pooling ----

template <typename T>
AvgPool2dLayer<T>::AvgPool2dLayer(const LayerSpec& spec)
    : index_(spec.index), count_include_pad_(spec.has("count_include_pad") ? spec.get_bool("count_include_pad") : true) {
  read_pool(spec, "avg_pool2d", k_, stride_, pad_);
}

template <typename T>
Shape AvgPool2dLayer<T>::setup(const Shape& in, Index /*max_batch*/) {
  g_ = conv_geometry(in, k_, stride_, pad_, 1, index_, "avg_pool2d");
  inv_count_.resize(static_cast<std::size_t>(g_.ho * g_.wo));
  kernels::avg_pool_divisors(windows(g_), count_include_pad_, inv_count_.data());
  return {g_.c, g_.ho, g_.wo};
}

template <typename T>
void AvgPool2dLayer<T>::forward(ConstView<T> x, View<T> y, const StepContext& /*ctx*/) {
  kernels::avg_pool_forward(windows(g_), inv_count_.data(), x.data, y.data, x.rows);
}

template <typename T>
void AvgPool2dLayer<T>::backward(ConstView<T> x, ConstView<T> /*y*/, ConstView<T> dy, View<T>* dx) {
  if (dx) kernels::avg_pool_backward(windows(g_), inv_count_.data(), dy.data, dx->data, x.rows);
}

template <typename T>
Attributes AvgPool2dLayer<T>::describe() const {
  return {{"kernel", std::to_string(k_)},
          {"stride", std::to_string(stride_)},
          {"padding", std::to_string(pad_)},
          {"count_include_pad", count_include_pad_ ? "true" : "false"}};
}

// ---- global average pooling ----

template <typename T>
Shape GlobalAvgPoolLayer<T>::setup(const Shape& in, Index /*max_batch*/) {
  GRADNET_CHECK(in.size() == 3, shape, "layers.{} (global_avg_pool): input shape {} is not an image [C, H, W]", index_,
                shape_str(in));
  c_ = in[0];
  hw_ = in[1] * in[2];
  return {c_};
}

template <typename T>
void GlobalAvgPoolLayer<T>::forward(ConstView<T> x, View<T> y, const StepContext& /*ctx*/) {
  kernels::global_avg_pool_forward(x.data, y.data, x.rows, c_, hw_);
}

template <typename T>
void GlobalAvgPoolLayer<T>::backward(ConstView<T> x, ConstView<T> /*y*/, ConstView<T> dy, View<T>* dx) {
  if (dx) kernels::global_avg_pool_backward(dy.data, dx->data, x.rows, c_, hw_);
}

template class MaxPool2dLayer<float>;
template class MaxPool2dLayer<double>;
template class AvgPool2dLayer<float>;
template class AvgPool2dLayer<double>;
template class GlobalAvgPoolLayer<float>;
template class GlobalAvgPoolLayer<double>;

}  // namespace gradnet
