#include "gradnet/threads.h"

#include <sys/resource.h>

#include <algorithm>

#include "kernels/gemm.h"

#include <fmt/format.h>
#include <omp.h>

#include <cstdlib>

extern "C" void openblas_set_num_threads(int);  // from libopenblas; no cblas.h outside src/kernels/gemm.cpp

namespace gradnet {

int address_space_threads() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return kMaxThreads;
  // Each OpenBLAS thread maps a 128 MiB buffer (and a stack): about 140 MiB of address space. When
  // the mapping fails, OpenBLAS spins forever; so threads may take at most half of the limit.
  constexpr std::uint64_t kPerThread = std::uint64_t(160) << 20;
  const std::uint64_t n = static_cast<std::uint64_t>(limit.rlim_cur) / 2 / kPerThread;
  return static_cast<int>(std::clamp<std::uint64_t>(n, 1, kMaxThreads));
}

int thread_count(std::int64_t requested) {
  const int cores = std::clamp(omp_get_num_procs(), 1, kMaxThreads);
  const int wanted = requested > 0 ? static_cast<int>(std::min<std::int64_t>(requested, cores)) : cores;
  return std::min(wanted, address_space_threads());
}

int set_threads(std::int64_t requested) {
  const int n = thread_count(requested);
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
