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
// Closure optimizers (L-BFGS, Optimizer::needs_closure()) re-evaluate the loss inside their step:
// for them one run() calls forward/backward several times, and after_loss, after_backward and
// grads_ready fire for every evaluation (after_update once, at the end). Such a step cannot be
// ended early: after_loss's return value is ignored there.
#pragma once

#include <cstdint>

#include "gradnet/net.h"
#include "gradnet/optim/optimizer.h"
#include "gradnet/rng.h"

namespace gradnet {

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

class TrainStep {
 public:
  // net and optimizer must outlive the step; dropout: the first step's stream.
  TrainStep(Net<float>& net, Optimizer<float>& optimizer, Rng dropout);

  // One step on x (N rows) with labels at learning rate lr.
  StepResult run(ConstView<float> x, Targets<float> targets, double lr, StepObserver& observer);
  StepResult run(ConstView<float> x, Targets<float> targets, double lr);  // no observer

  // The stream the next step's dropout masks come from (checkpoints save and restore it).
  const Rng& dropout() const { return dropout_; }
  void set_dropout(const Rng& rng) { dropout_ = rng; }

 private:
  Net<float>& net_;
  Optimizer<float>& optimizer_;
  Rng dropout_;
};

}  // namespace gradnet
