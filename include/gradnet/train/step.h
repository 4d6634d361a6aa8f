// TrainStep: the one training step every loop in gradnet runs (train, lr-find, sanity's overfit
// check, the benchmarks), so that they cannot drift apart:
//
//   zero_grad → forward (train mode, this step's dropout stream) → loss → after_loss
//   → backward → after_backward → grads_ready → optimizer.step(lr) → after_update
//
// then the dropout stream moves on to the next step's (a fresh Rng seeded from it). A
// StepObserver sees each point; the Trainer turns them into its callback events.
//
// grads_ready is the single place where the gradients of the step are complete and nothing has
// been changed by them yet: where they may be read whole, checked, or combined across processes
// (the all-reduce of data-parallel training goes there).
//
// Data parallelism (set_data_parallel): the rows given to run() are this rank's shard of a global
// batch spread over a Communicator's ranks. After the forward pass the ranks agree on the global
// mean loss and on a stop request (one small all-reduce, so every rank takes the same path through
// the step); before grads_ready every grad is scaled by shard/global rows and summed over the ranks
// (one all-reduce of all grads). The update is then the one the whole batch gives, up to the order
// of the sums, identical on every rank. Each rank draws its dropout masks from its own stream.
//
// Thread shards (set_thread_shards, train.thread_shards): within one process, with more than one
// OpenMP thread, a batch whose rows x parameters pay for waking the threads (step_shards.cpp) and a
// net without batch statistics (no batch norm), no closure optimizer and label targets, run()
// splits the rows over the threads as the ranks above split a global batch: thread t steps its
// own copy of the net (thread 0 the net itself; the copies' weights are aliases of the net's) on
// rows [N t/k, N (t+1)/k), the losses and the grads are combined weighted by the shares, in shard
// order (a linear layer's weight gradient is taken once over every shard's rows, each thread a
// slice of the weight's rows: Layer::take_deferred_weight_grad), and the net itself is updated,
// each thread updating its slice of every param (Optimizer::step_part, the same bits as step()).
// The threads are a team of gradnet's own that spins briefly between meetings
// (src/kernels/spin_team.h). The net's activations (what the monitor reads after the loss) are
// then those of the first shard's rows.
//
// Closure optimizers (L-BFGS, Optimizer::needs_closure()) re-evaluate the loss inside their step:
// for them one run() calls forward/backward several times, and after_loss, after_backward and
// grads_ready fire for every evaluation (after_update once, at the end). Such a step cannot be
// ended early: after_loss's return value is ignored there.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "gradnet/dist.h"
#include "gradnet/function_ref.h"
#include "gradnet/net.h"
#include "gradnet/optim/optimizer.h"
#include "gradnet/rng.h"

namespace gradnet {

class SpinTeam;  // the shards' threads (src/kernels/spin_team.h)

class StepObserver {
 public:
  virtual ~StepObserver() = default;
  // The batch's mean loss is known; the layers' outputs are in net.activation(i). Return false to
  // end the step here, without backward or update (a non-finite loss, lr-find's divergence).
  virtual bool after_loss(double /*loss*/) { return true; }
  virtual void after_backward() {}
  // Every param's grad holds this step's gradient; the params still hold their values before it.
  virtual void grads_ready() {}
  // The params have been updated; loss: the step's loss before the update (for L-BFGS, at the
  // params the step started from).
  virtual void after_update(double /*loss*/) {}
};

struct StepResult {
  double loss = 0;       // the batch's mean loss before the update
  bool updated = false;  // false when after_loss ended the step
};

struct DataParallel {
  Communicator* comm = nullptr;            // nullptr or a world of one: a single process
  std::atomic<int>* stop_flag = nullptr;   // a signal on any rank stops every rank at the same step
  bool sync_batch_norm = false;            // batch norm over the global batch (StepContext::sync_ranks)
};

class TrainStep {
 public:
  // net and optimizer must outlive the step; dropout: the first step's stream.
  TrainStep(Net<float>& net, Optimizer<float>& optimizer, Rng dropout);
  ~TrainStep();
  TrainStep(const TrainStep&) = delete;
  TrainStep& operator=(const TrainStep&) = delete;

  // One step on x (N rows) with labels at learning rate lr.
  // global_rows: the rows of the whole batch over every rank (0: x.rows, a single process).
  StepResult run(ConstView<float> x, Targets<float> targets, double lr, StepObserver& observer,
                 Index global_rows = 0);
  StepResult run(ConstView<float> x, Targets<float> targets, double lr);  // no observer

  // The stream the next step's dropout masks come from (checkpoints save and restore it).
  const Rng& dropout() const { return dropout_; }
  void set_dropout(const Rng& rng) { dropout_ = rng; }
  void set_data_parallel(const DataParallel& dp) { dp_ = dp; }
  void set_thread_shards(bool on) { thread_shards_ = on; }
  // Runs part(begin, end) over rows [0, rows): split as the thread shards split a batch of that
  // many rows, one part per thread of the shards' team, once a sharded step has made one; else
  // part(0, rows) here. For the batch's gather: each thread then steps on rows in its own cache.
  void split_rows(Index rows, FunctionRef<void(Index, Index)> part);
  // True when run() would split a batch of this many label rows over the threads (thread shards).
  bool would_shard(Index rows) const;
  // The threads the last run() split its rows over (1: none).
  int last_shards() const { return last_shards_; }
  // The net's outputs of the last forward pass, shard by shard in row order (one shard without
  // thread shards, none after an empty shard of a rank): what the step's rows were predicted to be.
  int output_shards() const { return last_rows_ == 0 ? 0 : last_shards_; }
  ConstView<float> output(int shard) const;

 private:
  Net<float>& net_;
  Optimizer<float>& optimizer_;
  Rng dropout_;
  DataParallel dp_;
  std::vector<float> flat_grads_;  // every grad, packed for one all-reduce
  bool thread_shards_ = false;
  int last_shards_ = 1;
  Index last_rows_ = 0;
  std::vector<std::unique_ptr<Net<float>>> shard_nets_;  // the nets of shards 1..k-1
  std::vector<std::vector<Param<float>*>> shard_params_;  // [shard][param]; shard 0: the net's
  std::vector<double> shard_loss_;
  std::vector<Rng> shard_streams_;  // this step's dropout stream of each shard
  std::unique_ptr<SpinTeam> team_;  // the threads of the shards, made by the first sharded step
  // Layers whose weight gradient the grad-sum meeting takes over every shard's rows at once
  // (Layer::deferrable_weight), and by net param index whether its grad is whole after it.
  std::vector<Index> deferred_layers_;
  std::vector<char> grad_whole_;

  bool distributed() const { return dp_.comm && dp_.comm->size() > 1; }
  Rng step_stream() const;
  Communicator* sync_ranks() const;
  double agree_on_loss(double local_loss, Index rows, Index global_rows);
  void sum_grads(Index rows, Index global_rows);
  int shards_for(ConstView<float> x, Targets<float> targets) const;
  void plan_shards(int shards, Index rows);
  void plan_deferred(int shards, Index rows);
  StepResult updated(StepResult result, StepObserver& observer);
  StepResult run_sharded(ConstView<float> x, Targets<float> targets, double lr, StepObserver& observer, int shards);
};

}  // namespace gradnet
