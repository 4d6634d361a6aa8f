// Normalization kernels. Sums run in double for float nets too (a channel of a CIFAR batch holds
// 131,072 values; a 64x64 map 4096): statistics are two-pass (mean, then Σ (x - μ)²).
//
// Batch norm over channel c of x (n, C·hw), M = n·hw values per channel, r = 1/sqrt(σ² + eps):
//   batch_norm_statistics      mean, var (C, double) = μ, biased σ² per channel; OpenMP over channels   OVERWRITES
//   batch_norm_update_running  running = (1 - momentum)·running + momentum·batch, the variance made
//                              unbiased (σ²·M/(M - 1)) first                                 UPDATES in place
//   batch_norm_apply           y = x·scale + shift, scale = γ·r, shift = β - μ·γ·r (γ = 1, β = 0 when
//                              gamma is null); saved_mean = μ, saved_rstd = r for backward; OpenMP       OVERWRITES
//   batch_norm_backward        dβ += Σ dy, dγ += Σ dy·x̂ (when dgamma is set);  dx (when set):
//                              batch statistics: dx = γ·r/M·(M·dy - Σ dy - x̂·Σ dy·x̂)
//                              fixed statistics (eval):  dx = γ·r·dy;  OpenMP over channels     dx OVERWRITTEN
//
// Group norm (layer_norm: 1 group; group_norm; instance_norm: 1 group per channel): each example's
// G·Mg features are G groups of Mg consecutive values; the affine weight w and bias b hold one
// value per `inner` consecutive features. x̂ = (x - μ)·r over the group.
//   group_norm_forward   y = x̂·w + b (y = x̂ when w is null); mean, rstd (n, G) saved    OVERWRITES y, mean, rstd
//   group_norm_backward  dw += Σ dy·x̂, db += Σ dy (when dw is set);
//                        dx = r·(dy·w - mean(dy·w) - x̂·mean(dy·w·x̂)) over the group (when dx is set)  dx OVERWRITTEN
//
// Weight norm (Salimans & Kingma) over `rows` rows of `cols` values: W[r] = g[r]·v[r]/‖v[r]‖.
//   weight_norm_init_g    g = ‖v[r]‖                                                  OVERWRITES g
//   weight_norm_forward   norm[r] = ‖v[r]‖, W = g·v/‖v‖                                OVERWRITES w, norm
//   weight_norm_backward  with c[r] = Σ_j dW[r,j]·v[r,j] / norm[r]:
//                         dg[r] += c[r],  dv[r, j] += (g[r]/norm[r])·(dW[r, j] - c[r]·v[r, j]/norm[r])   ACCUMULATES
#pragma once

#include "gradnet/tensor.h"

namespace gradnet::kernels {

// x (n, c·hw): n examples, c channels of hw positions (hw = 1 for features).
struct ChannelShape {
  Index n = 0, c = 0, hw = 1;
};

template <typename T>
void batch_norm_statistics(const ChannelShape& s, const T* x, double* mean, double* var);
template <typename T>
void batch_norm_update_running(Index c, double count, double momentum, const double* mean, const double* var,
                               T* running_mean, T* running_var);
// gamma, beta: (C) or both null
template <typename T>
void batch_norm_apply(const ChannelShape& s, const T* x, const double* mean, const double* var, double eps,
                      const T* gamma, const T* beta, T* y, T* saved_mean, T* saved_rstd);
// dx, gamma/dgamma/dbeta may be null; batch_stats: the forward normalised with the batch's statistics
template <typename T>
void batch_norm_backward(const ChannelShape& s, const T* x, const T* dy, const T* saved_mean, const T* saved_rstd,
                         const T* gamma, bool batch_stats, T* dgamma, T* dbeta, T* dx);
// The two halves of the batch-statistics backward, for synchronised batch norm (the sums are
// all-reduced in between): Σ dy and Σ dy·x̂ per channel (OVERWRITTEN), then dx from their means
// over the global batch (dx OVERWRITTEN; gamma may be null).
template <typename T>
void batch_norm_backward_sums(const ChannelShape& s, const T* x, const T* dy, const T* saved_mean,
                              const T* saved_rstd, double* sum_dy, double* sum_dy_xhat);
template <typename T>
void batch_norm_backward_dx(const ChannelShape& s, const T* x, const T* dy, const T* saved_mean, const T* saved_rstd,
                            const T* gamma, const double* mean_dy, const double* mean_dy_xhat, T* dx);

// An example of groups·group_size features; `inner` consecutive features share an affine weight.
struct GroupLayout {
  Index groups = 1, group_size = 1, inner = 1;
};

// x, y: (n, G·Mg)  w, b: (G·Mg/inner) or null  mean, rstd: (n, G)
template <typename T>
void group_norm_forward(const GroupLayout& l, Index n, const T* x, double eps, const T* w, const T* b, T* y, T* mean,
                        T* rstd);
// dx, w, dw, db may be null (w null: no affine; dw, db are set together)
template <typename T>
void group_norm_backward(const GroupLayout& l, Index n, const T* x, const T* dy, const T* mean, const T* rstd,
                         const T* w, T* dw, T* db, T* dx);

// v, w, dw, dv: (rows, cols)  g, dg, norm: (rows)
template <typename T>
void weight_norm_init_g(const T* v, T* g, Index rows, Index cols);
template <typename T>
void weight_norm_forward(const T* g, const T* v, T* w, T* norm, Index rows, Index cols);
template <typename T>
void weight_norm_backward(const T* g, const T* v, const T* dw, const T* norm, T* dg, T* dv, Index rows, Index cols);

}  // namespace gradnet::kernels
