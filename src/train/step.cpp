// TrainStep (include/gradnet/train/step.h): the step every training loop runs.
#include "gradnet/train/step.h"

#include <csignal>

#include "../kernels/spin_team.h"  // TrainStep owns one: its destructor must see the type

namespace gradnet {

TrainStep::TrainStep(Net<float>& net, Optimizer<float>& optimizer, Rng dropout)
    : net_(net), optimizer_(optimizer), dropout_(dropout) {}

// This step's dropout stream: the run's, or on rank r > 0 of a data-parallel run one of its own
// (the same masks on every shard would correlate the ranks' rows).
Rng TrainStep::step_stream() const {
  if (!distributed() || dp_.comm->rank() == 0) return dropout_;
  Rng peek = dropout_;
  return Rng(peek.next_u64() ^ (0x9E3779B97F4A7C15ULL * static_cast<std::uint64_t>(dp_.comm->rank())));
}

// Batch norm's statistics span every rank's rows with train.sync_batch_norm.
Communicator* TrainStep::sync_ranks() const {
  return distributed() && dp_.sync_batch_norm ? dp_.comm : nullptr;
}

// The global batch's mean loss, and the stop request every rank then sees: SIGINT/SIGTERM on any
// rank beats SIGHUP on any rank beats none.
double TrainStep::agree_on_loss(double local_loss, Index rows, Index global_rows) {
  if (!distributed()) return local_loss;
  const int sig = dp_.stop_flag ? dp_.stop_flag->load() : 0;
  double v[3] = {local_loss * static_cast<double>(rows) / static_cast<double>(global_rows),
                 sig != 0 && sig != SIGHUP ? 1.0 : 0.0, sig == SIGHUP ? 1.0 : 0.0};
  dp_.comm->allreduce_sum(v, 3);
  if (dp_.stop_flag && v[1] > 0 && (sig == 0 || sig == SIGHUP)) dp_.stop_flag->store(SIGTERM);
  else if (dp_.stop_flag && v[1] == 0 && v[2] > 0 && sig == 0) dp_.stop_flag->store(SIGHUP);
  return v[0];
}

// Every grad becomes the global batch's: scaled by this shard's share of the rows, summed over the
// ranks in one all-reduce of all grads packed together.
void TrainStep::sum_grads(Index rows, Index global_rows) {
  if (!distributed()) return;
  const float share = static_cast<float>(static_cast<double>(rows) / static_cast<double>(global_rows));
  const std::vector<Param<float>*> params = net_.params();
  std::size_t n = 0;
  for (const Param<float>* p : params) n += static_cast<std::size_t>(p->grad.size());
  flat_grads_.resize(n);
  float* at = flat_grads_.data();
  for (Param<float>* p : params)
    for (Index i = 0; i < p->grad.size(); ++i) *at++ = p->grad.data()[i] * share;
  dp_.comm->allreduce_sum(flat_grads_.data(), n);
  at = flat_grads_.data();
  for (Param<float>* p : params)
    for (Index i = 0; i < p->grad.size(); ++i) p->grad.data()[i] = *at++;
}

StepResult TrainStep::run(ConstView<float> x, Targets<float> labels, double lr, StepObserver& observer,
                          Index global_rows) {
  StepResult result;
  last_shards_ = 1;
  last_rows_ = x.rows;
  if (global_rows == 0) global_rows = x.rows;
  if (optimizer_.needs_closure()) {
    // The closure L-BFGS re-runs: the same dropout mask at every evaluation of the step.
    auto closure = [&] {
      Rng step_rng = step_stream();
      net_.zero_grad();
      net_.forward(x, StepContext{Mode::train, &step_rng, sync_ranks()});
      const double loss = agree_on_loss(net_.loss(labels), x.rows, global_rows);
      observer.after_loss(loss);  // a closure optimizer cannot stop mid-step
      net_.backward(labels);
      observer.after_backward();
      sum_grads(x.rows, global_rows);
      observer.grads_ready();
      return loss;
    };
    result.loss = optimizer_.step_closure(lr, closure);
  } else if (const int shards = shards_for(x, labels); shards > 1) {
    return run_sharded(x, labels, lr, observer, shards);
  } else if (x.rows == 0) {
    // A shard with no rows (a last batch smaller than the ranks): it still joins the all-reduces.
    net_.zero_grad();
    result.loss = agree_on_loss(0.0, 0, global_rows);
    if (!observer.after_loss(result.loss)) return result;
    observer.after_backward();
    sum_grads(0, global_rows);
    observer.grads_ready();
    optimizer_.step(lr);
  } else {
    Rng step_rng = step_stream();
    net_.zero_grad();
    net_.forward(x, StepContext{Mode::train, &step_rng, sync_ranks()});
    result.loss = agree_on_loss(net_.loss(labels), x.rows, global_rows);
    if (!observer.after_loss(result.loss)) return result;
    net_.backward(labels);
    observer.after_backward();
    sum_grads(x.rows, global_rows);
    observer.grads_ready();
    optimizer_.step(lr);
  }
  return updated(result, observer);
}

// The end of every step that updated the params.
StepResult TrainStep::updated(StepResult result, StepObserver& observer) {
  result.updated = true;
  observer.after_update(result.loss);
  dropout_ = Rng(dropout_.next_u64());  // a fresh dropout stream for the next step
  return result;
}

StepResult TrainStep::run(ConstView<float> x, Targets<float> labels, double lr) {
  StepObserver none;
  return run(x, labels, lr, none);
}

}  // namespace gradnet
