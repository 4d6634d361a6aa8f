// Optimizer kernels: the per-param update loops (PyTorch 1.13's formulas, docs/optimizers.md),
// gradient clipping, and the flat-vector operations of L-BFGS. Each update reads the gradient g
// and UPDATES the weights w and its state buffers in place, element by element; the optimizer
// computes the per-step scalars (rates, bias corrections) and passes them in a small struct.
// With g' = g + decay·w (coupled L2):
//   sgd_update       buf null: w -= rate·g'
//                    else buf = first ? g' : momentum·buf + damp·g';  w -= rate·(nesterov ? g' + momentum·buf : buf)
//   adagrad_update   sum += g'²;  w -= clr·g' / (sqrt(sum) + eps)
//   rmsprop_update   sq = α·sq + (1 - α)·g'²;  avg = sqrt(sq - ga²) + eps with ga = α·ga + (1 - α)·g'
//                    (grad_avg set: centered) or sqrt(sq) + eps;  buf set: buf = momentum·buf + g'/avg,
//                    w -= rate·buf;  else w -= rate·g'/avg
//   adam_update      decoupled (adamw): w *= shrink first;  m = β1·m + (1 - β1)·g';  v = β2·v + (1 - β2)·g'²;
//                    vmax set (amsgrad): vmax = max(vmax, v), used for v;  w -= step_size·m / (sqrt(v)/bc2 + eps)
//   adadelta_update  sq = ρ·sq + (1 - ρ)·g'²;  δ = sqrt(acc + eps)/sqrt(sq + eps)·g';  acc = ρ·acc + (1 - ρ)·δ²;
//                    w -= rate·δ
// Clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_), one param's grad at a time:
//   sum_squares      returns acc + Σ g² in double, in order (chain it over params for the global norm)
//   scale_in_place   g = T(g·coef), the product in double                                     OVERWRITES g
//   clamp_in_place   g = clamp(g, -limit, limit)                                              OVERWRITES g
// Flat vectors (L-BFGS): reductions in double, in order.
//   dot = Σ a·b   abs_max = max |a|   abs_sum = Σ |a|   abs_max_scaled = max |a·t| (product in double)
//   axpy y += a·x   scale x *= a   negate y = -x   difference out = a - b   scaled_copy out = T(x·t)   copy y = x
#pragma once

#include "gradnet/tensor.h"

namespace gradnet::kernels {

template <typename T>
struct SgdStep {
  T rate, decay, momentum, damp;  // damp = 1 - dampening
  bool nesterov, first;           // first: the buffer starts as g' (the first step)
};
template <typename T>
struct AdagradStep {
  T clr, decay, eps;  // clr = rate / (1 + (step - 1)·lr_decay)
};
template <typename T>
struct RmspropStep {
  T rate, decay, alpha, eps, momentum;
};
template <typename T>
struct AdamStep {
  T beta1, beta2, eps, step_size, bc2, decay, shrink;  // step_size = rate/(1 - β1^t), bc2 = sqrt(1 - β2^t)
  bool decoupled;                                      // adamw: shrink w, decay 0
};
template <typename T>
struct AdadeltaStep {
  T rate, decay, rho, eps;
};

// w, g and every state buffer: (n)
template <typename T>
void sgd_update(const SgdStep<T>& s, T* w, const T* g, T* momentum_buffer, Index n);
template <typename T>
void adagrad_update(const AdagradStep<T>& s, T* w, const T* g, T* sum, Index n);
template <typename T>
void rmsprop_update(const RmspropStep<T>& s, T* w, const T* g, T* square_avg, T* grad_avg, T* momentum_buffer,
                    Index n);
template <typename T>
void adam_update(const AdamStep<T>& s, T* w, const T* g, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq, Index n);
template <typename T>
void adadelta_update(const AdadeltaStep<T>& s, T* w, const T* g, T* square_avg, T* acc_delta, Index n);

template <typename T>
double sum_squares(const T* g, Index n, double acc);
template <typename T>
void scale_in_place(T* g, Index n, double coef);
template <typename T>
void clamp_in_place(T* g, Index n, T limit);

template <typename T>
double dot(const T* a, const T* b, Index n);
template <typename T>
double abs_max(const T* a, Index n);
template <typename T>
double abs_sum(const T* a, Index n);
template <typename T>
double abs_max_scaled(const T* a, double t, Index n);
template <typename T>
void axpy(T a, const T* x, T* y, Index n);
template <typename T>
void scale(T a, T* x, Index n);
template <typename T>
void negate(const T* x, T* y, Index n);
template <typename T>
void difference(const T* a, const T* b, T* out, Index n);
template <typename T>
void scaled_copy(const T* x, double t, T* out, Index n);
template <typename T>
void copy(const T* x, T* y, Index n);

}  // namespace gradnet::kernels
