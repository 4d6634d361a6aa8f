// A build without MPI (GRADNET_MPI=OFF or no Open MPI found): a world of one process only.
#include "world_impl.h"

namespace gradnet {

bool built_with_mpi() { return false; }

namespace dist_detail {
void init_mpi(int*, char***) {}
void finalize_mpi() {}
Communicator* mpi_world() { return nullptr; }
}  // namespace dist_detail

}  // namespace gradnet
