// Row-major GEMM over OpenBLAS, so that layers never include <cblas.h> (the one include lives in
// blas.cpp; public headers stay free of it).
//   C (M x N) = alpha * op(A) * op(B) + beta * C, op(X) = X or Xᵀ; op(A) is M x K, op(B) is K x N.
//   lda/ldb/ldc are the row strides of A, B, C as stored (before the transpose).
#pragma once

#include "gradnet/tensor.h"

namespace gradnet {

// The thread budget of large products (train.threads); small ones always run on one thread.
void set_blas_threads(int threads);

template <typename T>
void gemm(bool trans_a, bool trans_b, Index m, Index n, Index k, T alpha, const T* a, Index lda, const T* b,
          Index ldb, T beta, T* c, Index ldc);

}  // namespace gradnet
