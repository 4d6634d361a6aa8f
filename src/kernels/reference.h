// kernels::reference: plain, obviously correct versions of the kernels (kernels.h), for tests
// only. Same signatures as the kernels they check, except where noted; loops are direct
// (naive triple-loop GEMM, naive windows, textbook formulas with std::exp), sums and elementwise
// formulas run in double (long double for GEMM) and are rounded to T once, so for float the
// difference to a kernel is the kernel's own rounding. Nothing here is tuned or used in training.
#pragma once

#include <cstdint>

#include "activation.h"
#include "norm.h"
#include "optim.h"
#include "softmax.h"
#include "window.h"

namespace gradnet::kernels::reference {

template <typename T>
void gemm(bool trans_a, bool trans_b, Index m, Index n, Index k, T alpha, const T* a, Index lda, const T* b,
          Index ldb, T beta, T* c, Index ldc);

// ---- activation.h
template <typename T>
void sigmoid_forward(const T* x, T* y, Index n);
template <typename T>
void sigmoid_backward(const T* y, const T* dy, T* dx, Index n);
template <typename T>
void tanh_forward(const T* x, T* y, Index n);
template <typename T>
void tanh_backward(const T* y, const T* dy, T* dx, Index n);
template <typename T>
void relu_forward(const T* x, T* y, Index n);
template <typename T>
void relu_backward(const T* x, const T* dy, T* dx, Index n);
template <typename T>
void leaky_relu_forward(const T* x, T* y, Index n, T slope);
template <typename T>
void leaky_relu_backward(const T* x, const T* dy, T* dx, Index n, T slope);
template <typename T>
void elu_forward(const T* x, T* y, Index n, T alpha);
template <typename T>
void elu_backward(const T* x, const T* dy, T* dx, Index n, T alpha);
template <typename T>
void gelu_forward(const T* x, T* y, Index n, GeluApproximation approximate);
template <typename T>
void gelu_backward(const T* x, const T* dy, T* dx, Index n, GeluApproximation approximate);
template <typename T>
void silu_forward(const T* x, T* y, Index n);
template <typename T>
void silu_backward(const T* x, const T* dy, T* dx, Index n);
template <typename T>
void apply_mask(const T* x, const T* mask, T* y, Index n);

// ---- dense.h
template <typename T>
void bias_broadcast(const T* b, T* y, Index rows, Index d);
template <typename T>
void bias_grad(const T* dy, T* db, Index rows, Index d);

// ---- conv.h
template <typename T>
void im2col(const WindowGeometry& g, const T* x, T* col, Index ld);
template <typename T>
void col2im(const WindowGeometry& g, const T* col, Index ld, T* dx);
template <typename T>
void im2col_chunk(const WindowGeometry& g, const T* x, Index count, T* col);
template <typename T>
void col2im_chunk(const WindowGeometry& g, const T* col, Index count, T* dx);
template <typename T>
void conv_bias_scatter(const T* t, const T* b, T* y, Index count, Index out, Index p_count);
template <typename T>
void conv_gather(const T* dy, T* t, Index count, Index out, Index p_count);
template <typename T>
void conv_bias_grad(const T* t, T* db, Index out, Index cols);

// ---- pool.h (average pooling takes count_include_pad and finds each divisor itself)
template <typename T>
void max_pool_forward(const WindowGeometry& g, const T* x, T* y, std::int32_t* argmax, Index n);
template <typename T>
void max_pool_backward(const WindowGeometry& g, const T* dy, const std::int32_t* argmax, T* dx, Index n);
template <typename T>
void avg_pool_forward(const WindowGeometry& g, bool count_include_pad, const T* x, T* y, Index n);
template <typename T>
void avg_pool_backward(const WindowGeometry& g, bool count_include_pad, const T* dy, T* dx, Index n);
template <typename T>
void global_avg_pool_forward(const T* x, T* y, Index n, Index c, Index hw);
template <typename T>
void global_avg_pool_backward(const T* dy, T* dx, Index n, Index c, Index hw);

// ---- norm.h
template <typename T>
void batch_norm_statistics(const ChannelShape& s, const T* x, double* mean, double* var);
template <typename T>
void batch_norm_update_running(Index c, double count, double momentum, const double* mean, const double* var,
                               T* running_mean, T* running_var);
template <typename T>
void batch_norm_apply(const ChannelShape& s, const T* x, const double* mean, const double* var, double eps,
                      const T* gamma, const T* beta, T* y, T* saved_mean, T* saved_rstd);
template <typename T>
void batch_norm_backward(const ChannelShape& s, const T* x, const T* dy, const T* saved_mean, const T* saved_rstd,
                         const T* gamma, bool batch_stats, T* dgamma, T* dbeta, T* dx);
template <typename T>
void group_norm_forward(const GroupLayout& l, Index n, const T* x, double eps, const T* w, const T* b, T* y, T* mean,
                        T* rstd);
template <typename T>
void group_norm_backward(const GroupLayout& l, Index n, const T* x, const T* dy, const T* mean, const T* rstd,
                         const T* w, T* dw, T* db, T* dx);
template <typename T>
void weight_norm_init_g(const T* v, T* g, Index rows, Index cols);
template <typename T>
void weight_norm_forward(const T* g, const T* v, T* w, T* norm, Index rows, Index cols);
template <typename T>
void weight_norm_backward(const T* g, const T* v, const T* dw, const T* norm, T* dg, T* dv, Index rows, Index cols);

// ---- softmax.h (no work buffers)
template <typename T>
void softmax_forward(SoftmaxKind kind, const T* x, T* y, Index n, Index c, Index s);
template <typename T>
void softmax_backward(SoftmaxKind kind, const T* y, const T* dy, T* dx, Index n, Index c, Index s);
template <typename T>
double softmax_cross_entropy_forward(const T* z, const std::int32_t* labels, T* probs, Index n, Index k);
template <typename T>
void softmax_cross_entropy_backward(const T* probs, const std::int32_t* labels, T* dz, Index n, Index k);
template <typename T>
void softmax_rows(const T* z, T* p, Index n, Index k);
template <typename T>
double mse_forward(const T* z, const std::int32_t* labels, Index n, Index k);
template <typename T>
void mse_backward(const T* z, const std::int32_t* labels, T* dz, Index n, Index k);

// ---- optim.h
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

}  // namespace gradnet::kernels::reference
