// 2-D convolution (cross-correlation, as PyTorch), im2col + GEMM per example.
//   x (N, C·H·W)  W (O, C/G, k, k)  b (O)  y (N, O·Ho·Wo), P = Ho·Wo, Kg = (C/G)·k·k, Og = O/G
//   forward, each example n and group g:
//     col (C·k·k, P) = im2col(x_n)
//     y_n[g] (Og, P) = W[g] (Og, Kg) · col[g] (Kg, P) + b
//   backward:
//     dW[g] (Og, Kg) += dy_n[g] (Og, P) · col[g]ᵀ (P, Kg)     summed per thread, then in thread order
//     db (O)         += Σ_p dy_n (O, P)
//     dcol[g] (Kg, P) = W[g]ᵀ (Kg, Og) · dy_n[g] (Og, P);   dx_n = col2im(dcol)   (overwritten)
// col is recomputed in backward rather than kept for the batch (N·C·k·k·P values: 150 MB for one
// CIFAR layer at batch 128); the recomputation costs a copy, the GEMMs dominate.
#include "gradnet/layers/conv2d.h"

#include <omp.h>

#include <algorithm>
#include <cmath>

#include "../blas.h"
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
  for (KeySpec& k : init_keys("kaiming_normal")) keys.push_back(std::move(k));
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
      init_(init_spec_from(spec)) {
  GRADNET_CHECK(out_ >= 1 && k_ >= 1 && stride_ >= 1 && pad_ >= 0 && dilation_ >= 1 && groups_ >= 1, config,
                "layers.{} (conv2d): out {}, kernel {}, stride {}, dilation {}, groups {} must be >= 1 and padding "
                "{} >= 0",
                index_, out_, k_, stride_, dilation_, groups_, pad_);
}

template <typename T>
bool Conv2dLayer<T>::is_pointwise() const {
  return k_ == 1 && stride_ == 1 && pad_ == 0;
}

template <typename T>
Shape Conv2dLayer<T>::setup(const Shape& in, Index /*max_batch*/) {
  g_ = conv_geometry(in, k_, stride_, pad_, dilation_, index_, "conv2d");
  GRADNET_CHECK(g_.c % groups_ == 0 && out_ % groups_ == 0, shape,
                "layers.{} (conv2d): groups = {} must divide both the input channels ({}) and out ({})", index_,
                groups_, g_.c, out_);
  const Index kg = g_.c / groups_ * k_ * k_;
  params_.clear();
  params_.resize(has_bias_ ? 2 : 1);
  params_[0].name = "weight";
  params_[0].resize({out_, g_.c / groups_, k_, k_});
  if (has_bias_) {
    params_[1].name = "bias";
    params_[1].resize({out_});
  }
  threads_ = std::max(1, omp_get_max_threads());
  const Index col_size = is_pointwise() ? 0 : g_.c * k_ * k_ * g_.ho * g_.wo;
  col_.assign(static_cast<std::size_t>(threads_ * col_size), T(0));
  dw_.assign(static_cast<std::size_t>(threads_ * out_ * kg), T(0));
  db_.assign(static_cast<std::size_t>(threads_ * out_), T(0));
  return {out_, g_.ho, g_.wo};
}

template <typename T>
void Conv2dLayer<T>::init(Rng& rng) {
  // PyTorch's fans for (out, in/groups, k, k): fan_in = in/groups·k·k, fan_out = out·k·k.
  const Index receptive = k_ * k_;
  init_tensor(params_[0].value, init_, g_.c / groups_ * receptive, out_ * receptive, rng);
  if (has_bias_) params_[1].value.fill(T(0));
}

template <typename T>
void Conv2dLayer<T>::im2col(const T* x, T* col) const {
  const Index p_count = g_.ho * g_.wo;
  for (Index c = 0; c < g_.c; ++c) {
    const T* xc = x + c * g_.h * g_.w;
    for (Index ki = 0; ki < k_; ++ki) {
      for (Index kj = 0; kj < k_; ++kj) {
        T* row = col + ((c * k_ + ki) * k_ + kj) * p_count;
        for (Index oh = 0; oh < g_.ho; ++oh) {
          T* out = row + oh * g_.wo;
          const Index ih = oh * stride_ - pad_ + ki * dilation_;
          if (ih < 0 || ih >= g_.h) {
            std::fill(out, out + g_.wo, T(0));
            continue;
          }
          const T* xrow = xc + ih * g_.w;
          const Index iw0 = kj * dilation_ - pad_;  // iw = ow·stride + iw0
          if (stride_ == 1) {  // the common case: one contiguous run between two zero margins
            const Index lo = std::clamp<Index>(-iw0, 0, g_.wo), hi = std::clamp<Index>(g_.w - iw0, 0, g_.wo);
            std::fill(out, out + lo, T(0));
            if (hi > lo) std::copy(xrow + lo + iw0, xrow + hi + iw0, out + lo);
            std::fill(out + std::max(lo, hi), out + g_.wo, T(0));
          } else {
            for (Index ow = 0; ow < g_.wo; ++ow) {
              const Index iw = ow * stride_ + iw0;
              out[ow] = iw >= 0 && iw < g_.w ? xrow[iw] : T(0);
            }
          }
        }
      }
    }
  }
}

template <typename T>
void Conv2dLayer<T>::col2im(const T* col, T* dx) const {
  const Index p_count = g_.ho * g_.wo;
  for (Index c = 0; c < g_.c; ++c) {
    T* dxc = dx + c * g_.h * g_.w;
    for (Index ki = 0; ki < k_; ++ki) {
      for (Index kj = 0; kj < k_; ++kj) {
        const T* row = col + ((c * k_ + ki) * k_ + kj) * p_count;
        for (Index oh = 0; oh < g_.ho; ++oh) {
          const Index ih = oh * stride_ - pad_ + ki * dilation_;
          if (ih < 0 || ih >= g_.h) continue;
          const T* in = row + oh * g_.wo;
          T* dxrow = dxc + ih * g_.w;
          const Index iw0 = kj * dilation_ - pad_;
          if (stride_ == 1) {
            const Index lo = std::clamp<Index>(-iw0, 0, g_.wo), hi = std::clamp<Index>(g_.w - iw0, 0, g_.wo);
            for (Index ow = lo; ow < hi; ++ow) dxrow[ow + iw0] += in[ow];
          } else {
            for (Index ow = 0; ow < g_.wo; ++ow) {
              const Index iw = ow * stride_ + iw0;
              if (iw >= 0 && iw < g_.w) dxrow[iw] += in[ow];
            }
          }
        }
      }
    }
  }
}

template <typename T>
void Conv2dLayer<T>::forward(ConstView<T> x, View<T> y, const StepContext& /*ctx*/) {
  const Index n = x.rows, p_count = g_.ho * g_.wo;
  const Index og = out_ / groups_, kg = g_.c / groups_ * k_ * k_;
  const T* w = params_[0].value.data();
  const T* b = has_bias_ ? params_[1].value.data() : nullptr;
  const Index col_size = is_pointwise() ? 0 : g_.c * k_ * k_ * p_count;
  const int team = static_cast<int>(std::min<Index>(threads_, std::max<Index>(n, 1)));
#pragma omp parallel num_threads(team)
  {
    const Index t = omp_get_thread_num(), nt = omp_get_num_threads();
    T* col = col_.data() + t * col_size;
    for (Index i = n * t / nt; i < n * (t + 1) / nt; ++i) {
      const T* xi = x.row(i);
      T* yi = y.row(i);
      const T* cols = xi;
      if (!is_pointwise()) {
        im2col(xi, col);
        cols = col;
      }
      for (Index gi = 0; gi < groups_; ++gi)
        gemm<T>(false, false, og, p_count, kg, T(1), w + gi * og * kg, kg, cols + gi * kg * p_count, p_count, T(0),
                yi + gi * og * p_count, p_count);
      if (b)
        for (Index o = 0; o < out_; ++o) {
          T* yo = yi + o * p_count;
          for (Index p = 0; p < p_count; ++p) yo[p] += b[o];
        }
    }
  }
}

template <typename T>
void Conv2dLayer<T>::backward(ConstView<T> x, ConstView<T> /*y*/, ConstView<T> dy, View<T>* dx) {
  const Index n = x.rows, p_count = g_.ho * g_.wo;
  const Index og = out_ / groups_, kg = g_.c / groups_ * k_ * k_;
  const Index w_size = out_ * kg;
  const T* w = params_[0].value.data();
  const Index col_size = is_pointwise() ? 0 : g_.c * k_ * k_ * p_count;
  const int team = static_cast<int>(std::min<Index>(threads_, std::max<Index>(n, 1)));
  std::fill(dw_.begin(), dw_.begin() + team * w_size, T(0));
  std::fill(db_.begin(), db_.begin() + team * out_, T(0));
#pragma omp parallel num_threads(team)
  {
    const Index t = omp_get_thread_num(), nt = omp_get_num_threads();
    T* col = col_.data() + t * col_size;
    T* dw = dw_.data() + t * w_size;
    T* db = db_.data() + t * out_;
    for (Index i = n * t / nt; i < n * (t + 1) / nt; ++i) {
      const T* dyi = dy.row(i);
      for (Index o = 0; o < out_; ++o) {
        const T* d = dyi + o * p_count;
        T s = T(0);
        for (Index p = 0; p < p_count; ++p) s += d[p];
        db[o] += s;
      }
      const T* cols = x.row(i);
      if (!is_pointwise()) {
        im2col(x.row(i), col);
        cols = col;
      }
      for (Index gi = 0; gi < groups_; ++gi)
        gemm<T>(false, true, og, kg, p_count, T(1), dyi + gi * og * p_count, p_count, cols + gi * kg * p_count,
                p_count, T(1), dw + gi * og * kg, kg);
      if (!dx) continue;
      T* dxi = dx->row(i);
      T* dcol = is_pointwise() ? dxi : col;  // col is free again: dW has used it
      for (Index gi = 0; gi < groups_; ++gi)
        gemm<T>(true, false, kg, p_count, og, T(1), w + gi * og * kg, kg, dyi + gi * og * p_count, p_count, T(0),
                dcol + gi * kg * p_count, p_count);
      if (!is_pointwise()) {
        std::fill(dxi, dxi + g_.c * g_.h * g_.w, T(0));
        col2im(dcol, dxi);
      }
    }
  }
  // The thread partial sums, always in thread order: bit-identical for a given thread count.
  T* gw = params_[0].grad.data();
  for (Index t = 0; t < team; ++t) {
    const T* dw = dw_.data() + t * w_size;
    for (Index j = 0; j < w_size; ++j) gw[j] += dw[j];
  }
  if (has_bias_) {
    T* gb = params_[1].grad.data();
    for (Index t = 0; t < team; ++t)
      for (Index o = 0; o < out_; ++o) gb[o] += db_[t * out_ + o];
  }
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
          {"init", init_.method}};
}

template class Conv2dLayer<float>;
template class Conv2dLayer<double>;

}  // namespace gradnet
