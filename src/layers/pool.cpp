// Max, average and global average pooling.
//   x (N, C·H·W) -> y (N, C·Ho·Wo), Ho = (H + 2·pad - k) / stride + 1 (floor, as PyTorch)
//   max:  y = max_{window} x, argmax kept;           dx = 0, dx[argmax] += dy
//   avg:  y = Σ_{window} x / count;                   dx[window] += dy / count
//   gap:  y (N, C) = mean over H·W of each channel;   dx = dy / (H·W) broadcast
#include "gradnet/layers/pool.h"

#include <algorithm>
#include <limits>

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

template <typename T>
void MaxPool2dLayer<T>::pool_example(const T* x, T* y, std::int32_t* arg) const {
  if (k_ == 2 && stride_ == 2 && pad_ == 0) {  // the common 2x2 case: branch-free selects
    for (Index c = 0; c < g_.c; ++c) {
      const T* xc = x + c * g_.h * g_.w;
      for (Index oh = 0; oh < g_.ho; ++oh) {
        const Index top = 2 * oh * g_.w;
        const T* r0 = xc + top;
        const T* r1 = r0 + g_.w;
        T* yo = y + (c * g_.ho + oh) * g_.wo;
        std::int32_t* ao = arg + (c * g_.ho + oh) * g_.wo;
        for (Index ow = 0; ow < g_.wo; ++ow) {
          T best = r0[2 * ow];
          Index where = top + 2 * ow;
          const T cand[3] = {r0[2 * ow + 1], r1[2 * ow], r1[2 * ow + 1]};
          const Index at[3] = {top + 2 * ow + 1, top + g_.w + 2 * ow, top + g_.w + 2 * ow + 1};
          for (int j = 0; j < 3; ++j) {
            const bool take = cand[j] > best || cand[j] != cand[j];  // NaN wins, as in PyTorch
            best = take ? cand[j] : best;
            where = take ? at[j] : where;
          }
          yo[ow] = best;
          ao[ow] = static_cast<std::int32_t>(where);
        }
      }
    }
    return;
  }
  for (Index c = 0; c < g_.c; ++c) {
    const T* xc = x + c * g_.h * g_.w;
    for (Index oh = 0; oh < g_.ho; ++oh) {
      const Index h0 = std::max<Index>(oh * stride_ - pad_, 0), h1 = std::min(oh * stride_ - pad_ + k_, g_.h);
      for (Index ow = 0; ow < g_.wo; ++ow) {
        const Index w0 = std::max<Index>(ow * stride_ - pad_, 0), w1 = std::min(ow * stride_ - pad_ + k_, g_.w);
        T best = -std::numeric_limits<T>::infinity();
        Index where = h0 * g_.w + w0;
        for (Index h = h0; h < h1; ++h)
          for (Index w = w0; w < w1; ++w)
            if (xc[h * g_.w + w] > best || (xc[h * g_.w + w] != xc[h * g_.w + w])) {  // NaN wins, as in PyTorch
              best = xc[h * g_.w + w];
              where = h * g_.w + w;
            }
        const Index o = (c * g_.ho + oh) * g_.wo + ow;
        y[o] = best;
        arg[o] = static_cast<std::int32_t>(where);
      }
    }
  }
}

template <typename T>
void MaxPool2dLayer<T>::forward(ConstView<T> x, View<T> y, const StepContext& /*ctx*/) {
  const Index per = g_.c * g_.ho * g_.wo;
#pragma omp parallel for schedule(static)
  for (Index i = 0; i < x.rows; ++i) pool_example(x.row(i), y.row(i), argmax_.data() + i * per);
}

template <typename T>
void MaxPool2dLayer<T>::backward(ConstView<T> x, ConstView<T> /*y*/, ConstView<T> dy, View<T>* dx) {
  if (!dx) return;
  const Index per = g_.c * g_.ho * g_.wo, plane = g_.h * g_.w, out_plane = g_.ho * g_.wo;
#pragma omp parallel for schedule(static)
  for (Index i = 0; i < x.rows; ++i) {
    T* dxi = dx->row(i);
    std::fill(dxi, dxi + g_.c * plane, T(0));
    const T* dyi = dy.row(i);
    const std::int32_t* arg = argmax_.data() + i * per;
    for (Index c = 0; c < g_.c; ++c)
      for (Index o = 0; o < out_plane; ++o) dxi[c * plane + arg[c * out_plane + o]] += dyi[c * out_plane + o];
  }
}

template <typename T>
std::vector<std::int32_t> MaxPool2dLayer<T>::kink_state(ConstView<T> x) const {
  const Index per = g_.c * g_.ho * g_.wo;
  std::vector<std::int32_t> state(static_cast<std::size_t>(x.rows * per));
  std::vector<T> y(static_cast<std::size_t>(per));
  for (Index i = 0; i < x.rows; ++i) pool_example(x.row(i), y.data(), state.data() + i * per);
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
  for (Index oh = 0; oh < g_.ho; ++oh)
    for (Index ow = 0; ow < g_.wo; ++ow) {
      // PyTorch: the window clipped to the padded input, or to the input itself without count_include_pad.
      const Index hs = oh * stride_ - pad_, ws = ow * stride_ - pad_;
      Index rows = std::min(hs + k_, g_.h + pad_) - hs, cols = std::min(ws + k_, g_.w + pad_) - ws;
      if (!count_include_pad_) {
        rows = std::min(hs + k_, g_.h) - std::max<Index>(hs, 0);
        cols = std::min(ws + k_, g_.w) - std::max<Index>(ws, 0);
      }
      inv_count_[oh * g_.wo + ow] = T(1) / static_cast<T>(rows * cols);
    }
  return {g_.c, g_.ho, g_.wo};
}

template <typename T>
void AvgPool2dLayer<T>::forward(ConstView<T> x, View<T> y, const StepContext& /*ctx*/) {
#pragma omp parallel for schedule(static)
  for (Index i = 0; i < x.rows; ++i) {
    const T* xi = x.row(i);
    T* yi = y.row(i);
    for (Index c = 0; c < g_.c; ++c) {
      const T* xc = xi + c * g_.h * g_.w;
      for (Index oh = 0; oh < g_.ho; ++oh) {
        const Index h0 = std::max<Index>(oh * stride_ - pad_, 0), h1 = std::min(oh * stride_ - pad_ + k_, g_.h);
        for (Index ow = 0; ow < g_.wo; ++ow) {
          const Index w0 = std::max<Index>(ow * stride_ - pad_, 0), w1 = std::min(ow * stride_ - pad_ + k_, g_.w);
          T s = T(0);
          for (Index h = h0; h < h1; ++h)
            for (Index w = w0; w < w1; ++w) s += xc[h * g_.w + w];
          yi[(c * g_.ho + oh) * g_.wo + ow] = s * inv_count_[oh * g_.wo + ow];
        }
      }
    }
  }
}

template <typename T>
void AvgPool2dLayer<T>::backward(ConstView<T> x, ConstView<T> /*y*/, ConstView<T> dy, View<T>* dx) {
  if (!dx) return;
#pragma omp parallel for schedule(static)
  for (Index i = 0; i < x.rows; ++i) {
    T* dxi = dx->row(i);
    std::fill(dxi, dxi + g_.c * g_.h * g_.w, T(0));
    const T* dyi = dy.row(i);
    for (Index c = 0; c < g_.c; ++c) {
      T* dxc = dxi + c * g_.h * g_.w;
      for (Index oh = 0; oh < g_.ho; ++oh) {
        const Index h0 = std::max<Index>(oh * stride_ - pad_, 0), h1 = std::min(oh * stride_ - pad_ + k_, g_.h);
        for (Index ow = 0; ow < g_.wo; ++ow) {
          const Index w0 = std::max<Index>(ow * stride_ - pad_, 0), w1 = std::min(ow * stride_ - pad_ + k_, g_.w);
          const T d = dyi[(c * g_.ho + oh) * g_.wo + ow] * inv_count_[oh * g_.wo + ow];
          for (Index h = h0; h < h1; ++h)
            for (Index w = w0; w < w1; ++w) dxc[h * g_.w + w] += d;
        }
      }
    }
  }
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
  const T inv = T(1) / static_cast<T>(hw_);
  for (Index i = 0; i < x.rows; ++i)
    for (Index c = 0; c < c_; ++c) {
      const T* xc = x.row(i) + c * hw_;
      T s = T(0);
      for (Index p = 0; p < hw_; ++p) s += xc[p];
      y.row(i)[c] = s * inv;
    }
}

template <typename T>
void GlobalAvgPoolLayer<T>::backward(ConstView<T> x, ConstView<T> /*y*/, ConstView<T> dy, View<T>* dx) {
  if (!dx) return;
  const T inv = T(1) / static_cast<T>(hw_);
  for (Index i = 0; i < x.rows; ++i)
    for (Index c = 0; c < c_; ++c) std::fill(dx->row(i) + c * hw_, dx->row(i) + (c + 1) * hw_, dy.row(i)[c] * inv);
}

template class MaxPool2dLayer<float>;
template class MaxPool2dLayer<double>;
template class AvgPool2dLayer<float>;
template class AvgPool2dLayer<double>;
template class GlobalAvgPoolLayer<float>;
template class GlobalAvgPoolLayer<double>;

}  // namespace gradnet
