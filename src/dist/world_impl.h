// Private to src/dist: the MPI world (mpi.cpp, compiled with GRADNET_MPI) or its absence (no_mpi.cpp).
#pragma once

#include "gradnet/dist.h"

namespace gradnet::dist_detail {

void init_mpi(int* argc, char*** argv);
void finalize_mpi();
Communicator* mpi_world();  // nullptr until init_mpi

}  // namespace gradnet::dist_detail
