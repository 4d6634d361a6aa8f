// The only translation unit that includes <cblas.h> or oneDNN's <dnnl.h> (see gemm.h).
//   float:  oneDNN's dnnl_sgemm where gradnet was built with it (GRADNET_ONEDNN), else OpenBLAS.
//   double: OpenBLAS (gradient checks, the reference paths).
// Why oneDNN for float: it picks its kernels from the CPU it runs on (AVX-512 where there is one)
// while OpenBLAS is pinned to its Haswell kernels here (OPENBLAS_CORETYPE); measured at the W2
// shapes on one thread: 128x512x784 83 vs 39 GFLOP/s, 512x784x128 (dW) 87 vs 48 GFLOP/s.
#include "gemm.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#if GRADNET_ONEDNN
#include <oneapi/dnnl/dnnl.h>
#endif

#include <fmt/format.h>

#include "gradnet/error.h"

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

static int threads_for(Index m, Index n, Index k) {
  const double work = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  return work < kParallelWork ? 1 : g_threads;
}

int gemm_threads(Index m, Index n, Index k) { return threads_for(m, n, k); }

static void set_openblas_threads(Index m, Index n, Index k) {
  // Inside a layer's own OpenMP team (conv2d spreads examples over threads) OpenBLAS runs each
  // product on the calling thread; touching its thread count from there would race. So it would
  // from a thread shard (a SpinTeam thread: an OpenMP budget below the configured threads).
  if (omp_in_parallel() || omp_get_max_threads() < g_threads) return;
  const int want = threads_for(m, n, k);
  if (want != g_current) {
    openblas_set_num_threads(want);
    g_current = want;
  }
}

#if GRADNET_ONEDNN
// dnnl_sgemm runs on an OpenMP team of omp_get_max_threads(); inside a layer's own team it runs
// on the calling thread (no nested parallelism). Its split of the work depends only on the shape
// and the thread count, so a product is bit-identical from run to run at a given thread count.
static void sgemm_onednn(bool trans_a, bool trans_b, Index m, Index n, Index k, float alpha, const float* a,
                         Index lda, const float* b, Index ldb, float beta, float* c, Index ldc) {
  const bool outer = !omp_in_parallel();
  const int before = outer ? omp_get_max_threads() : 1;
  const int want = outer ? std::min(threads_for(m, n, k), before) : 1;  // never above the caller's budget
  if (outer && want != before) omp_set_num_threads(want);
  const dnnl_status_t status = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb,
                                          beta, c, ldc);
  if (outer && want != before) omp_set_num_threads(before);
  GRADNET_CHECK(status == dnnl_success, runtime, "oneDNN sgemm {}x{}x{} failed (dnnl status {}: out of memory?)", m, n,
                k, static_cast<int>(status));
}
#endif

std::string gemm_backend() {
#if GRADNET_ONEDNN
  const dnnl_version_t* v = dnnl_version();
  const char* isa = __builtin_cpu_supports("avx512f") ? "AVX-512" : __builtin_cpu_supports("avx2") ? "AVX2" : "SSE";
  return fmt::format("oneDNN {}.{}.{} ({})", v->major, v->minor, v->patch, isa);
#else
  return "OpenBLAS";
#endif
}

template <>
void gemm<float>(bool trans_a, bool trans_b, Index m, Index n, Index k, float alpha, const float* a, Index lda,
                 const float* b, Index ldb, float beta, float* c, Index ldc) {
#if GRADNET_ONEDNN
  sgemm_onednn(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#else
  set_openblas_threads(m, n, k);
  cblas_sgemm(CblasRowMajor, op(trans_a), op(trans_b), static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), alpha, a, static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
              static_cast<blasint>(ldc));
#endif
}

template <>
void gemm<double>(bool trans_a, bool trans_b, Index m, Index n, Index k, double alpha, const double* a, Index lda,
                  const double* b, Index ldb, double beta, double* c, Index ldc) {
  set_openblas_threads(m, n, k);
  cblas_dgemm(CblasRowMajor, op(trans_a), op(trans_b), static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), alpha, a, static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
              static_cast<blasint>(ldc));
}

}  // namespace gradnet::kernels
