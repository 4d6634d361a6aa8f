// WeightNorm: W = g · v/‖v‖ per row, forward and backward side by side (formulas in weight_norm.h;
// the loops are kernels::weight_norm_*, src/kernels/norm.h).
//   g, dg: (rows)   v, dv, W, dW: (rows, cols)   norm_: (rows)
#include "gradnet/layers/weight_norm.h"

#include "../kernels/norm.h"

namespace gradnet {

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
  kernels::weight_norm_init_g(v, g, rows_, cols_);
}

template <typename T>
void WeightNorm<T>::forward(const T* g, const T* v) {
  kernels::weight_norm_forward(g, v, w_.data(), norm_.data(), rows_, cols_);
}

template <typename T>
void WeightNorm<T>::backward(const T* g, const T* v, T* dg, T* dv) const {
  kernels::weight_norm_backward(g, v, dw_.data(), norm_.data(), dg, dv, rows_, cols_);
}

template class WeightNorm<float>;
template class WeightNorm<double>;

}  // namespace gradnet
