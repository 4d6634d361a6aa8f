// WeightNorm: W = g · v/‖v‖ per row, forward and backward side by side (formulas in weight_norm.h).
//   g, dg: (rows)   v, dv, W, dW: (rows, cols)   norm_: (rows)
#include "gradnet/layers/weight_norm.h"

#include <cmath>

namespace gradnet {

namespace {

// ‖v‖ of one row, summed in double (float rows of a few thousand values would lose digits).
template <typename T>
double row_norm(const T* v, Index cols) {
  double s = 0.0;
  for (Index j = 0; j < cols; ++j) s += static_cast<double>(v[j]) * static_cast<double>(v[j]);
  return std::sqrt(s);
}

}  // namespace

template <typename T>
void WeightNorm<T>::setup(Index rows, Index cols) {
  rows_ = rows;
  cols_ = cols;
  w_.assign(static_cast<std::size_t>(rows * cols), T(0));
  dw_.assign(w_.size(), T(0));
  norm_.assign(static_cast<std::size_t>(rows), T(0));
}

template <typename T>
void WeightNorm<T>::init_g(const T* v, T* g) const {
  for (Index r = 0; r < rows_; ++r) g[r] = static_cast<T>(row_norm(v + r * cols_, cols_));
}

template <typename T>
void WeightNorm<T>::forward(const T* g, const T* v) {
  for (Index r = 0; r < rows_; ++r) {
    const T* vr = v + r * cols_;
    T* wr = w_.data() + r * cols_;
    const double s = row_norm(vr, cols_);
    norm_[r] = static_cast<T>(s);
    const T scale = static_cast<T>(g[r] / s);
    for (Index j = 0; j < cols_; ++j) wr[j] = scale * vr[j];
  }
}

template <typename T>
void WeightNorm<T>::backward(const T* g, const T* v, T* dg, T* dv) const {
  for (Index r = 0; r < rows_; ++r) {
    const T* vr = v + r * cols_;
    const T* dwr = dw_.data() + r * cols_;
    T* dvr = dv + r * cols_;
    const double s = norm_[r];
    double dot = 0.0;  // Σ dW·v
    for (Index j = 0; j < cols_; ++j) dot += static_cast<double>(dwr[j]) * static_cast<double>(vr[j]);
    const double c = dot / s;
    dg[r] += static_cast<T>(c);
    const T a = static_cast<T>(g[r] / s), b = static_cast<T>(c / s);
    for (Index j = 0; j < cols_; ++j) dvr[j] += a * (dwr[j] - b * vr[j]);
  }
}

template class WeightNorm<float>;
template class WeightNorm<double>;

}  // namespace gradnet
