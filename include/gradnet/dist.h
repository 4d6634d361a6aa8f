// The processes one run is spread over (data-parallel training, distributed search).
//
// A plain `gradnet train` is a world of one process whose collectives do nothing. Started by
// `mpirun -np N` (or srun) and built with Open MPI (cmake -DGRADNET_MPI=ON, the default when MPI is
// found), the world is MPI_COMM_WORLD's N ranks. A build without MPI started as one of N > 1 ranks
// refuses to run (init_world throws) instead of training N unconnected copies into one directory.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace gradnet {

// One point-to-point message: who sent it, its tag, its bytes.
struct Message {
  int source = -1;
  int tag = 0;
  std::string body;
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Element-wise sum over every rank, in place. Every rank ends with the same bits, and the same
  // inputs at the same size give the same bits on every run (the reduction order is fixed).
  virtual void allreduce_sum(float* x, std::size_t n) = 0;
  virtual void allreduce_sum(double* x, std::size_t n) = 0;
  virtual void allreduce_max(int* x, std::size_t n) = 0;
  // root's string on every rank.
  virtual void broadcast(std::string& s, int root) = 0;
  virtual void barrier() = 0;
  // Ends every rank with this exit code (MPI_Abort); a world of one just returns.
  virtual void abort_all(int code) = 0;
  // Whether every rank reached this call within timeout_seconds (a barrier that gives up): at the
  // end of a command, false means another rank is stuck or gone, and abort_all ends the job.
  virtual bool all_arrive(double timeout_seconds) = 0;
  // Point to point (the search's master and workers): send returns once body is on its way; receive
  // waits for a message from source (any rank: -1) with tag (any tag: -1), none after
  // timeout_seconds. A world of one has no one to talk to: both throw Error(runtime).
  virtual void send(int dest, int tag, const std::string& body) = 0;
  virtual std::optional<Message> receive(int source, int tag, double timeout_seconds) = 0;
  bool is_root() const { return rank() == 0; }
};

// How this process was started: the world size the launcher announced (OMPI_COMM_WORLD_SIZE,
// PMI_SIZE, ...), 1 when not started by a launcher.
int launched_world_size();
// Whether this build can join an MPI world.
bool built_with_mpi();

// First in main, after any re-exec: joins the launcher's world (MPI_Init_thread, MPI_THREAD_FUNNELED)
// when there is one. Throws Error(usage) for a world of N > 1 in a build without MPI.
void init_world(int* argc, char*** argv);
// Last in main (MPI_Finalize when init_world joined a world).
void finalize_world();
// The world init_world joined, or a world of one.
Communicator& world();
// A command whose ranks agree how they end by messages of their own (the distributed search: its
// master waits for every worker's goodbye, and goes on without a rank that died under
// `mpirun --enable-recovery`) calls this: main then skips its final all_arrive, which a dead rank
// would turn into a 60 s wait and an abort.
void skip_final_rendezvous();
bool final_rendezvous_skipped();
// A rank of this world has died and the others went on (mpirun --enable-recovery): finalize_world
// then leaves MPI_Finalize out, which was seen to hang waiting for the dead rank.
void note_lost_rank();

}  // namespace gradnet
