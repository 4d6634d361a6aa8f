// How OpenMP threads wait: gradnet's own loops, oneDNN and OpenBLAS share one libgomp team.
#pragma once

namespace gradnet::cli {

// libgomp's default is to spin ~0.3 ms waiting for the next parallel region. On a machine where
// another process takes a core, a spinning thread holds the core the late thread needs, and two
// threads ran 3x slower than one (W3, W2). So gradnet asks for passive waiting: unless the user
// set OMP_WAIT_POLICY or GOMP_SPINCOUNT, it sets OMP_WAIT_POLICY=passive and re-executes itself
// once (libgomp reads its settings before main runs). If the re-exec fails, it goes on as it is.
void settle_openmp_wait_policy(char** argv);

}  // namespace gradnet::cli
