// Optimizer<T>: updates every non-frozen Param from its grad. Options use PyTorch's names and
// formulas, so a PyTorch recipe carries over by copying numbers.
//   sgd:  g = grad + weight_decay * decay_mult * w
//         momentum > 0: buf = g (first step), else buf = momentum * buf + (1 - dampening) * g
//                       g = nesterov ? g + momentum * buf : buf
//         w -= lr * lr_mult * g
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gradnet/config.h"
#include "gradnet/param.h"

namespace gradnet {

template <typename T>
class Optimizer {
 public:
  virtual ~Optimizer() = default;
  virtual std::string_view type() const = 0;
  // One update with learning rate lr (each param scales it by its lr_mult).
  virtual void step(double lr) = 0;
  // Named state tensors ("layers.0.weight.momentum_buffer"), for checkpoints.
  virtual std::vector<std::pair<std::string, Tensor<T>*>> state() { return {}; }
};

// Binds the optimizer to params (which must outlive it); allocates its state once, here.
template <typename T>
std::unique_ptr<Optimizer<T>> make_optimizer(const OptimizerConfig& config, std::vector<Param<T>*> params);

extern template class Optimizer<float>;
extern template class Optimizer<double>;

}  // namespace gradnet
