// What the first-order optimizers share (include/gradnet/optim/optimizer.h, steps 1-3): the param
// list, gradient clipping, per-param rate and decay, the step counter, and state plumbing. Each
// optimizer overrides update() for one param with one kernel call (src/kernels/optim.h); lbfgs (a
// whole-vector method) does not use this.
#pragma once

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../kernels/optim.h"
#include "gradnet/optim/optimizer.h"

namespace gradnet::optim_detail {

// True for a bias or any 1-D param (normalization scales and shifts): no_decay_bias spares them.
template <typename T>
bool is_bias_like(const Param<T>& p) {
  const std::string& n = p.name;
  const bool named_bias = n == "bias" || (n.size() > 5 && n.compare(n.size() - 5, 5, ".bias") == 0);
  return named_bias || p.value.shape().size() <= 1;
}

// clip_norm: torch.nn.utils.clip_grad_norm_ (global L2 norm, scale by max / (norm + 1e-6) when < 1);
// then clip_value: clamp to ±clip_value. Frozen params are left out. Returns the norm before
// clipping (0 when clip_norm is off).
template <typename T>
double clip_grads(const std::vector<Param<T>*>& params, double clip_norm, double clip_value) {
  double norm = 0.0;
  if (clip_norm > 0) {
    double sq = 0.0;  // one running sum over the params, in order
    for (const Param<T>* p : params)
      if (!p->frozen) sq = kernels::sum_squares(p->grad.data(), p->grad.size(), sq);
    norm = std::sqrt(sq);
    const double coef = clip_norm / (norm + 1e-6);
    if (coef < 1.0)
      for (Param<T>* p : params)
        if (!p->frozen) kernels::scale_in_place(p->grad.data(), p->grad.size(), coef);
  }
  if (clip_value > 0) {
    const T v = static_cast<T>(clip_value);
    for (Param<T>* p : params)
      if (!p->frozen) kernels::clamp_in_place(p->grad.data(), p->grad.size(), v);
  }
  return norm;
}

// Elements [at, at + n) of one param (all of it, or one thread's part).
struct ParamSlice {
  Index at, n;
};

template <typename T>
class ParamOptimizer : public Optimizer<T> {
 public:
  ParamOptimizer(const UpdateOptions& u, std::vector<Param<T>*> params)
      : u_(u), params_(std::move(params)), step_tensor_(Shape{1}) {}

  void step(double lr) final {
    begin_step(lr);
    step_part(lr, 0, 1);
  }
  bool steps_in_parts() const final { return true; }
  void begin_step(double /*lr*/) final {
    clip_grads(params_, u_.clip_norm, u_.clip_value);
    ++steps_;
  }
  void step_part(double lr, int part, int parts) final {
    for (std::size_t k = 0; k < params_.size(); ++k) {
      Param<T>& p = *params_[k];
      if (p.frozen) continue;
      const Index n = p.value.size(), begin = n * part / parts, end = n * (part + 1) / parts;
      if (begin == end) continue;
      const double decay = u_.no_decay_bias && is_bias_like(p) ? 0.0 : u_.weight_decay * p.decay_mult;
      update(k, p, lr * p.lr_mult, decay, ParamSlice{begin, end - begin});
    }
  }

  std::vector<std::pair<std::string, Tensor<T>*>> state() final {
    step_tensor_[0] = static_cast<T>(steps_);
    std::vector<std::pair<std::string, Tensor<T>*>> out = {{"step", &step_tensor_}};
    for (auto& [suffix, tensors] : buffers_)
      for (std::size_t k = 0; k < tensors->size(); ++k)
        out.emplace_back(params_[k]->name + "." + suffix, &(*tensors)[k]);
    return out;
  }

 protected:
  // One param's update on slice s: rate = lr · lr_mult, decay = its weight decay (0 when spared).
  // Pointers into the param and its state tensors start at s.at.
  virtual void update(std::size_t k, Param<T>& p, double rate, double decay, ParamSlice s) = 0;

  void state_loaded() final { steps_ = static_cast<long>(std::llround(static_cast<double>(step_tensor_[0]))); }

  // A per-param buffer named "<param>.<suffix>" in state(), filled with value.
  void add_buffer(const std::string& suffix, std::vector<Tensor<T>>& tensors, T value = T(0)) {
    tensors.clear();
    for (Param<T>* p : params_) tensors.emplace_back(p->value.shape(), value);
    buffers_.emplace_back(suffix, &tensors);
  }

  UpdateOptions u_;
  std::vector<Param<T>*> params_;
  long steps_ = 0;  // steps taken, this one included inside update()

 private:
  Tensor<T> step_tensor_;
  std::vector<std::pair<std::string, std::vector<Tensor<T>>*>> buffers_;
};

// The factories, one per file under src/optim/.
template <typename T>
std::unique_ptr<Optimizer<T>> make_sgd(const OptimizerOptions& o, std::vector<Param<T>*> params);
template <typename T>
std::unique_ptr<Optimizer<T>> make_adagrad(const OptimizerOptions& o, std::vector<Param<T>*> params);
template <typename T>
std::unique_ptr<Optimizer<T>> make_rmsprop(const OptimizerOptions& o, std::vector<Param<T>*> params);
template <typename T>
std::unique_ptr<Optimizer<T>> make_adam(const OptimizerOptions& o, std::vector<Param<T>*> params);  // adam, adamw
template <typename T>
std::unique_ptr<Optimizer<T>> make_adadelta(const OptimizerOptions& o, std::vector<Param<T>*> params);
template <typename T>
std::unique_ptr<Optimizer<T>> make_lbfgs(const OptimizerOptions& o, std::vector<Param<T>*> params);

#define GRADNET_INSTANTIATE_OPTIMIZER_FACTORY(name)                                                      \
  template std::unique_ptr<Optimizer<float>> name<float>(const OptimizerOptions&, std::vector<Param<float>*>); \
  template std::unique_ptr<Optimizer<double>> name<double>(const OptimizerOptions&, std::vector<Param<double>*>)

}  // namespace gradnet::optim_detail
