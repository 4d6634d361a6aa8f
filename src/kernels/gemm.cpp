// The only translation unit that includes <cblas.h> (see gemm.h).
#include "gemm.h"

#include <cblas.h>
#include <omp.h>

namespace gradnet::kernels {

static CBLAS_TRANSPOSE op(bool trans) { return trans ? CblasTrans : CblasNoTrans; }

// Threads for one product: small ones (the seed MLP's 128x784x64) run faster on one thread than
// split across an OpenMP team that has to be woken for each call (measured: W1 0.185 s/epoch on
// one thread, 0.15-0.32 s erratic on two); large ones use every configured thread.
static int g_threads = 1;
static int g_current = -1;
constexpr double kParallelWork = 3.0e7;  // multiply-adds (m * n * k) from which threads pay off

void set_blas_threads(int threads) {
  g_threads = threads > 0 ? threads : 1;
  g_current = -1;
}

static void threads_for(Index m, Index n, Index k) {
  // Inside a layer's own OpenMP team (conv2d spreads examples over threads) OpenBLAS runs each
  // product on the calling thread; touching its thread count from there would race.
  if (omp_in_parallel()) return;
  const int want = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k) < kParallelWork ? 1 : g_threads;
  if (want != g_current) {
    openblas_set_num_threads(want);
    g_current = want;
  }
}

template <>
void gemm<float>(bool trans_a, bool trans_b, Index m, Index n, Index k, float alpha, const float* a, Index lda,
                 const float* b, Index ldb, float beta, float* c, Index ldc) {
  threads_for(m, n, k);
  cblas_sgemm(CblasRowMajor, op(trans_a), op(trans_b), static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), alpha, a, static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
              static_cast<blasint>(ldc));
}

template <>
void gemm<double>(bool trans_a, bool trans_b, Index m, Index n, Index k, double alpha, const double* a, Index lda,
                  const double* b, Index ldb, double beta, double* c, Index ldc) {
  threads_for(m, n, k);
  cblas_dgemm(CblasRowMajor, op(trans_a), op(trans_b), static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), alpha, a, static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
              static_cast<blasint>(ldc));
}

}  // namespace gradnet::kernels
