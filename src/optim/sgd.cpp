// SGD with momentum, dampening, Nesterov and coupled L2 weight decay: torch.optim.SGD's update.
#include <cmath>

#include "gradnet/error.h"
#include "gradnet/optim/optimizer.h"

namespace gradnet {

namespace {

template <typename T>
class SgdOptimizer final : public Optimizer<T> {
 public:
  SgdOptimizer(const OptimizerConfig& c, std::vector<Param<T>*> params) : c_(c), params_(std::move(params)) {
    if (c_.momentum != 0.0)
      for (Param<T>* p : params_) momentum_.emplace_back(p->value.shape());
  }
  std::string_view type() const override { return "sgd"; }

  void step(double lr) override {
    const T momentum = static_cast<T>(c_.momentum);
    const T damp = static_cast<T>(1.0 - c_.dampening);
    for (std::size_t k = 0; k < params_.size(); ++k) {
      Param<T>& p = *params_[k];
      if (p.frozen) continue;
      const T rate = static_cast<T>(lr * p.lr_mult);
      const T decay = static_cast<T>(c_.weight_decay * p.decay_mult);
      T* w = p.value.data();
      const T* g = p.grad.data();
      const Index n = p.value.size();
      if (c_.momentum == 0.0) {
        for (Index i = 0; i < n; ++i) w[i] -= rate * (g[i] + decay * w[i]);
        continue;
      }
      T* buf = momentum_[k].data();
      const bool first = steps_ == 0;
      for (Index i = 0; i < n; ++i) {
        const T gi = g[i] + decay * w[i];
        buf[i] = first ? gi : momentum * buf[i] + damp * gi;
        w[i] -= rate * (c_.nesterov ? gi + momentum * buf[i] : buf[i]);
      }
    }
    ++steps_;
  }

  std::vector<std::pair<std::string, Tensor<T>*>> state() override {
    std::vector<std::pair<std::string, Tensor<T>*>> out;
    for (std::size_t k = 0; k < momentum_.size(); ++k)
      out.emplace_back(params_[k]->name + ".momentum_buffer", &momentum_[k]);
    return out;
  }

 private:
  OptimizerConfig c_;
  std::vector<Param<T>*> params_;
  std::vector<Tensor<T>> momentum_;
  long steps_ = 0;
};

}  // namespace

template <typename T>
std::unique_ptr<Optimizer<T>> make_optimizer(const OptimizerConfig& config, std::vector<Param<T>*> params) {
  if (config.type == "sgd") return std::make_unique<SgdOptimizer<T>>(config, std::move(params));
  fail(ErrorKind::config, "optimizer.type = \"{}\": unknown optimizer; known: sgd", config.type);
}

template class Optimizer<float>;
template class Optimizer<double>;
template std::unique_ptr<Optimizer<float>> make_optimizer(const OptimizerConfig&, std::vector<Param<float>*>);
template std::unique_ptr<Optimizer<double>> make_optimizer(const OptimizerConfig&, std::vector<Param<double>*>);

}  // namespace gradnet
