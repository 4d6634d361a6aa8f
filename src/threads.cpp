#include "gradnet/threads.h"

#include "kernels/gemm.h"

#include <fmt/format.h>
#include <omp.h>

#include <cstdlib>

extern "C" void openblas_set_num_threads(int);  // from libopenblas; no cblas.h outside src/kernels/gemm.cpp

namespace gradnet {

int set_threads(std::int64_t requested) {
  const int n = requested > 0 ? static_cast<int>(requested) : omp_get_num_procs();
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
  kernels::set_blas_threads(n);
  return n;
}

std::string runtime_info() {
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  const char* spin = std::getenv("GOMP_SPINCOUNT");
  std::string wait = policy ? fmt::format("OMP_WAIT_POLICY={}", policy) : "libgomp's default (spinning)";
  if (spin) wait += fmt::format(", GOMP_SPINCOUNT={}", spin);
  return fmt::format("float GEMM: {}\nOpenMP: {} processors, idle threads wait: {}", kernels::gemm_backend(),
                     omp_get_num_procs(), wait);
}

}  // namespace gradnet
