#include "openmp_env.h"

#include <unistd.h>

#include <cstdlib>

namespace gradnet::cli {

void settle_openmp_wait_policy(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr) return;
  if (setenv("OMP_WAIT_POLICY", "passive", 1) != 0) return;
  execv("/proc/self/exe", argv);  // returns only on failure (no /proc): run with the spinning default
  unsetenv("OMP_WAIT_POLICY");     // and say so truthfully in gradnet --version
}

}  // namespace gradnet::cli
