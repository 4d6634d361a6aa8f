// WeightNorm<T>: the weight-norm reparameterisation of Salimans & Kingma (2016), as
// torch.nn.utils.weight_norm(module, dim=0): a weight W of `rows` output units (linear: out;
// conv2d: out channels) and `cols` values each (linear: in; conv2d: in·kh·kw) is learned as
//   W[r, :] = g[r] · v[r, :] / ‖v[r, :]‖                     g: (rows) [PyTorch: (out, 1, ...)], v: like W
// The layer owning g and v (its Params weight_g, weight_v) calls, per step:
//   forward(g, v)        computes s[r] = ‖v[r]‖ and W into planned buffers; use w() as the weight
//   dw()                 scratch (rows, cols) that the layer OVERWRITES with dL/dW
//   backward(g, v, dg, dv) ACCUMULATES, with c[r] = Σ_j dW[r,j]·v[r,j] / s[r]:
//                         dg[r]    += c[r]
//                         dv[r, j] += (g[r] / s[r]) · (dW[r, j] − c[r] · v[r, j] / s[r])
// and init_g(v, g) sets g[r] = ‖v[r]‖, so that W = v right after init (PyTorch does the same when
// it wraps an initialised module). Nothing allocates after setup(). A row of v that is all zeros
// has no direction: W is NaN there, as in PyTorch.
#pragma once

#include <vector>

#include "gradnet/tensor.h"

namespace gradnet {

template <typename T>
class WeightNorm {
 public:
  void setup(Index rows, Index cols);  // sizes W, dW (rows·cols) and the norms (rows)
  void init_g(const T* v, T* g) const;
  void forward(const T* g, const T* v);
  const T* w() const { return w_.data(); }
  T* dw() { return dw_.data(); }
  void backward(const T* g, const T* v, T* dg, T* dv) const;  // reads dw()
  Index rows() const { return rows_; }
  Index cols() const { return cols_; }

 private:
  Index rows_ = 0, cols_ = 0;
  std::vector<T> w_, dw_;  // (rows, cols)
  std::vector<T> norm_;    // (rows): ‖v[r]‖ at the last forward()
};

extern template class WeightNorm<float>;
extern template class WeightNorm<double>;

}  // namespace gradnet
