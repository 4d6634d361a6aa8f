// train.threads really sets the BLAS and OpenMP thread counts (one shared OpenMP pool with
// libopenblas-openmp); 0 means every core. The count is clamped to the cores and to what an
// address-space limit (ulimit -v, RLIMIT_AS) leaves room for: OpenBLAS maps a large buffer per
// thread and spins forever when it cannot.
#pragma once

#include <cstdint>
#include <string>

namespace gradnet {

constexpr int kMaxThreads = 4096;  // train.threads' upper bound

// The threads an address-space limit leaves room for (kMaxThreads without a limit), at least 1.
int address_space_threads();
// The count set_threads would use for a requested one (0: every core): at most the cores and
// address_space_threads(), at least 1.
int thread_count(std::int64_t requested);
// Sets the BLAS and OpenMP thread counts; returns the count used.
int set_threads(std::int64_t requested);

// One line per engine part, for gradnet --version: the float GEMM library and the CPU features it
// uses, the OpenMP threads available and how idle threads wait (OMP_WAIT_POLICY).
std::string runtime_info();

}  // namespace gradnet
