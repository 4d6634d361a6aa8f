// train.threads really sets the BLAS and OpenMP thread counts (one shared OpenMP pool with
// libopenblas-openmp); 0 means every core. Returns the effective count.
#pragma once

#include <cstdint>
#include <string>

namespace gradnet {

int set_threads(std::int64_t requested);

// One line per engine part, for gradnet --version: the float GEMM library and the CPU features it
// uses, the OpenMP threads available and how idle threads wait (OMP_WAIT_POLICY).
std::string runtime_info();

}  // namespace gradnet
