// Adam and AdamW: torch.optim.Adam / torch.optim.AdamW, plus bias_correction = false.
//   adam:  g = grad + decay·w (coupled L2)          adamw: w *= 1 - rate·decay, g = grad
//   m = beta1·m + (1 - beta1)·g;  v = beta2·v + (1 - beta2)·g²;  amsgrad: vmax = max(vmax, v), use vmax
//   bias_correction: w -= rate/(1 - beta1^t) · m / (sqrt(v)/sqrt(1 - beta2^t) + eps)
//   without it:      w -= rate · m / (sqrt(v) + eps)   (m and v start at 0 and v warms up slower, so the
//                    early steps come out too large: about 3.2x at step 1 with the default betas)
#include "common.h"

namespace gradnet::optim_detail {
namespace {

template <typename T>
class AdamOptimizer final : public ParamOptimizer<T> {
 public:
  AdamOptimizer(const AdamOptions& o, bool decoupled, const UpdateOptions& u, std::vector<Param<T>*> params)
      : ParamOptimizer<T>(u, std::move(params)), o_(o), decoupled_(decoupled) {
    this->add_buffer("exp_avg", exp_avg_);
    this->add_buffer("exp_avg_sq", exp_avg_sq_);
    if (o.amsgrad) this->add_buffer("max_exp_avg_sq", max_exp_avg_sq_);
  }
  std::string_view type() const override { return decoupled_ ? "adamw" : "adam"; }

 protected:
  void update(std::size_t k, Param<T>& p, double rate, double decay_d, ParamSlice at) override {
    const double beta1 = o_.betas[0], beta2 = o_.betas[1];
    const double t = static_cast<double>(this->steps_);
    double step_size = rate, bc2_sqrt = 1.0;
    if (o_.bias_correction) {
      step_size = rate / (1.0 - std::pow(beta1, t));
      bc2_sqrt = std::sqrt(1.0 - std::pow(beta2, t));
    }
    const kernels::AdamStep<T> s{static_cast<T>(beta1),
                                 static_cast<T>(beta2),
                                 static_cast<T>(o_.eps),
                                 static_cast<T>(step_size),
                                 static_cast<T>(bc2_sqrt),
                                 decoupled_ ? T(0) : static_cast<T>(decay_d),
                                 decoupled_ ? static_cast<T>(1.0 - rate * decay_d) : T(1),
                                 decoupled_};
    T* vmax = o_.amsgrad ? max_exp_avg_sq_[k].data() + at.at : nullptr;  // null: no amsgrad
    kernels::adam_update(s, p.value.data() + at.at, p.grad.data() + at.at, exp_avg_[k].data() + at.at,
                         exp_avg_sq_[k].data() + at.at, vmax, at.n);
  }

 private:
  AdamOptions o_;
  bool decoupled_;
  std::vector<Tensor<T>> exp_avg_, exp_avg_sq_, max_exp_avg_sq_;
};

}  // namespace

template <typename T>
std::unique_ptr<Optimizer<T>> make_adam(const OptimizerOptions& o, std::vector<Param<T>*> params) {
  return std::make_unique<AdamOptimizer<T>>(o.adam(), o.type == OptimizerType::adamw, o.update, std::move(params));
}
GRADNET_INSTANTIATE_OPTIMIZER_FACTORY(make_adam);

}  // namespace gradnet::optim_detail
