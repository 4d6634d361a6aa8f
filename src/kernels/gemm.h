// GEMM, row-major: float over oneDNN's dnnl_sgemm (or OpenBLAS when built without oneDNN), double
// over OpenBLAS. gemm.cpp is the only translation unit that includes <cblas.h> and <dnnl.h>;
// public headers stay free of them.
//   C (M x N) = alpha · op(A) · op(B) + beta · C,  op(X) = X or Xᵀ;  op(A) is M x K, op(B) is K x N.
//   lda/ldb/ldc are the row strides of A, B, C as stored (before the transpose).
// Overwrites C when beta = 0, accumulates (C = beta·C + ...) otherwise. Deterministic for a given
// thread count and CPU: both libraries split the work by shape and thread count only (tested by
// the determinism tests of every command).
#pragma once

#include <string>

#include "gradnet/tensor.h"

namespace gradnet::kernels {

// The thread budget of large products (train.threads); small ones always run on one thread.
void set_blas_threads(int threads);

// The threads a product of this shape runs on outside any parallel region (the rule above).
int gemm_threads(Index m, Index n, Index k);

// What computes float products, e.g. "oneDNN 2.6.3 (AVX-512)", for gradnet --version.
std::string gemm_backend();

template <typename T>
void gemm(bool trans_a, bool trans_b, Index m, Index n, Index k, T alpha, const T* a, Index lda, const T* b,
          Index ldb, T beta, T* c, Index ldc);

}  // namespace gradnet::kernels
