// TrainStep (include/gradnet/train/step.h): the step every training loop runs.
#include "gradnet/train/step.h"

namespace gradnet {

TrainStep::TrainStep(Net<float>& net, Optimizer<float>& optimizer, Rng dropout)
    : net_(net), optimizer_(optimizer), dropout_(dropout) {}

StepResult TrainStep::run(ConstView<float> x, Targets<float> labels, double lr, StepObserver& observer) {
  StepResult result;
  if (optimizer_.needs_closure()) {
    // The closure L-BFGS re-runs: the same dropout mask at every evaluation of the step.
    auto closure = [&] {
      Rng step_rng = dropout_;
      net_.zero_grad();
      net_.forward(x, StepContext{Mode::train, &step_rng});
      const double loss = net_.loss(labels);
      observer.after_loss(loss);  // a closure optimizer cannot stop mid-step
      net_.backward(labels);
      observer.after_backward();
      observer.grads_ready();
      return loss;
    };
    result.loss = optimizer_.step_closure(lr, closure);
  } else {
    Rng step_rng = dropout_;
    net_.zero_grad();
    net_.forward(x, StepContext{Mode::train, &step_rng});
    result.loss = net_.loss(labels);
    if (!observer.after_loss(result.loss)) return result;
    net_.backward(labels);
    observer.after_backward();
    observer.grads_ready();
    optimizer_.step(lr);
  }
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
