#include "gradnet/threads.h"

#include "kernels/gemm.h"

#include <omp.h>

extern "C" void openblas_set_num_threads(int);  // from libopenblas; no cblas.h outside src/kernels/gemm.cpp

namespace gradnet {

int set_threads(std::int64_t requested) {
  const int n = requested > 0 ? static_cast<int>(requested) : omp_get_num_procs();
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
  kernels::set_blas_threads(n);
  return n;
}

}  // namespace gradnet
