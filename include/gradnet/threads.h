// train.threads really sets the BLAS and OpenMP thread counts (one shared OpenMP pool with
// libopenblas-openmp); 0 means every core. Returns the effective count.
#pragma once

#include <cstdint>

namespace gradnet {

int set_threads(std::int64_t requested);

}  // namespace gradnet
