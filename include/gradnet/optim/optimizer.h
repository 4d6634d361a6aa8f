// Optimizer<T>: updates every non-frozen Param from its grad. Options use PyTorch 1.13's names,
// defaults and formulas, so a PyTorch recipe carries over by copying numbers (docs/optimizers.md
// has each update rule). What every optimizer but lbfgs shares, in this order, each step:
//   1. clip (over the non-frozen params): clip_norm > 0 scales every grad by
//      clip_norm / (‖g‖₂ + 1e-6) when that is < 1 (‖g‖₂ over all params together:
//      torch.nn.utils.clip_grad_norm_); then clip_value > 0 clamps each grad to ±clip_value.
//   2. per param: rate = lr · lr_mult; decay = weight_decay · decay_mult, and 0 when
//      no_decay_bias is set and the param is a bias or 1-D (normalization scales).
//   3. the optimizer's own rule with g = grad + decay · w (coupled L2; adamw decouples it).
// Frozen params are skipped (no update, no state change, not in the clipping norm).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gradnet/optim/options.h"
#include "gradnet/param.h"

namespace gradnet {

template <typename T>
class Optimizer {
 public:
  virtual ~Optimizer() = default;
  virtual std::string_view type() const = 0;

  // One update with learning rate lr (each param scales it by its lr_mult), from the grads the
  // last backward() left in the params.
  virtual void step(double lr) = 0;

  // The same update in parts, for threads that each own a slice of every param (thread shards):
  // begin_step(lr) once (gradient clipping, the step counter), then step_part(lr, part, parts) for
  // every part, on any thread, each updating elements [n·part/parts, n·(part+1)/parts) of every
  // param of n elements. Bit for bit what step(lr) does. False: step() only (lbfgs).
  virtual bool steps_in_parts() const { return false; }
  virtual void begin_step(double /*lr*/) {}
  virtual void step_part(double /*lr*/, int /*part*/, int /*parts*/) {}

  // Optimizers that re-evaluate the loss (lbfgs) return true and are driven by step_closure()
  // instead of step(): closure() must zero every grad, run forward + loss + backward on the full
  // batch at the params' current values, and return the mean loss. step_closure returns the loss
  // at the params it started from. The default calls closure() once and then step(lr).
  virtual bool needs_closure() const { return false; }
  virtual double step_closure(double lr, const std::function<double()>& closure) {
    const double loss = closure();
    step(lr);
    return loss;
  }

  // Named state tensors ("layers.0.weight.exp_avg", "step"), for checkpoints. The pointers stay
  // valid for the optimizer's life; the values are current as of this call.
  virtual std::vector<std::pair<std::string, Tensor<T>*>> state() { return {}; }
  // Restores what state() returned earlier (from this or an identical optimizer): every name
  // must be present with the same shape, else Error{checkpoint}; extra names are refused too.
  void load_state(const std::map<std::string, Tensor<T>>& saved);

 protected:
  // Called by load_state after the tensors were copied in: read back counters kept elsewhere.
  virtual void state_loaded() {}
};

// Binds the optimizer of options.type to params (which must outlive it); allocates its state once,
// here. options must be valid (the config reader makes sure: optim/options.h).
template <typename T>
std::unique_ptr<Optimizer<T>> make_optimizer(const OptimizerOptions& options, std::vector<Param<T>*> params);

// The optimizer types, in docs order: sgd adagrad rmsprop adam adamw adadelta lbfgs.
std::vector<std::string> optimizer_types();

extern template class Optimizer<float>;
extern template class Optimizer<double>;

}  // namespace gradnet
