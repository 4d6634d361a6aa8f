// The world of one process, the launcher's announced size, and the refusal of a build without MPI.
#include <cstdlib>
#include <string>

#include "gradnet/dist.h"
#include "gradnet/error.h"
#include "world_impl.h"

namespace gradnet {
namespace {

class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void allreduce_sum(float*, std::size_t) override {}
  void allreduce_sum(double*, std::size_t) override {}
  void allreduce_max(int*, std::size_t) override {}
  void broadcast(std::string&, int) override {}
  void barrier() override {}
  void abort_all(int) override {}
  bool all_arrive(double) override { return true; }
  void send(int dest, int, const std::string&) override {
    throw Error(ErrorKind::runtime, "a world of one process has no rank " + std::to_string(dest) + " to send to");
  }
  std::optional<Message> receive(int, int, double) override {
    throw Error(ErrorKind::runtime, "a world of one process has no other rank to receive from");
  }
};

int env_int(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : 0;
}

}  // namespace

int launched_world_size() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS"}) {
    // SLURM_NTASKS alone (an sbatch allocation without srun) does not make this process a rank.
    if (std::string(name) == "SLURM_NTASKS" && std::getenv("SLURM_PROCID") == nullptr) continue;
    if (const int n = env_int(name); n > 0) return n;
  }
  return 1;
}

Communicator& single_process_world() {
  static SingleProcess one;
  return one;
}

void init_world(int* argc, char*** argv) {
  const int announced = launched_world_size();
  if (built_with_mpi()) {
    if (announced > 1) dist_detail::init_mpi(argc, argv);
    return;
  }
  GRADNET_CHECK(announced <= 1, usage,
                "started as one of {} processes (mpirun -np {}), but this gradnet was built without MPI; "
                "install Open MPI (libopenmpi-dev) and rebuild (cmake -DGRADNET_MPI=ON), or run one process",
                announced, announced);
}

namespace {
bool g_lost_rank = false;
}  // namespace

void note_lost_rank() { g_lost_rank = true; }

void finalize_world() {
  if (built_with_mpi() && !g_lost_rank) dist_detail::finalize_mpi();
}

namespace {
bool g_skip_final_rendezvous = false;
}  // namespace

void skip_final_rendezvous() { g_skip_final_rendezvous = true; }
bool final_rendezvous_skipped() { return g_skip_final_rendezvous; }

Communicator& world() {
  Communicator* mpi = built_with_mpi() ? dist_detail::mpi_world() : nullptr;
  return mpi ? *mpi : single_process_world();
}

}  // namespace gradnet
