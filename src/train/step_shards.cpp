// TrainStep's thread shards (step.h): the rows of a batch split over the threads, each thread
// running forward and backward on its own copy of the net (activations and grads its own, the
// weights net_'s, aliased), the grads summed in shard order, the update done slice by slice. A
// linear layer's weight gradient is not summed: the grad-sum meeting takes it over every shard's
// rows at once, each thread a slice of the weight's rows (plan_deferred). W2 beside a busy process,
// where one thread runs both shards: 1.16x the one-thread epoch against 1.24-1.29x with the sum.
//
// Why: on a small net every layer's kernel is too short to split over threads (waking a sleeping
// thread costs tens of microseconds here, about what W1's whole forward GEMM takes), so each layer
// ran on one thread. Split by rows, each thread stays busy through the whole pass. The threads are
// a SpinTeam (spin_team.h), not an OpenMP team: four short meetings a step (forward, backward, grad
// sum, update) plus the batch's gather (split_rows), each about a microsecond where
// an OpenMP region with passive waiting costs ~20. Each meeting is k tasks that whichever thread is
// running takes (run_tasks), so a thread another process has descheduled holds nobody up (W2 beside
// a busy process: 1.4-1.5x the one-thread time with the static split this replaced, ~1.16x now). In
// a quiet team thread t takes task t each time, so the slices of every grad, param and optimizer
// state a thread sums and updates stay in its core's cache.
#include <omp.h>

#include <algorithm>
#include <array>
#include <span>

#include "../kernels/spin_team.h"

#include "gradnet/error.h"
#include "gradnet/train/step.h"

namespace gradnet {

namespace {

constexpr Index kMinShardRows = 8;
// Rows x parameters (about the multiply-adds of a dense forward pass) below which one thread is
// faster (measured, 2 cores): W1 (128 x 51k = 6.5M) lost 40% split in two, W2 (128 x 536k = 69M)
// gained 10-20% and W3 (54M, convolutions) 22%.
constexpr double kMinShardWork = 2.0e7;

// Part t of k of n things: [n t / k, n (t + 1) / k).
Index part_begin(Index n, int t, int k) { return n * t / k; }

// Batch norm's statistics (any layer with running buffers) are over the whole batch: not split.
bool shardable(Net<float>& net) {
  if (net.reconstructs()) return false;
  for (Index i = 0; i < net.num_layers(); ++i)
    if (!net.layer(i).buffers().empty()) return false;
  return true;
}

}  // namespace

TrainStep::~TrainStep() = default;

bool TrainStep::would_shard(Index rows) const {
  const std::int32_t label = 0;
  return shards_for(ConstView<float>(nullptr, rows, 0), Targets<float>(&label)) > 1;
}

void TrainStep::split_rows(Index rows, FunctionRef<void(Index, Index)> part) {
  const int k = team_ && team_->usable() ? team_->size() : 1;
  if (k < 2 || rows < 2 * kMinShardRows) return part(0, rows);
  team_->run_tasks(k, [&](int t) { part(part_begin(rows, t, k), part_begin(rows, t + 1, k)); });
}

ConstView<float> TrainStep::output(int shard) const {
  GRADNET_ASSERT(0 <= shard && shard < output_shards());
  const Net<float>& net = shard == 0 ? net_ : *shard_nets_[static_cast<std::size_t>(shard - 1)];
  return net.activation(net.num_layers() - 1);
}

int TrainStep::shards_for(ConstView<float> x, Targets<float> targets) const {
  if (!thread_shards_ || distributed() || optimizer_.needs_closure() || targets.labels == nullptr) return 1;
  if (omp_in_parallel() || x.rows < 2 * kMinShardRows) return 1;
  const int threads = omp_get_max_threads();
  if (threads < 2) return 1;
  if (static_cast<double>(x.rows) * static_cast<double>(net_.parameter_count()) < kMinShardWork) return 1;
  if (!shardable(net_)) return 1;
  return static_cast<int>(std::min<Index>({threads, x.rows / kMinShardRows, SpinTeam::kMaxTasks}));
}

void TrainStep::plan_shards(int shards, Index rows) {
  const Index most = (rows + shards - 1) / shards;  // the largest shard
  const bool fits = static_cast<int>(shard_nets_.size()) == shards - 1 &&
                    std::all_of(shard_nets_.begin(), shard_nets_.end(), [&](auto& n) { return n->max_batch() >= most; });
  if (!fits) {  // the first sharded step (or a larger shard than planned): allocations here only
    shard_nets_.clear();
    shard_params_.assign(1, net_.params());
    const Index planned = std::max(most, (net_.max_batch() + shards - 1) / shards);
    for (int t = 1; t < shards; ++t) {
      shard_nets_.push_back(net_.sibling(planned, NetUse::train));
      shard_params_.push_back(shard_nets_.back()->params());
    }
    shard_loss_.assign(static_cast<std::size_t>(shards), 0.0);
    shard_streams_.assign(static_cast<std::size_t>(shards), dropout_);
  }
  if (!team_ || team_->size() != shards || !team_->usable()) {
    team_ = std::make_unique<SpinTeam>(shards);
  }
  for (auto& n : shard_nets_)  // a frozen layer computes what it learned (batch-free here) and takes no grads
    for (Index i = 0; i < net_.num_layers(); ++i) n->layer(i).set_frozen(net_.layer(i).frozen());
  // The other shards read net_'s weights in place (no copy a step). Set each step: a checkpoint or
  // init_from between steps may have given net_'s params new storage.
  const std::vector<Param<float>*>& params = shard_params_[0];
  for (std::size_t r = 1; r < shard_params_.size(); ++r)
    for (std::size_t j = 0; j < params.size(); ++j) shard_params_[r][j]->value.alias(params[j]->value);
}

// Each shard's rows / n: the share of its mean-loss gradient in the batch's.
static float share_of(Index rows, Index n) {
  return static_cast<float>(static_cast<double>(rows) / static_cast<double>(n));
}

// The weights whose gradient the grad-sum meeting takes over every shard's rows at once
// (Layer::take_deferred_weight_grad): one product per shard at the batch's full share of rows of
// the weight, instead of a product per shard and then a pass summing the shards' grads, which on
// W2 read 4 MB a step, half of it written by the other core (~90 µs for each core's half).
void TrainStep::plan_deferred(int k, Index n) {
  const std::vector<Param<float>*>& params = shard_params_[0];
  grad_whole_.assign(params.size(), 0);
  deferred_layers_.clear();
  for (Index i = 0; i < net_.num_layers(); ++i) {
    const Param<float>* w = net_.layer(i).deferrable_weight();
    if (w == nullptr) continue;
    deferred_layers_.push_back(i);
    for (std::size_t j = 0; j < params.size(); ++j) grad_whole_[j] |= params[j] == w;
    for (int t = 0; t < k; ++t) {
      Net<float>& net = t == 0 ? net_ : *shard_nets_[static_cast<std::size_t>(t - 1)];
      net.layer(i).defer_weight_grad(true, share_of(part_begin(n, t + 1, k) - part_begin(n, t, k), n));
    }
  }
}

StepResult TrainStep::run_sharded(ConstView<float> x, Targets<float> targets, double lr, StepObserver& observer,
                                  int k) {
  plan_shards(k, x.rows);
  plan_deferred(k, x.rows);
  struct Undefer {  // the net's own layers take their weight gradients in backward again
    TrainStep& s;
    ~Undefer() {
      for (const Index i : s.deferred_layers_) s.net_.layer(i).defer_weight_grad(false, 1.0f);
    }
  } undefer{*this};
  last_shards_ = k;
  const Index n = x.rows;
  const std::vector<Param<float>*>& params = shard_params_[0];
  const auto net_of = [&](int t) -> Net<float>& { return t == 0 ? net_ : *shard_nets_[static_cast<std::size_t>(t - 1)]; };
  const auto rows_of = [&](int t) { return part_begin(n, t + 1, k) - part_begin(n, t, k); };
  // Shard 0 draws the run's dropout masks; the others streams of their own (as ranks do).
  std::vector<Rng>& streams = shard_streams_;
  streams[0] = dropout_;
  for (int t = 1; t < k; ++t) {
    Rng peek = dropout_;
    streams[static_cast<std::size_t>(t)] = Rng(peek.next_u64() ^ (0xD1B54A32D192ED03ULL * static_cast<std::uint64_t>(t)));
  }
  // Four meetings, each a run of k tasks that any thread of the team may take (run_tasks): where
  // another process has descheduled one thread, the other takes its shard instead of waiting. Task
  // t always does the same work on the same net, whichever thread runs it: results do not depend
  // on who ran what.
  team_->run_tasks(k, [&](int t) {
    const Index first = part_begin(n, t, k);
    Net<float>& net = net_of(t);
    // A deferred weight's grad is written whole by the grad-sum meeting (the net's; the other
    // shards' copies are never written): only the others are zeroed.
    const std::vector<Param<float>*>& own = shard_params_[static_cast<std::size_t>(t)];
    for (std::size_t j = 0; j < own.size(); ++j)
      if (!grad_whole_[j]) own[j]->grad.fill(0.0f);
    net.forward(ConstView<float>(x.data + first * x.cols, rows_of(t), x.cols),
                StepContext{Mode::train, &streams[static_cast<std::size_t>(t)], nullptr});
    shard_loss_[static_cast<std::size_t>(t)] = net.loss(Targets<float>(targets.labels + first));
  });
  StepResult result;
  for (int t = 0; t < k; ++t)  // the batch's mean loss, summed in shard order
    result.loss += shard_loss_[static_cast<std::size_t>(t)] * static_cast<double>(rows_of(t)) / static_cast<double>(n);
  if (!observer.after_loss(result.loss)) {  // no backward: every grad zero, as zero_grad leaves them
    for (std::size_t j = 0; j < params.size(); ++j)
      if (grad_whole_[j]) params[j]->grad.fill(0.0f);
    return result;
  }
  team_->run_tasks(k, [&](int t) { net_of(t).backward(Targets<float>(targets.labels + part_begin(n, t, k))); });
  team_->run_tasks(k, [&](int t) {  // slice t of every grad: Σ over shards of share · grad, in shard order
    std::array<Layer<float>*, SpinTeam::kMaxTasks> layers{};
    for (const Index i : deferred_layers_) {  // part t of each deferred weight's rows, every shard's rows
      for (int r = 0; r < k; ++r) layers[static_cast<std::size_t>(r)] = &net_of(r).layer(i);
      net_.layer(i).take_deferred_weight_grad(std::span<Layer<float>* const>(layers.data(), static_cast<std::size_t>(k)),
                                             t, k);
    }
    for (std::size_t j = 0; j < params.size(); ++j) {
      if (params[j]->frozen || grad_whole_[j]) continue;
      const Index size = params[j]->grad.size(), b = part_begin(size, t, k), e = part_begin(size, t + 1, k);
      float* g = params[j]->grad.data();
      const float s0 = share_of(rows_of(0), n);
      for (Index i = b; i < e; ++i) g[i] *= s0;
      for (int r = 1; r < k; ++r) {
        const float sr = share_of(rows_of(r), n);
        const float* gr = shard_params_[static_cast<std::size_t>(r)][j]->grad.data();
        for (Index i = b; i < e; ++i) g[i] += sr * gr[i];
      }
    }
  });
  observer.after_backward();
  observer.grads_ready();
  if (optimizer_.steps_in_parts()) {  // slice t of every param, as summed above
    optimizer_.begin_step(lr);
    team_->run_tasks(k, [&](int t) { optimizer_.step_part(lr, t, k); });
  } else {
    optimizer_.step(lr);
  }
  return updated(result, observer);
}

}  // namespace gradnet
