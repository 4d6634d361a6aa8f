// The MPI world (built with GRADNET_MPI). Sums use a fixed order of their own rather than
// MPI_Allreduce, whose reduction order is the library's choice: an all-to-all hands each rank one
// segment of every rank's vector, the rank adds them in rank order (0, 1, ..., N-1), and an
// all-gather returns the sums. The same bytes as a ring all-reduce (2 (N-1)/N of the vector per
// rank), the same bits on every rank and on every run at the same N.
#include <mpi.h>

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "gradnet/error.h"
#include "world_impl.h"

namespace gradnet {

bool built_with_mpi() { return true; }

namespace dist_detail {
namespace {

void check(int rc, const char* what) {
  GRADNET_CHECK(rc == MPI_SUCCESS, runtime, "MPI {} failed (error {})", what, rc);
}

// The timeout on a blocking call: a launcher that does not end the job when a rank dies (or a
// rank that hangs) would leave the others waiting in a collective for ever. A watchdog thread
// ends this rank when one call has waited longer than GRADNET_MPI_TIMEOUT seconds (default 600;
// 0: never); the launcher then ends the job, as for any rank that exits with an error.
std::atomic<long long> g_blocked_since{0};  // steady-clock nanoseconds; 0: not in a blocking call
std::atomic<const char*> g_blocked_in{""};

long long steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class Blocking {
 public:
  explicit Blocking(const char* call) {
    g_blocked_in = call;
    g_blocked_since = steady_ns();
  }
  ~Blocking() { g_blocked_since = 0; }
};

void start_watchdog(int rank) {
  const char* env = std::getenv("GRADNET_MPI_TIMEOUT");
  const double limit = env && *env ? std::atof(env) : 600.0;
  if (limit <= 0) return;
  std::thread([rank, limit] {
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      const long long since = g_blocked_since;
      if (since == 0 || (steady_ns() - since) * 1e-9 < limit) continue;
      fmt::print(stderr, "gradnet: error: rank {} waited {:g} s in MPI_{} for the other ranks: one of them has died "
                 "or hangs (GRADNET_MPI_TIMEOUT sets the limit); stopping\n", rank, limit, g_blocked_in.load());
      std::fflush(stderr);
      std::_Exit(1);
    }
  }).detach();
}

template <typename T>
MPI_Datatype type_of();
template <>
MPI_Datatype type_of<float>() { return MPI_FLOAT; }
template <>
MPI_Datatype type_of<double>() { return MPI_DOUBLE; }

class MpiWorld final : public Communicator {
 public:
  MpiWorld() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void allreduce_sum(float* x, std::size_t n) override { ordered_sum(x, n); }
  void allreduce_sum(double* x, std::size_t n) override { ordered_sum(x, n); }
  void allreduce_max(int* x, std::size_t n) override {
    Blocking b("Allreduce");
    check(MPI_Allreduce(MPI_IN_PLACE, x, static_cast<int>(n), MPI_INT, MPI_MAX, MPI_COMM_WORLD), "Allreduce");
  }
  void broadcast(std::string& s, int root) override {
    Blocking b("Bcast");
    unsigned long long n = s.size();
    check(MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, root, MPI_COMM_WORLD), "Bcast");
    s.resize(n);
    check(MPI_Bcast(s.data(), static_cast<int>(n), MPI_CHAR, root, MPI_COMM_WORLD), "Bcast");
  }
  void barrier() override {
    Blocking b("Barrier");
    check(MPI_Barrier(MPI_COMM_WORLD), "Barrier");
  }
  void abort_all(int code) override { MPI_Abort(MPI_COMM_WORLD, code); }
  bool all_arrive(double timeout_seconds) override {
    MPI_Request request;
    check(MPI_Ibarrier(MPI_COMM_WORLD, &request), "Ibarrier");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
    for (;;) {
      int done = 0;
      check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "Test");
      if (done) return true;
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  void send(int dest, int tag, const std::string& body) override {
    Blocking b("Send");
    check(MPI_Send(body.data(), static_cast<int>(body.size()), MPI_CHAR, dest, tag, MPI_COMM_WORLD), "Send");
  }
  // A polling probe rather than a blocking MPI_Recv: the wait can give up, and a rank waiting for
  // work does not spin a core at 100% (Open MPI's blocking calls busy-poll).
  std::optional<Message> receive(int source, int tag, double timeout_seconds) override {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
    for (;;) {
      int ready = 0;
      MPI_Status status;
      check(MPI_Iprobe(source < 0 ? MPI_ANY_SOURCE : source, tag < 0 ? MPI_ANY_TAG : tag, MPI_COMM_WORLD, &ready,
                       &status), "Iprobe");
      if (ready) {
        int count = 0;
        check(MPI_Get_count(&status, MPI_CHAR, &count), "Get_count");
        Message m{status.MPI_SOURCE, status.MPI_TAG, std::string(static_cast<std::size_t>(count), '\0')};
        check(MPI_Recv(m.body.data(), count, MPI_CHAR, m.source, m.tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "Recv");
        return m;
      }
      if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

 private:
  // Segment r of a vector of n: [start(r), start(r + 1)).
  std::size_t start(std::size_t n, int r) const { return n * static_cast<std::size_t>(r) / size_; }

  template <typename T>
  void ordered_sum(T* x, std::size_t n) {
    if (size_ == 1 || n == 0) return;
    Blocking b("Alltoallv");
    const int mine_n = static_cast<int>(start(n, rank_ + 1) - start(n, rank_));
    std::vector<int> send_counts(size_), send_displs(size_), recv_counts(size_), recv_displs(size_);
    for (int r = 0; r < size_; ++r) {
      send_counts[r] = static_cast<int>(start(n, r + 1) - start(n, r));
      send_displs[r] = static_cast<int>(start(n, r));
      recv_counts[r] = mine_n;
      recv_displs[r] = r * mine_n;
    }
    std::vector<T> pieces(static_cast<std::size_t>(mine_n) * size_);
    check(MPI_Alltoallv(x, send_counts.data(), send_displs.data(), type_of<T>(), pieces.data(), recv_counts.data(),
                        recv_displs.data(), type_of<T>(), MPI_COMM_WORLD), "Alltoallv");
    T* mine = x + start(n, rank_);
    for (int i = 0; i < mine_n; ++i) {
      T sum = pieces[static_cast<std::size_t>(i)];
      for (int r = 1; r < size_; ++r) sum += pieces[static_cast<std::size_t>(r) * mine_n + i];
      mine[i] = sum;
    }
    check(MPI_Allgatherv(MPI_IN_PLACE, 0, type_of<T>(), x, send_counts.data(), send_displs.data(), type_of<T>(),
                         MPI_COMM_WORLD), "Allgatherv");
  }

  int rank_ = 0, size_ = 1;
};

MpiWorld* g_world = nullptr;

}  // namespace

void init_mpi(int* argc, char*** argv) {
  // A rank waiting in a collective yields its core instead of spinning (unless the user set it):
  // on a shared or oversubscribed machine the rank it waits for is often the one that needs that
  // core (measured: W2 over 2 ranks on a busy 2-core machine 9.1 s/epoch spinning, 3.9 s yielding).
  setenv("OMPI_MCA_mpi_yield_when_idle", "1", 0);
  int provided = 0;
  check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "Init_thread");
  // A failed call (a peer gone) becomes an Error naming the call, not the library's own abort.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  g_world = new MpiWorld();
  start_watchdog(g_world->rank());
}

void finalize_mpi() {
  if (!g_world) return;
  MPI_Finalize();
  delete g_world;
  g_world = nullptr;
}

Communicator* mpi_world() { return g_world; }

}  // namespace dist_detail
}  // namespace gradnet
